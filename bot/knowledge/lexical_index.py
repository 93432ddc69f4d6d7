"""Word matching: jieba tokens scored with BM25, plus how much of a question a document covers.

BM25 ranks units by shared rare words; coverage tells whether the question's informative words
appear in a document at all, which is what separates "公积金怎么提取" from "月球上买房有什么补贴"
(both share words with the housing documents, but only one is fully about them).
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from functools import cache

import jieba
import numpy as np
from rank_bm25 import BM25Okapi

from bot.knowledge.documents import PolicyDocument, Unit

jieba.setLogLevel(logging.WARNING)

# Function words and hotline filler that say nothing about the topic of a question.
STOPWORDS = frozenset(
    """
    的 了 吗 呢 吧 啊 呀 哦 嘛 么 着 过 和 与 及 或 跟 在 是 有 没有 也 都 就 还 又
    把 被 给 对 向 从 我 我们 你 您 你们 他 她 它 他们 自己 咱 这 那 这个 那个 这些
    那些 这样 那样 哪 哪个 哪些 哪里 什么 怎么 怎么样 怎样 怎么办 如何 为什么 多少 几
    能 能不能 可以 可不可以 可否 会 要 想 想要 需要 请 请问 问 问一下 一下 下 一个 个
    些 啥 咋 嗯 喂 好 谢谢 麻烦 帮 帮忙 知道 告诉 说 看看 不 不能 没 上 中 里 去 来
    到 得 地 之 其 该 应该 如果 的话 现在 一般 可能 就是 还是 然后
    """.split()
)
_WORD = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)


def tokenize(text: str, *, fine: bool = True) -> list[str]:
    """Content tokens of `text`; `fine` adds jieba's sub-words (公积金 → 公积, 公积金).

    Only dictionary words are formed (no HMM guessing): the HMM glues function words onto
    content words (我订, 哪办), which then match nothing and look like rare, important words.
    """
    words = jieba.cut_for_search(text, HMM=False) if fine else jieba.cut(text, HMM=False)
    return [
        word
        for word in (w.strip().lower() for w in words)
        if word and word not in STOPWORDS and _WORD.search(word)
    ]


@cache
def _dictionary() -> tuple[dict[str, int], int]:
    jieba.initialize()
    return jieba.dt.FREQ, jieba.dt.total


def informativeness(word: str) -> float:
    """Self-information of `word` in general Mandarin (jieba's dictionary), capped.

    Rare words (月球, 社保卡) carry the topic; common ones (今天, 办) carry little. The cap
    (about 50 occurrences in jieba's corpus) keeps one barely-known word from outweighing
    the rest of the question.
    """
    frequencies, total = _dictionary()
    count = frequencies.get(word) or 0
    return min(math.log(total / max(count, 1)), 14.0)


class LexicalIndex:
    """BM25 over units, and per-document vocabularies for coverage."""

    def __init__(self, units: list[Unit], documents: Iterable[PolicyDocument]) -> None:
        self.units = units
        self._bm25 = BM25Okapi([tokenize(unit.text) for unit in units])
        self._texts = {
            document.id: "\n".join([document.title, *document.questions, document.body]).lower()
            for document in documents
        }

    def scores(self, question: str) -> np.ndarray:
        """BM25 score of every unit (0 where no word is shared)."""
        tokens = tokenize(question)
        if not tokens:
            return np.zeros(len(self.units))
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float64)

    def coverage(self, question: str, doc_id: str) -> float:
        """Share of the question's information (weighted words) found in the document's text.

        Matching is by substring, so a short colloquial word counts when the document uses a
        longer form (取 in 提取, 社保 in 社保卡).
        """
        words = tokenize(question, fine=False)
        if not words:
            return 0.0
        text = self._texts[doc_id]
        weights = [informativeness(word) for word in words]
        found = sum(weight for word, weight in zip(words, weights, strict=True) if word in text)
        return found / sum(weights)
