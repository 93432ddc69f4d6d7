"""ASR benchmark: CER, decode latency and RTF of the call ASR path on hotline sentences.

Builds its own test set: every sentence of bench/asr_sentences.txt rendered by two offline
voices (the bot's Baker voice and espeak-ng cmn-latn-pinyin), at 16 kHz and through a simulated
phone channel (300–3400 Hz, 8 kHz µ-law, with and without noise). The configured ASR settings
are compared with Whisper's defaults (30 s window, plain prompt) measured in the same run, and
the city's place names (`asr.place_names`) in the decoder prompt and as hotwords, and without
the hotline lexicon's sound-alike correction (`asr.lexicon`, `no-lexicon`).
`cer` is over every sentence, `cer_addresses` over those naming a place, `cer_answers` over
short answers (bench/asr_answers.txt) decoded with the question they answer as context (where
`asr.question_context` is on). Transcripts are scored with numbers in one written form
(18号 = 十八号).

The voice `real` is recordings of real people (AISHELL-1 clips with their reference
transcripts, `transcripts.tsv` beside them; provenance and licences in its SOURCES.md), read from
`--real-speech`, by default `real_speech/` in the shared folder beside the repository. Its `cer`
lines carry `ratio_vs_<voice>`: its CER over a synthetic voice's, same config and condition, in
the same run.

    .venv/bin/python -m bench.asr [--limit N] [--voices baker,real] [--conditions phone]
        [--configs configured]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from bench.phone_channel import PHONE_RATE, phone_channel
from bot.config import AsrConfig, Settings, load_settings
from bot.model_cache import ASSETS
from bot.speech.text_normalizer import normalize_for_speech
from bot.speech.whisper_transcriber import SAMPLE_RATE, WhisperTranscriber
from tests.support.speech import caller_voice, cer, scoring_form

SENTENCES = Path(__file__).with_name("asr_sentences.txt")
ANSWERS = Path(__file__).with_name("asr_answers.txt")
# Silence around an answer, as the call's pre-roll and end-of-turn pause give it.
ANSWER_PAD = int(0.3 * SAMPLE_RATE)
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench-cache"
REAL_SPEECH = ROOT.parent / "shared" / "real_speech"
Renderer = Callable[[str], tuple[np.ndarray, int]]
CONDITIONS = ("16k", "phone", "phone+noise")
ADDRESS = re.compile(r"(?<!小)区|街道")  # sentences naming a district or subdistrict


def sentences() -> list[str]:
    lines = SENTENCES.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def answers() -> list[tuple[str, str]]:
    """(the bot's question, a caller's answer to it)"""
    lines = ANSWERS.read_text(encoding="utf-8").splitlines()
    pairs = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    return [(question, answer) for question, answer in pairs]


def real_speech(directory: Path) -> tuple[Renderer, list[str]]:
    """Recordings of real people: the audio of a reference transcript, and the references."""
    lines = (directory / "transcripts.tsv").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    recordings = {reference: directory / name for name, reference in pairs}

    def load(text: str) -> tuple[np.ndarray, int]:
        pcm, rate = sf.read(recordings[text], dtype="int16")
        return pcm, rate

    return load, list(recordings)


def baker_renderer() -> Renderer:
    voice = caller_voice()

    def render(text: str) -> tuple[np.ndarray, int]:
        pcm = b"".join(voice.synthesize(normalize_for_speech(text)))
        return np.frombuffer(pcm, dtype=np.int16), voice.sample_rate

    return render


def espeak_renderer(text: str) -> tuple[np.ndarray, int]:
    with tempfile.NamedTemporaryFile(suffix=".wav") as wav:
        subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "-w", wav.name, text], check=True)
        pcm, rate = sf.read(wav.name, dtype="int16")
    return pcm, rate


@dataclass(frozen=True)
class SpokenSet:
    """What a bench that speaks its set needs: the settings, the offline voices asked for
    (`--voices`), the channel conditions (`--conditions`) and the call recogniser."""

    settings: Settings
    voices: dict[str, Renderer]
    conditions: list[str]
    transcriber: WhisperTranscriber


def spoken_set(description: str) -> SpokenSet:
    """The command line of a bench that speaks its set, and what it names."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--voices", default="baker,espeak-ng")
    parser.add_argument("--conditions", default="phone,phone+noise")
    args = parser.parse_args()
    settings = load_settings()
    renderers = {"baker": baker_renderer, "espeak-ng": lambda: espeak_renderer}
    model_dir = ASSETS["whisper-base"].check(settings.project_path(settings.models.cache_dir))
    return SpokenSet(
        settings,
        {name: renderers[name]() for name in args.voices.split(",")},
        args.conditions.split(","),
        WhisperTranscriber(model_dir, settings.asr),
    )


def cached(voice: str, render: Renderer, text: str) -> tuple[np.ndarray, int]:
    path = CACHE / voice / (hashlib.sha1(text.encode()).hexdigest()[:16] + ".wav")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pcm, rate = render(text)
        sf.write(path, pcm, rate, subtype="PCM_16")
    pcm, rate = sf.read(path, dtype="int16")
    return pcm, rate


