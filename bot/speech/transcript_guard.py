"""Cleaning Whisper output: simplified characters, no repetition loops, no silence phantoms."""

from __future__ import annotations

import re

import zhconv

# Whisper's well-known inventions on silence, music-on-hold and noise (subtitle credits and
# video outros from its training data), plus the decoder prompt echoed back.
PHANTOM_PATTERNS = [
    re.compile(pattern)
    for pattern in (
        r"字幕(由|提供|制作|志愿者)",
        r"(请|欢迎)?(不吝)?(点赞|订阅|转发|打赏)",
        r"(明镜|点点)栏目",
        r"谢谢(大家)?(收看|观看)",
        r"Amara\.org",
        r"以下是普通话的句子",
    )
]

# A unit of 1-8 characters repeated 4+ times in a row is a decoder loop, not speech.
_LOOP = re.compile(r"(.{1,8}?)\1{3,}", re.DOTALL)
_SPACES = re.compile(r"\s+")


def to_simplified(text: str) -> str:
    return zhconv.convert(text, "zh-cn")


def cut_loops(text: str) -> str:
    """Collapse runaway repetitions ("好的好的好的好的好的" → "好的")."""
    return _LOOP.sub(r"\1", text)


def is_phantom(text: str) -> bool:
    return any(pattern.search(text) for pattern in PHANTOM_PATTERNS)


def clean_transcript(text: str) -> str:
    """Normalise one utterance's text; empty when nothing trustworthy was said."""
    text = _SPACES.sub(" ", to_simplified(text)).strip()
    text = cut_loops(text)
    if is_phantom(text):
        return ""
    if not re.search(r"[\w\u4e00-\u9fff]", text):
        return ""
    return text
