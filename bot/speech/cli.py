"""`hotline say` and `hotline transcribe`: the exact TTS and ASR paths calls use, from a shell."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from faster_whisper import decode_audio

from bot.config import Settings
from bot.model_cache import ASSETS
from bot.speech.text_normalizer import normalize_for_speech
from bot.speech.voice_registry import load_voice
from bot.speech.whisper_transcriber import SAMPLE_RATE, WhisperTranscriber


def add_speech_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    say = subparsers.add_parser("say", help="render text through the call TTS path to a WAV")
    say.add_argument("text")
    say.add_argument("-o", "--output", type=Path, required=True, help="WAV file to write")
    say.add_argument("--voice", help="voice registry entry (default: tts.language)")
    say.add_argument("--rate", type=int, help="sample rate, e.g. 8000 (default: the voice's)")
    transcribe = subparsers.add_parser("transcribe", help="transcribe audio files like calls do")
    transcribe.add_argument("files", nargs="+", type=Path)
    transcribe.add_argument("--json", action="store_true", help="one JSON object per file")


def run_say(args: argparse.Namespace, settings: Settings) -> int:
    voice = load_voice(
        settings.project_path(settings.tts.voices_file),
        settings.project_path(settings.models.cache_dir),
        args.voice or settings.tts.language,
    )
    started = time.perf_counter()
    pcm = np.frombuffer(b"".join(voice.synthesize(normalize_for_speech(args.text))), np.int16)
    rate = args.rate or voice.sample_rate
    if rate != voice.sample_rate:
        pcm = soxr.resample(pcm, voice.sample_rate, rate, quality="HQ").astype(np.int16)
    sf.write(args.output, pcm, rate, subtype="PCM_16")
    print(
        f"wrote {args.output}: {len(pcm) / rate:.2f} s at {rate} Hz by {voice.name} "
        f"in {time.perf_counter() - started:.2f} s"
    )
    return 0


def run_transcribe(args: argparse.Namespace, settings: Settings) -> int:
    cache_dir = settings.project_path(settings.models.cache_dir)
    transcriber = WhisperTranscriber(ASSETS["whisper-base"].check(cache_dir), settings.asr)
    failed = 0
    for path in args.files:
        try:
            audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
        except Exception as exc:  # any unreadable file: say which, go on with the rest
            print(f"{path}: cannot read audio ({exc})")
            failed += 1
            continue
        pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16).tobytes()
        result = transcriber.transcribe_sync(pcm)
        if args.json:
            print(
                json.dumps(
                    {
                        "file": str(path),
                        "text": result.text,
                        "audio_s": round(result.audio_s, 3),
                        "decode_s": round(result.decode_s, 3),
                        "rtf": round(result.decode_s / result.audio_s, 3)
                        if result.audio_s
                        else None,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            print(f"{path}: {result.text}")
    return 1 if failed else 0
