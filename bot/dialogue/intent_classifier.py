"""Intent classification of short caller utterances from designers' example phrases.

No model and no training run: each utterance becomes a TF-IDF vector over jieba words and
character bigrams (bigrams survive jieba splitting an unseen phrase differently), compared by
cosine similarity with every example. IDF is counted across intents rather than examples, so a
word that every example of one intent shares ("投诉") weighs most, and words that all intents
share ("我想") weigh nothing.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping

import jieba

jieba.setLogLevel(logging.WARNING)

# Filler that says nothing about what the caller wants.
_STOPWORDS = frozenset(
    "我 你 您 他 她 它 我们 你们 的 了 吗 呢 吧 啊 呀 哦 嗯 哈 喂 是 在 有 就 都 也 还 这 那 "
    "这个 那个 一下 一个 请问 你好 您好 我想 想 我要 要 请 麻烦 能 帮 帮我 给 和 跟".split()
)
_NOISE = re.compile(r"[\W_]+")
# Words carry meaning; bigrams catch paraphrases that jieba segments differently.
_WORD_WEIGHT = 1.0
_BIGRAM_WEIGHT = 0.6
# How much the best single example counts against the intent's examples as a whole.
_BEST_EXAMPLE_SHARE = 0.75

Vector = dict[str, float]


@functools.cache
def _segmenter() -> jieba.Tokenizer:
    """jieba's shared tokenizer, its dictionary loaded once per process."""
    jieba.initialize()
    return jieba.dt


def _features(text: str) -> Counter[str]:
    """Weighted term counts: jieba words ("w:") and character bigrams ("b:")."""
    clean = _NOISE.sub(" ", text.lower()).strip()
    features: Counter[str] = Counter()
    for word in _segmenter().lcut(clean):
        if word.strip() and word not in _STOPWORDS:
            features[f"w:{word}"] += 1
    for chunk in clean.split():
        chars = [char for char in chunk if char not in _STOPWORDS]
        for first, second in itertools.pairwise(chars):
            features[f"b:{first}{second}"] += 1
    return features


def _weight(feature: str) -> float:
    return _WORD_WEIGHT if feature.startswith("w:") else _BIGRAM_WEIGHT


def _unit(vector: Vector) -> Vector:
    norm = math.sqrt(sum(value * value for value in vector.values()))
    return {key: value / norm for key, value in vector.items()} if norm else {}


def _cosine(first: Vector, second: Vector) -> float:
    if len(second) < len(first):
        first, second = second, first
    return sum(value * second.get(key, 0.0) for key, value in first.items())


def _centroid(vectors: Iterable[Vector]) -> Vector:
    total: Counter[str] = Counter()
    for vector in vectors:
        total.update(vector)
    return _unit(dict(total))


class IntentClassifier:
    """Ranks intents for an utterance by its similarity to their example utterances."""

    def __init__(self, examples: Mapping[str, list[str]]) -> None:
        self._intents = sorted(examples)
        counts = {intent: [_features(text) for text in examples[intent]] for intent in examples}
        intent_frequency: Counter[str] = Counter()
        for intent_counts in counts.values():
            intent_frequency.update(set().union(*intent_counts))
        intents = len(self._intents)
        self._idf = {
            feature: math.log((1 + intents) / frequency)
            for feature, frequency in intent_frequency.items()
        }
        # A feature no example has is as rare as can be: it dilutes the match.
        self._unseen_idf = math.log(1 + intents)
        self._examples = {
            intent: [self._vector(count) for count in counts[intent]] for intent in self._intents
        }
        self._centroids = {intent: _centroid(vectors) for intent, vectors in self._examples.items()}

    def _vector(self, counts: Counter[str]) -> Vector:
        return _unit(
            {
                feature: (1 + math.log(count))
                * _weight(feature)
                * self._idf.get(feature, self._unseen_idf)
                for feature, count in counts.items()
            }
        )

    def classify(self, text: str) -> list[tuple[str, float]]:
        """Every intent with a score in [0, 1], best first (ties by name, so deterministic)."""
        vector = self._vector(_features(text))
        scores = []
        for intent in self._intents:
            best = max((_cosine(vector, example) for example in self._examples[intent]), default=0)
            overall = _cosine(vector, self._centroids[intent])
            score = _BEST_EXAMPLE_SHARE * best + (1 - _BEST_EXAMPLE_SHARE) * overall
            scores.append((intent, round(min(max(score, 0.0), 1.0), 4)))
        return sorted(scores, key=lambda item: (-item[1], item[0]))
