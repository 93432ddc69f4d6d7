"""Expected-answer recognition, measured beside free decoding: may the recogniser itself pick
a closed answer (满意 / 基本满意 / 不满意, 解决了 / 没解决, yes or no, a category) from the flow's
own phrasings?

For each short answer of bench/asr_answers.txt whose question expects a closed answer, rendered
by the offline voices through the phone channel: the free transcript (the call's ASR path, with
the question as context) read by the slot's type, beside the candidate phrasings scored with
Whisper's own decoder — the log-likelihood of each phrasing (and the end of the utterance)
given the encoder output, computed once per utterance, all candidates in one batch — the best
taken when it leads the next by `--margin` nats. Candidates come from the flows: the keyed
answers of the survey's slots, the complaint category's values, and the yes/no words.

Prints, per answer kind and overall: the share of answers read right and read wrong (a wrong
value stored is worse than none) by each method, and the scoring's added time per utterance
against the free decode measured in the same run (`ratio_vs_free_decode`).

    .venv/bin/python -m bench.expected_answers [--voices baker,espeak-ng] [--margin 2.0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer

from bench.asr import Renderer, answers, baker_renderer, cached, condition, espeak_renderer
from bot.config import load_settings
from bot.dialogue.slot_types import slot_type
from bot.flows.flow_set import load_flows
from bot.flows.model import Slot
from bot.model_cache import ASSETS
from bot.speech.whisper_transcriber import SAMPLE_RATE, WhisperTranscriber

ROOT = Path(__file__).resolve().parent.parent
YES_NO = Slot(type="yes_no", ask="")
YES_NO_WORDS = ("是的", "对", "方便", "不是", "不对", "不方便")


@dataclass
class Kind:
    """A closed answer the bot may expect, with the phrasings it listens for."""

    slot: Slot
    candidates: tuple[str, ...]
    read: dict[str, list[bool | None]] = field(default_factory=dict)  # method → right?
    # Free reads heard below asr.check_below (those the bot would say back), right or wrong.
    unsure: list[bool] = field(default_factory=list)


def kinds() -> dict[str, Kind]:
    flows = load_flows([ROOT / "dialogs"])
    survey = flows.flow("survey").slots
    category = flows.flow("complaint").slots["category"]
    return {
        "resolved": Kind(survey["resolved"], tuple(survey["resolved"].keys.values())),
        "satisfaction": Kind(survey["satisfaction"], tuple(survey["satisfaction"].keys.values())),
        "yes_no": Kind(YES_NO, YES_NO_WORDS),
        "category": Kind(category, tuple(category.values)),
    }


def kind_of(question: str) -> str | None:
    if "解决" in question:
        return "resolved"
    if "满意" in question:
        return "satisfaction"
    if "哪一类" in question:
        return "category"
    if "方便吗" in question or "请问您是" in question:
        return "yes_no"
    return None


class AnswerScorer:
    """Log-likelihoods of candidate phrasings given one utterance, from Whisper's decoder."""

    def __init__(self, model: WhisperModel, language: str) -> None:
        self._model = model
        self._tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=language)

    def scores(self, audio: np.ndarray, prompt: str, candidates: tuple[str, ...]) -> list[float]:
        tokenizer = self._tokenizer
        frames = min(3000, int(len(audio) / SAMPLE_RATE * 100) + 50)
        encoded = np.asarray(self._model.encode(self._model.feature_extractor(audio)[..., :frames]))
        context = tokenizer.encode(" " + prompt.strip())[-200:]
        start = [tokenizer.sot_prev, *context, *tokenizer.sot_sequence, tokenizer.no_timestamps]
        phrasings = [tokenizer.encode(candidate) for candidate in candidates]
        batch = ctranslate2.StorageView.from_array(
            np.ascontiguousarray(np.repeat(encoded, len(phrasings), axis=0))
        )
        results = self._model.model.generate(
            batch,
            [start + tokens for tokens in phrasings],
            beam_size=1,
            max_length=len(start) + max(map(len, phrasings)) + 2,
            return_logits_vocab=True,
            suppress_blank=False,
            suppress_tokens=[],
        )
        scores = []
        for tokens, result in zip(phrasings, results, strict=True):
            steps = result.logits[0]  # steps[k]: the distribution the k-th token is drawn from
            if len(steps) <= len(tokens):
                raise RuntimeError(f"{len(steps)} decoder steps for {len(tokens)} tokens")
            total = sum(_log_softmax(steps[k])[token] for k, token in enumerate(tokens))
            scores.append(float(total + _log_softmax(steps[len(tokens)])[tokenizer.eot]))
        return scores