def condition(pcm: np.ndarray, rate: int, name: str) -> np.ndarray:
    """16 kHz int16 audio as the call ASR path would receive it."""
    if name == "16k":
        audio = soxr.resample(pcm, rate, SAMPLE_RATE, quality="HQ")
    else:
        narrow = phone_channel(pcm, rate, snr_db=15 if name == "phone+noise" else None)
        audio = soxr.resample(narrow, PHONE_RATE, SAMPLE_RATE, quality="HQ")
    return np.asarray(audio, dtype=np.int16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, help="use only the first N sentences")
    parser.add_argument("--voices", default="baker,espeak-ng", help="comma-separated")
    parser.add_argument("--conditions", default=",".join(CONDITIONS), help="comma-separated")
    parser.add_argument("--configs", help="comma-separated; all by default")
    parser.add_argument("--real-speech", type=Path, default=REAL_SPEECH, help="voice `real`")
    args = parser.parse_args()
    settings = load_settings()
    texts = sentences()[: args.limit]
    model_dir = ASSETS["whisper-base"].check(settings.project_path(settings.models.cache_dir))
    configs: dict[str, AsrConfig] = {
        "baseline": settings.asr.model_copy(
            update={
                "window_s": 30,
                "initial_prompt": "以下是普通话的句子。",
                "question_context": False,
                "lexicon": [],
                "place_names": [],
            }
        ),
        "configured": settings.asr,
        "no-question-context": settings.asr.model_copy(update={"question_context": False}),
        "no-lexicon": settings.asr.model_copy(update={"lexicon": [], "place_names": []}),
        "place-names-in-prompt": settings.asr.model_copy(update={"place_names_via": "prompt"}),
        "place-names-as-hotwords": settings.asr.model_copy(update={"place_names_via": "hotwords"}),
    }
    if args.configs:
        configs = {name: configs[name] for name in args.configs.split(",")}
    renderers: dict[str, Callable[[], Renderer]] = {
        "baker": baker_renderer,
        "espeak-ng": lambda: espeak_renderer,
    }
    # voice → (its audio of a text, the sentences, the answers to their questions)
    voices: dict[str, tuple[Renderer, list[str], list[tuple[str, str]]]] = {}
    for name in args.voices.split(","):
        if name == "real":
            load, references = real_speech(args.real_speech)
            voices[name] = (load, references[: args.limit], [])
        else:
            voices[name] = (
                partial(cached, name, renderers[name]()),
                texts,
                answers()[: args.limit],
            )
    results: dict[tuple[str, str, str], dict[str, float]] = {}
    for config_name, config in configs.items():
        transcriber = WhisperTranscriber(model_dir, config)
        for voice_name, (load, voice_texts, voice_answers) in voices.items():
            for condition_name in args.conditions.split(","):
                errors = {"all": 0.0, "addresses": 0.0}
                chars = {"all": 0.0, "addresses": 0.0}
                latencies, rtfs = [], []
                for text in voice_texts:
                    pcm, rate = load(text)
                    audio = condition(pcm, rate, condition_name)
                    places = config_name.startswith("place-names")
                    result = transcriber.transcribe_sync(audio.tobytes(), places)
                    length = len(scoring_form(text))
                    addresses = voice_name != "real" and ADDRESS.search(text)
                    for subset in ("all", "addresses") if addresses else ("all",):
                        errors[subset] += cer(text, result.text) * length
                        chars[subset] += length
                    latencies.append(result.decode_s * 1000)
                    rtfs.append(result.decode_s / result.audio_s)
                answered = [0.0, 0.0]  # errors, characters
                for question, answer in voice_answers:
                    pcm, rate = load(answer)
                    audio = np.pad(condition(pcm, rate, condition_name), ANSWER_PAD)
                    result = transcriber.transcribe_sync(audio.tobytes(), question=question)
                    length = len(scoring_form(answer))
                    answered[0] += cer(answer, result.text) * length
                    answered[1] += length
                ordered = sorted(latencies)
                figures = {
                    "cer": errors["all"] / chars["all"],
                    "cer_addresses": errors["addresses"] / max(1, chars["addresses"]),
                    "cer_answers": answered[0] / max(1, answered[1]),
                    "latency_p50_ms": statistics.median(ordered),
                    "latency_p95_ms": ordered[int(0.95 * (len(ordered) - 1))],
                    "rtf": statistics.mean(rtfs),
                }
                if voice_name == "real":  # no addresses or answers among the recordings
                    del figures["cer_addresses"], figures["cer_answers"]
                results[(config_name, voice_name, condition_name)] = figures
    for (config_name, voice_name, condition_name), figures in results.items():
        baseline = results.get(("baseline", voice_name, condition_name), {})
        for figure, value in figures.items():
            line = {
                "bench": "asr",
                "config": config_name,
                "voice": voice_name,
                "condition": condition_name,
                "figure": figure,
                "value": round(value, 4),
                "sentences": len(voices[voice_name][1]),
            }
            if config_name != "baseline" and baseline.get(figure):
                line["ratio_vs_baseline"] = round(value / baseline[figure], 3)
            for synthetic in voices if voice_name == "real" and figure == "cer" else ():
                other = results[(config_name, synthetic, condition_name)]
                if synthetic != "real" and other["cer"]:
                    line[f"ratio_vs_{synthetic}"] = round(value / other["cer"], 3)
            print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
