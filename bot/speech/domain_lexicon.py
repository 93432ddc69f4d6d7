"""The hotline's own words, restored where Whisper wrote a sound-alike.

Whisper base on the phone band often hears a domain term's syllables right and picks the
wrong characters (以保 for 医保, 杨老抱先 for 养老保险, 美林 for 梅林). A span of the
transcript is replaced by a lexicon term when it sounds the same: the same toneless pinyin,
or for terms of three syllables or more at most one syllable off by one of the classic
Mandarin sound confusions (z/zh, n/l, in/ing …). A span that is itself a more common word
than the term (保安 against 宝安) is left alone, unless the caller was asked for that kind of
word (a place, in an address answer). Terms that are not Chinese characters (12345, APP) are
left to Whisper, which writes them as it hears them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import jieba
from loguru import logger
from pypinyin import Style, lazy_pinyin

jieba.setLogLevel(logging.WARNING)

# Sound pairs that Mandarin speakers (and input methods' 模糊音) treat as one.
_FUZZY_INITIALS = {"zh": "z", "ch": "c", "sh": "s", "l": "n", "r": "n", "h": "f"}
_FUZZY_FINALS = {"ang": "an", "eng": "en", "ing": "in", "iang": "ian", "uang": "uan"}
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")


@dataclass(frozen=True)
class _Syllable:
    exact: str  # toneless pinyin
    fuzzy: str  # with the confusable sounds merged


def _syllables(text: str) -> list[_Syllable]:
    """One per Han character of `text` (which must hold only Han characters)."""
    exact = lazy_pinyin(text)
    initials = lazy_pinyin(text, style=Style.INITIALS, strict=False)
    finals = lazy_pinyin(text, style=Style.FINALS, strict=False)
    return [
        _Syllable(whole, _FUZZY_INITIALS.get(initial, initial) + _FUZZY_FINALS.get(final, final))
        for whole, initial, final in zip(exact, initials, finals, strict=True)
    ]


@dataclass(frozen=True)
class _Term:
    text: str
    syllables: tuple[_Syllable, ...]
    frequency: int  # in jieba's dictionary, 0 when it is not there


class DomainLexicon:
    """Terms the ASR should write as the hotline writes them."""

    def __init__(self, terms: Iterable[str]) -> None:
        jieba.initialize()
        texts = list(dict.fromkeys(terms))
        unusable = [text for text in texts if not _HAN_RUN.fullmatch(text) or len(text) < 2]
        if unusable:
            logger.info(f"ASR lexicon: {unusable} are not two or more Chinese characters; not used")
        self._terms = {
            text: _Term(text, tuple(_syllables(text)), jieba.get_FREQ(text) or 0)
            for text in texts
            if text not in unusable
        }
        self._by_key: dict[tuple[str, ...], list[_Term]] = {}
        for term in self._terms.values():
            self._by_key.setdefault(tuple(s.fuzzy for s in term.syllables), []).append(term)
        self._lengths = sorted({len(key) for key in self._by_key}, reverse=True)

    def __len__(self) -> int:
        return len(self._terms)

    def correct(self, text: str, expected: Collection[str] = ()) -> str:
        """`text` with sound-alike spans replaced by lexicon terms; `expected`: terms the
        caller was asked for, which win over common words that sound the same."""
        if not self._by_key:
            return text
        return _HAN_RUN.sub(lambda run: self._correct_run(run.group(), expected), text)

    def _correct_run(self, run: str, expected: Collection[str]) -> str:
        syllables = _syllables(run)
        out: list[str] = []
        i = 0
        while i < len(run):
            term = self._match(run, syllables, i, expected)
            if term is None:
                out.append(run[i])
                i += 1
            else:
                out.append(term.text)
                i += len(term.text)
        return "".join(out)

    def _match(
        self, run: str, syllables: list[_Syllable], start: int, expected: Collection[str]
    ) -> _Term | None:
        for length in self._lengths:  # the longest term wins
            span = syllables[start : start + length]
            if len(span) < length:
                continue
            heard = run[start : start + length]
            if heard in self._terms:
                return self._terms[heard]  # already a term (罗湖, not 落户)
            for term in self._by_key.get(tuple(s.fuzzy for s in span), []):
                off = sum(a.exact != b.exact for a, b in zip(span, term.syllables, strict=True))
                if off > (1 if length >= 3 else 0):
                    continue
                if term.text not in expected and (jieba.get_FREQ(heard) or 0) > term.frequency:
                    continue  # a real, more common word that happens to sound the same
                return term
        return None


def place_terms(names: Iterable[str]) -> list[str]:
    """The city's place names as callers say them: a district also without its 区
    (南山区 → 南山, 大鹏新区 → 大鹏)."""
    terms: list[str] = []
    for name in names:
        terms.append(name)
        for suffix in ("新区", "区"):
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                terms.append(name.removesuffix(suffix))
                break
    return terms
