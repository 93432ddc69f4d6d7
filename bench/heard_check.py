"""Heard-check benchmark: which numbers and addresses the bot should say back before storing.

A caller's phone number or address misheard is a work order nobody can act on. The recogniser's
own confidence (Whisper's per-token probability, `Transcript.confidence`) decides which values
the bot says back (`asr.check_below`): a check of a right value is a needless question, a wrong
value not checked is wrong data. This bench speaks contact numbers and addresses the way callers
give them (grouped digits, 幺 for one, fillers, a number said with other words), with the
offline voices through the phone channel, decodes each with the question it answers as
context, reads the value with the slot's own type and scores it against what was said. For each
threshold it prints the share of wrong values checked (`wrong_checked`) and of right values
checked (`right_checked`), and the configured threshold's figures against never checking
(`ratio_vs_never`, the wrong values that would be stored).

    .venv/bin/python -m bench.heard_check [--voices baker,espeak-ng] [--conditions phone]
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from dataclasses import dataclass

from bench.asr import Renderer, cached, condition, spoken_set
from bot.dialogue.slot_types import slot_type
from bot.flows.model import Slot
from bot.speech.whisper_transcriber import WhisperTranscriber
from tests.support.speech import scoring_form

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
DIGIT_WORDS = "零一二三四五六七八九"
PHONE = Slot(type="phone", ask="请问您的联系电话是多少？")
ADDRESS = Slot(type="address", ask="请问具体地址是哪里？")

# How callers give a mobile number: {n} is the number as the caller groups and says it.
PHONE_SAYINGS = (
    "{n}",
    "我电话是{n}",
    "嗯 {n}",
    "打我手机吧 {n}",
    "号码是{n} 白天都能打通",
    "你记一下啊 {n}",
    "我的手机号 {n} 对",
    "{n} 这个是我本人的",
)
# Addresses as callers say them, in the configured city's districts.
ADDRESSES = (
    ("宝安区西乡街道盐田社区十二栋", "就在宝安区西乡街道盐田社区十二栋"),
    ("南山区粤海街道科技园南区", "南山区粤海街道 科技园南区那边"),
    ("福田区华强北路二号", "地址是福田区华强北路二号"),
    ("龙岗区布吉街道长龙社区", "龙岗区布吉街道长龙社区 就我们小区门口"),
    ("罗湖区东门街道湖贝新村", "罗湖区东门街道 湖贝新村"),
    ("龙华区民治街道白石龙社区", "在龙华区民治街道白石龙社区"),
    ("宝安区新安街道建安一路五十八号", "宝安区新安街道 建安一路五十八号"),
    ("南山区蛇口街道四海社区", "南山区 蛇口街道四海社区这块"),
    ("光明区公明街道上村社区", "光明区公明街道上村社区"),
    ("坪山区坑梓街道金沙社区", "我家是坪山区坑梓街道金沙社区"),
)


@dataclass
class Heard:
    kind: str  # phone or address
    confidence: float | None
    right: bool


def spoken_number(number: str, rng: random.Random) -> str:
    """A mobile number as a caller says it: in groups (3-4-4 or 3-3-5... by habit), with 幺
    for one some of the time, and sometimes as written digits."""
    if rng.random() < 0.25:
        return number
    words = "".join(
        "幺" if d == "1" and rng.random() < 0.5 else DIGIT_WORDS[int(d)] for d in number
    )
    cuts = rng.choice(((3, 7), (3, 6), (3, 7, 9), ()))
    parts, start = [], 0
    for cut in (*cuts, len(words)):
        parts.append(words[start:cut])
        start = cut
    return " ".join(parts)


def cases(seed: int = 7) -> list[tuple[Slot, str, str]]:
    """(slot, what the caller says, the value it holds)."""
    rng = random.Random(seed)
    said = []
    for index in range(24):
        number = "1" + rng.choice("3578") + "".join(rng.choice("0123456789") for _ in range(9))
        saying = PHONE_SAYINGS[index % len(PHONE_SAYINGS)]
        said.append((PHONE, saying.format(n=spoken_number(number, rng)), number))
    said += [(ADDRESS, words, address) for address, words in ADDRESSES]
    return said


def heard_right(slot: Slot, read: str, words: str, value: str) -> bool:
    """A number must be the one said; an address may be any part of the caller's words
    ("金沙社区" of "坪山区坑梓街道金沙社区"), but nothing they did not say."""
    if slot.type == "phone":
        return scoring_form(read) == scoring_form(value)
    return "".join(scoring_form(read)) in "".join(scoring_form(words))


async def hear_all(
    transcriber: WhisperTranscriber, voices: dict[str, Renderer], conditions: list[str]
) -> list[Heard]:
    today = dt.date.today()
    heard = []
    for slot, words, value in cases():
        kind = slot_type(slot)
        for voice, render in voices.items():
            pcm, rate = cached(voice, render, words)
            for channel in conditions:
                audio = condition(pcm, rate, channel)
                transcript = await asyncio.to_thread(
                    transcriber.transcribe_sync,
                    audio.tobytes(),
                    slot.type == "address",
                    slot.ask,
                )
                read = kind.answer_value(transcript.text, slot, today)
                right = read is not None and heard_right(slot, str(read), words, value)
                if read is not None:
                    heard.append(Heard(slot.type, transcript.confidence, right))
    return heard


def figures(heard: list[Heard], threshold: float) -> dict[str, float | int]:
    def checked(h: Heard) -> bool:
        return h.confidence is not None and h.confidence < threshold

    wrong = [h for h in heard if not h.right]
    right = [h for h in heard if h.right]
    return {
        "threshold": threshold,
        "wrong_checked": round(sum(map(checked, wrong)) / max(1, len(wrong)), 3),
        "right_checked": round(sum(map(checked, right)) / max(1, len(right)), 3),
        "wrong_stored_unchecked": sum(not checked(h) for h in wrong),
    }


def main() -> None:
    spoken = spoken_set(__doc__.split("\n")[0])
    settings = spoken.settings
    heard = asyncio.run(hear_all(spoken.transcriber, spoken.voices, spoken.conditions))
    for kind in ("phone", "address", "all"):
        subset = [h for h in heard if kind in ("all", h.kind)]
        print(
            json.dumps(
                {
                    "values": kind,
                    "read": len(subset),
                    "wrong": sum(not h.right for h in subset),
                    "thresholds": [figures(subset, t) for t in THRESHOLDS],
                },
                ensure_ascii=False,
            )
        )
    never = figures(heard, 0.0)["wrong_stored_unchecked"]
    configured = figures(heard, settings.asr.check_below)
    print(
        json.dumps(
            {
                "configured_check_below": settings.asr.check_below,
                **configured,
                "never_checked_wrong_stored": never,
                "ratio_vs_never": round(
                    int(configured["wrong_stored_unchecked"]) / max(1, int(never)), 3
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