def _log_softmax(logits: object) -> np.ndarray:
    values = np.asarray(logits, np.float64).reshape(-1)
    shifted = values - values.max()
    return shifted - np.log(np.exp(shifted).sum())


def picked(scores: list[float], candidates: tuple[str, ...], margin: float) -> str | None:
    order = np.argsort(scores)[::-1]
    best, second = scores[order[0]], scores[order[1]]
    return candidates[order[0]] if best - second >= margin else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--voices", default="baker,espeak-ng")
    parser.add_argument("--conditions", default="phone,phone+noise")
    parser.add_argument("--margin", type=float, default=2.0, help="nats the best must lead by")
    args = parser.parse_args()
    settings = load_settings()
    model_dir = ASSETS["whisper-base"].check(settings.project_path(settings.models.cache_dir))
    transcriber = WhisperTranscriber(model_dir, settings.asr)
    scorer = AnswerScorer(
        WhisperModel(
            str(model_dir), device="cpu", compute_type="int8", cpu_threads=settings.asr.cpu_threads
        ),
        settings.asr.language,
    )
    renderers: dict[str, Renderer] = {"baker": baker_renderer(), "espeak-ng": espeak_renderer}
    expected = kinds()
    today = dt.date.today()
    free_s: list[float] = []
    scoring_s: list[float] = []
    for question, answer in answers():
        name = kind_of(question)
        if name is None:
            continue
        kind = expected[name]
        reader = slot_type(kind.slot)
        truth = reader.answer_value(answer, kind.slot, today)
        if truth is None:
            continue  # the typed answer itself is no closed answer: nothing to score against
        for voice in args.voices.split(","):
            pcm, rate = cached(voice, renderers[voice], answer)
            for channel in args.conditions.split(","):
                audio = condition(pcm, rate, channel)
                heard = transcriber.transcribe_sync(audio.tobytes(), False, question)
                free_s.append(heard.decode_s)
                free = reader.answer_value(heard.text, kind.slot, today)
                confidence = heard.confidence if heard.confidence is not None else 1.0
                if free is not None and confidence < settings.asr.check_below:
                    kind.unsure.append(free == truth)
                started = time.perf_counter()
                samples = audio.astype(np.float32) / 32768.0
                prompt = transcriber.prompt_for(False, question)
                scores = scorer.scores(samples, prompt, kind.candidates)
                scoring_s.append(time.perf_counter() - started)
                choice = picked(scores, kind.candidates, args.margin)
                scored = None if choice is None else reader.answer_value(choice, kind.slot, today)
                for method, value in (("free", free), ("scored", scored)):
                    right = None if value is None else value == truth
                    kind.read.setdefault(method, []).append(right)
                # Scoring only where the free transcript gives no value (never overruling it).
                fallback = free if free is not None else scored
                kind.read.setdefault("free_then_scored", []).append(
                    None if fallback is None else fallback == truth
                )
    for name, kind in [*expected.items(), ("all", None)]:
        pool = expected.values() if kind is None else [kind]
        for method in ("free", "scored", "free_then_scored"):
            reads = [r for k in pool for r in k.read.get(method, [])]
            if not reads:
                continue
            print(
                json.dumps(
                    {
                        "bench": "expected_answers",
                        "answers": name,
                        "method": method,
                        "utterances": len(reads),
                        "right": round(sum(r is True for r in reads) / len(reads), 3),
                        "wrong": round(sum(r is False for r in reads) / len(reads), 3),
                        "margin": args.margin,
                    },
                    ensure_ascii=False,
                )
            )
        free_reads = [r for k in pool for r in k.read.get("free", []) if r is not None]
        unsure = [right for k in pool for right in k.unsure]
        print(
            json.dumps(
                {
                    "bench": "expected_answers",
                    "answers": name,
                    "method": "free",
                    "check_below": settings.asr.check_below,
                    # of the values read, those heard below the threshold, right and wrong
                    "wrong_heard_unsure": sum(not r for r in unsure),
                    "wrong_read": sum(not r for r in free_reads),
                    "right_heard_unsure": sum(unsure),
                    "right_read": sum(free_reads),
                }
            )
        )
    free_p50, scoring_p50 = statistics.median(free_s), statistics.median(scoring_s)
    print(
        json.dumps(
            {
                "bench": "expected_answers",
                "free_decode_p50_ms": round(free_p50 * 1000, 1),
                "scoring_p50_ms": round(scoring_p50 * 1000, 1),
                "ratio_vs_free_decode": round(scoring_p50 / free_p50, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
