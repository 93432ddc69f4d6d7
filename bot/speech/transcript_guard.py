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

# A phrase of 2-8 characters said 4+ times in a row, or one character 8+ times, is a decoder
# loop, not speech ("谢谢谢谢" and "好的好的" are ordinary Mandarin).
_LOOPS = (re.compile(r"(.{2,8}?)\1{3,}", re.DOTALL), re.compile(r"(.)\1{7,}", re.DOTALL))
_SPACES = re.compile(r"\s+")


def to_simplified(text: str) -> str:
    return zhconv.convert(text, "zh-cn")


def cut_loops(text: str) -> str:
    """Collapse runaway repetitions ("好的好的好的好的好的" → "好的")."""
    for loop in _LOOPS:
        text = loop.sub(r"\1", text)
    return text


def is_phantom(text: str) -> bool:
    return any(pattern.search(text) for pattern in PHANTOM_PATTERNS)


# A question in the decoder prompt comes back on unclear audio from its start (请问您是李女士吗);
# shorter parts of it are real answers (基本满意 to 满意、基本满意还是不满意？).
QUESTION_ECHO_CHARS = 6


def clean_transcript(text: str, prompt: str = "", question: str = "") -> str:
    """Normalise one utterance's text; empty when nothing trustworthy was said."""
    text = _SPACES.sub(" ", to_simplified(text)).strip()
    text = cut_loops(text)
    if is_phantom(text):
        return ""
    core = text.strip("。，,.!?！？ ")
    if prompt and len(core) >= 4 and core in prompt:  # the decoder prompt echoed on silence
        return ""
    if len(core) >= QUESTION_ECHO_CHARS and core in question:
        return ""
    if not re.search(r"[\w\u4e00-\u9fff]", text):
        return ""
    return text
