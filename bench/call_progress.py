"""Call-progress benchmark: carrier announcements, answering machines and people, told apart.

A campaign's outcome for a call that does not reach a person comes from what the far end
says: a carrier's announcement (early media, or after an answer), a call-screening assistant,
voicemail or switchboard (after an answer). A person must never be taken for either: their
survey would not be asked. This bench speaks a test set written from the announcements Chinese
carriers play, the greetings of phone assistants and switchboards, and the first words people
say when a callback reaches them, with the offline voices through the phone channel, decodes
each with the call recogniser, and classifies it as the campaign does (`CallProgress`). It
prints accuracy per kind, wrong announced outcomes, people taken for anything else, every
misclassification, and as the baseline measured in the same run the same recordings decoded
without the announcements as context and matched on words only (no sound-alikes).

    .venv/bin/python -m bench.call_progress [--voices baker,espeak-ng] [--conditions phone]
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from bench.asr import Renderer, cached, condition, spoken_set
from bot.campaigns.announcements import Announcements
from bot.config import Settings
from bot.dialogue.local_understanding import LocalUnderstanding
from bot.flows.flow_set import load_flows
from bot.speech.whisper_transcriber import QUESTION_CHARS, WhisperTranscriber

# What carriers play (China Mobile, Unicom, Telecom wordings), with the outcome each means.
ANNOUNCEMENTS = (
    ("您好，您拨打的电话已关机，请稍后再拨", "powered_off"),
    ("对不起，您拨打的用户已关机", "powered_off"),
    ("您拨打的电话暂时无法接通，请稍后再拨", "unreachable"),
    ("对不起，您拨打的用户不在服务区", "unreachable"),
    ("您拨打的号码是空号，请查证后再拨", "invalid_number"),
    ("对不起，您拨打的号码不存在，请查证后再拨", "invalid_number"),
    ("您拨打的电话已停机", "suspended"),
    ("对不起，您拨打的号码已暂停服务", "suspended"),
    ("您拨打的电话正在通话中，请稍后再拨", "busy"),
    ("您好，您拨打的用户正忙，请稍后再拨", "busy"),
    ("您拨打的用户已设置呼入限制", "barred"),
    ("对不起，您拨打的号码已设置了呼叫限制", "barred"),
)
# Phones' call-screening assistants, voicemail and company switchboards answering.
MACHINES = (
    "您好，我是机主的来电助理，请问您有什么事？",
    "你好，我是他的智能助理，有什么需要我帮您转告的吗",
    "您好，机主现在不方便接听，请在提示音后留言",
    "您的来电已转入语音信箱，请在嘀声后开始留言",
    "您好，欢迎致电，查号请按零，或直接拨分机号",
    "喂您好，我是通话助理，机主暂时无法接听，您可以留言",
)
# The first words of people reached by a callback (some mention their phone).
PEOPLE = (
    "喂？",
    "喂，你好，哪位？",
    "嗯，是我，什么事啊",
    "你好，我在开车，你说吧",
    "谁啊",
    "喂，是12345吗",
    "对对，我是王先生",
    "你好，我现在不太方便",
    "哎你好你好",
    "我刚才手机没电关机了，你说吧",
    "我是他老婆，他不在家",
)
PERSON = "person"
MACHINE = "machine"
NOT_ANNOUNCED = "none"  # early media with no announcement heard: the SIP status decides


# What the survey says as it opens, for a row with no details: the context of the first words
# an answered call hears.
SURVEY_OPENING = (
    "您好，这里是12345热线，关于您向我们反映的问题，想占用您一分钟做个回访，现在方便吗？"
)
EARLY = "early media"
ANSWERED = "after answer"


@dataclass(frozen=True)
class Classified:
    said: str
    truth: str
    path: str  # EARLY or ANSWERED
    voice: str
    channel: str
    heard: str
    found: str  # what the campaign made of it
    found_by_words: str  # the same with words only: no sound-alikes, no announcement context


class CallProgress:
    """What the campaign makes of what the far end says. Early media: decoded with the
    announcements as context, an announcement or nothing. After an answer: the first words as
    the call heard them (the survey's opening as context) are an announcement, else the flows'
    machine words (and their sound) end the survey — and if they opened like an announcement,
    the same seconds are heard again with the announcements as context — else a person."""

    def __init__(self, settings: Settings, transcriber: WhisperTranscriber) -> None:
        flows = load_flows([settings.project_path(settings.flows.dir)])
        self._transcriber = transcriber
        self._announcements = Announcements(settings.campaigns.announcements)
        self._context = self._announcements.prompt(QUESTION_CHARS)
        self._words = settings.campaigns.announcements
        self._machine_words = flows.behaviour.intents.machine
        self._understanding = LocalUnderstanding(flows)

    def _announced(self, audio: bytes) -> tuple[str, str | None]:
        heard = self._transcriber.transcribe_sync(audio, False, self._context).text
        announced = self._announcements.heard(heard)
        return heard, announced.value if announced else None

    def early_media(self, audio: bytes) -> tuple[str, str, str]:
        """(heard, found, found by words only) for audio played before an answer."""
        heard, announced = self._announced(audio)
        plain = self._transcriber.transcribe_sync(audio).text
        return heard, announced or NOT_ANNOUNCED, self._by_words(plain, answered=False)

    def after_answer(self, audio: bytes) -> tuple[str, str, str]:
        """(heard, found, found by words only) for the first words of an answered call."""
        heard = self._transcriber.transcribe_sync(audio, False, SURVEY_OPENING).text
        by_words = self._by_words(heard, answered=True)
        announced = self._announcements.heard(heard)
        if announced is not None:
            return heard, announced.value, by_words
        commands = self._understanding.global_commands(heard)
        if not any(command.kind == "machine" for command in commands):
            return heard, PERSON, by_words
        if not self._announcements.opens(heard):
            return heard, MACHINE, by_words
        heard_again, announced_again = self._announced(audio)
        return f"{heard} | {heard_again}", announced_again or MACHINE, by_words

    def _by_words(self, heard: str, answered: bool) -> str:
        said = {o.value for o, phrases in self._words.items() if any(p in heard for p in phrases)}
        if len(said) == 1:
            return said.pop()
        if not answered:
            return NOT_ANNOUNCED
        return MACHINE if any(word in heard for word in self._machine_words) else PERSON


def test_set() -> list[tuple[str, str, str]]:
    """(what is said, what it is, where it is heard)."""
    return [
        *((said, truth, EARLY) for said, truth in ANNOUNCEMENTS),
        *((said, truth, ANSWERED) for said, truth in ANNOUNCEMENTS),
        *((said, MACHINE, ANSWERED) for said in MACHINES),
        *((said, PERSON, ANSWERED) for said in PEOPLE),
    ]


def classify_all(
    progress: CallProgress, voices: dict[str, Renderer], conditions: list[str]
) -> list[Classified]:
    results = []
    for said, truth, path in test_set():
        for voice, render in voices.items():
            pcm, rate = cached(voice, render, said)
            for channel in conditions:
                audio = condition(pcm, rate, channel).tobytes()
                hear = progress.early_media if path == EARLY else progress.after_answer
                results.append(Classified(said, truth, path, voice, channel, *hear(audio)))
    return results


def kind(result: Classified) -> str:
    if result.truth in (MACHINE, PERSON):
        return result.truth
    return f"announcement ({result.path})"


def accuracy(results: list[Classified], by_words: bool = False) -> dict[str, float]:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for result in results:
        found = result.found_by_words if by_words else result.found
        total[kind(result)] += 1
        right[kind(result)] += found == result.truth
    figures = {name: round(right[name] / total[name], 3) for name in total}
    figures["all"] = round(sum(right.values()) / max(1, sum(total.values())), 3)
    return figures


def main() -> None:
    spoken = spoken_set(__doc__.split("\n")[0])
    progress = CallProgress(spoken.settings, spoken.transcriber)
    results = classify_all(progress, spoken.voices, spoken.conditions)
    for result in results:
        if result.found != result.truth:
            print(json.dumps({"misclassified": result.__dict__}, ensure_ascii=False))
    ours, words_only = accuracy(results), accuracy(results, by_words=True)
    print(
        json.dumps(
            {
                "items": {
                    "announcements": len(ANNOUNCEMENTS),
                    "machines": len(MACHINES),
                    "people": len(PEOPLE),
                },
                "recordings": len(results),
                "wrong_announced_outcome": sum(
                    r.found not in (r.truth, PERSON, MACHINE, NOT_ANNOUNCED) for r in results
                ),
                "accuracy": ours,
                "baseline_words_only": words_only,
                "people_taken_for_machines_or_announcements": sum(
                    r.truth == PERSON and r.found != PERSON for r in results
                ),
                "ratio_vs_words_only": round(ours["all"] / max(0.001, words_only["all"]), 3),
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
