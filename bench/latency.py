"""Voice-to-voice latency over SIP, measured on the wire.

sipp callers speak recorded questions (µ-law RTP) to the bot; tcpdump captures both directions
on loopback. For each call the figure is: last non-silent packet of the caller's question →
first non-silent packet of the bot's answer. One call first, then N concurrent calls, on:

* `hotline`: this project's pipeline (streaming ASR with pause-time decoding, clause TTS);
* `stock`: the same transport, VAD, barge-in and dialogue with pipecat's stock
  `WhisperSTTService` (same Whisper base model, int8) and `PiperTTSService`. No Mandarin piper
  voice can be installed offline, so the stock TTS speaks with the en_US voice: its timings
  are comparable, its words are not.

Prints one JSON line per pipeline and concurrency (p50/p95 in ms; the bot's CPU seconds per
call-minute, in all, decoding, and by thread (bench.cpu)) and the ratios of this pipeline to
the stock one measured in the same run.

First, unless `--turn-taking ''`: one call over the many turns of bench/latency_turns.txt and
the false cut-offs on turns with a mid-sentence pause (bench.turn_taking), with the words'
end of turn and the fixed silence before it.

    .venv/bin/python -m bench.latency [--concurrency 1,4] [--pipelines hotline,stock]
        [--stagger-ms 1000] [--turn-taking words,fixed]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pipecat.processors.frame_processor import FrameProcessor
from pipecat.services.piper.tts import PiperTTSService
from pipecat.services.whisper.stt import WhisperSTTService
from pipecat.transcriptions.language import Language

from bench import turn_taking
from bench.cpu import spent_since, thread_cpu
from bench.wire import latency_ms
from bot.config import Settings, load_settings
from bot.metrics import ASR_DECODE
from bot.model_cache import ASSETS
from bot.pipeline import CallServices
from bot.sip_calls import SipCalls
from tests.conftest import free_udp_port
from tests.support.sip_peers import (
    RtpCapture,
    call_once,
    scenario,
    stream_ulaw,
    write_ulaw,
)
from tests.support.speech import speak, write_wav

QUESTIONS = ["我想问一下公积金怎么提取", "居住证怎么办理", "医保报销需要什么材料"]
# The caller waits for the greeting to end (or barges in on a long one), asks, then listens.
LEAD_MS = 9000
LISTEN_MS = 15000
MEDIA_PORTS = range(26000, 26400, 20)
PIPER_VOICE = "en_US-joe-medium"


class StockServices(CallServices):
    """The baseline: pipecat's stock STT and TTS services in the same call pipeline."""

    phone_input_rate = 16000  # the stock Whisper service reads 16 kHz PCM as it comes
    piper_dir: Path = Path()

    def speech_to_text(self) -> FrameProcessor:
        model = ASSETS["whisper-base"].check(self._cache_dir())
        return WhisperSTTService(
            device="cpu",
            compute_type="int8",
            settings=WhisperSTTService.Settings(model=str(model), language=Language.ZH),
        )

    def text_to_speech(self) -> FrameProcessor:
        return PiperTTSService(
            download_dir=self.piper_dir, settings=PiperTTSService.Settings(voice=PIPER_VOICE)
        )

    def _cache_dir(self) -> Path:
        return self.settings.project_path(self.settings.models.cache_dir)


def _stock(settings: Settings, workdir: Path) -> StockServices:
    base = CallServices.load(settings)
    stock = StockServices(**{name: getattr(base, name) for name in base.__dataclass_fields__})
    voice = ASSETS["en-joe"].check(stock._cache_dir())
    stock.piper_dir = workdir / "piper"
    stock.piper_dir.mkdir()
    (stock.piper_dir / f"{PIPER_VOICE}.onnx").symlink_to(voice / "voice.onnx")
    (stock.piper_dir / f"{PIPER_VOICE}.onnx.json").symlink_to(voice / "voice.onnx.json")
    return stock


async def _later(delay_s: float, xml: Path, sip_port: int, media_port: int, workdir: Path) -> float:
    """Run a sipp caller after `delay_s`; how long its call lasted (s)."""
    await asyncio.sleep(delay_s)
    started = time.monotonic()
    timeout_s = (LEAD_MS + LISTEN_MS) / 1000 + 30
    await call_once(xml, sip_port, timeout_s=timeout_s, workdir=workdir, media_port=media_port)
    return time.monotonic() - started


@dataclass(frozen=True)
class Round:
    latencies_ms: list[float | None]
    cpu_s: float  # this process (the bot: pipeline, VAD, ASR, TTS, RTP), all threads
    asr_s: float  # of which decoding (the decoders' own time)
    threads: dict[str, float]  # CPU seconds by thread group (bench.cpu)
    call_minutes: float

    def cost(self) -> dict[str, object]:
        """CPU seconds per call-minute: in all, decoding, and by thread group."""
        return {
            "cpu_s_per_call_minute": round(self.cpu_s / self.call_minutes, 2),
            "asr_s_per_call_minute": round(self.asr_s / self.call_minutes, 2),
            "cpu_s_per_call_minute_by_thread": {
                group: round(seconds / self.call_minutes, 2)
                for group, seconds in self.threads.items()
            },
        }


async def call_round(
    sip_port: int, questions: list[Path], workdir: Path, stagger_ms: int = 0
) -> Round:
    """Place one call per question at once and measure each on the wire, and the CPU the bot
    spent on them; the n-th call starts n × `stagger_ms` later (0: a burst, every question
    ends within about a second)."""
    ports = list(MEDIA_PORTS)[: len(questions)]
    cpu, decoding, threads = time.process_time(), ASR_DECODE._sum.get(), thread_cpu()
    low, high = ports[0], ports[-1] + 1
    with RtpCapture(workdir / "round.pcap", expression=f"udp and portrange {low}-{high}") as cap:
        calls = []
        for n, (audio, port) in enumerate(zip(questions, ports, strict=True)):
            calldir = workdir / f"call{n}"
            calldir.mkdir(exist_ok=True)
            xml = scenario(
                "caller",
                calldir,
                caller=f"1380000{n:04d}",
                lead_ms=LEAD_MS,
                listen_ms=LISTEN_MS,
                media=stream_ulaw(audio),
            )
            calls.append(_later(n * stagger_ms / 1000, xml, sip_port, port, calldir))
        call_minutes = sum(await asyncio.gather(*calls)) / 60
    packets = cap.packets()
    return Round(
        [latency_ms(packets, port) for port in ports],
        time.process_time() - cpu,
        ASR_DECODE._sum.get() - decoding,
        spent_since(threads),
        call_minutes,
    )


def _summary(
    name: str, concurrency: int, stagger_ms: int, measured_round: Round
) -> dict[str, object]:
    figures = measured_round.latencies_ms
    measured = sorted(f for f in figures if f is not None)
    p95 = measured[min(len(measured) - 1, round(0.95 * (len(measured) - 1)))] if measured else None
    return {
        "figure": "voice_to_voice_ms",
        "pipeline": name,
        "concurrency": concurrency,
        "turn_ends": f"{stagger_ms} ms apart" if stagger_ms else "burst",
        "calls": len(figures),
        "answered": len(measured),
        "p50_ms": round(statistics.median(measured), 1) if measured else None,
        "p95_ms": p95,
        **measured_round.cost(),
    }


async def bench(levels: list[int], names: list[str], stagger_ms: int, workdir: Path) -> None:
    settings = load_settings()
    questions = [
        write_ulaw(write_wav(workdir / f"q{n}.wav", speak(text, 8000), 8000), workdir / f"q{n}.ul")
        for n, text in enumerate(QUESTIONS)
    ]
    loaders = {
        "hotline": lambda: CallServices.load(settings),
        "stock": lambda: _stock(settings, workdir),
    }
    pipelines = {name: loaders[name]() for name in names}
    results: dict[tuple[str, int], dict[str, object]] = {}
    for name, services in pipelines.items():
        await asyncio.to_thread(services.warm_prompts)
        sip = SipCalls(
            settings.sip.model_copy(update={"host": "127.0.0.1", "port": free_udp_port()}), services
        )
        await sip.start()
        try:
            for level in levels:
                round_questions = [questions[n % len(questions)] for n in range(level)]
                measured = await call_round(sip.endpoint.port, round_questions, workdir, stagger_ms)
                results[name, level] = _summary(name, level, stagger_ms, measured)
                print(json.dumps(results[name, level]), flush=True)
        finally:
            await sip.stop()
    for level in levels if len(pipelines) == 2 else []:
        ours, stock = results["hotline", level], results["stock", level]
        for key in ("p50_ms", "p95_ms"):
            if ours[key] is not None and stock[key] is not None:
                print(
                    json.dumps(
                        {
                            "figure": f"voice_to_voice_{key}_ratio",
                            "concurrency": level,
                            "hotline": ours[key],
                            "stock": stock[key],
                            "ratio": round(float(ours[key]) / float(stock[key]), 3),  # type: ignore[arg-type]
                        }
                    )
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--concurrency", default="1,4", help="comma-separated concurrent call counts"
    )
    parser.add_argument(
        "--pipelines", default="hotline,stock", help="hotline, stock (the baseline) or both"
    )
    parser.add_argument(
        "--stagger-ms", type=int, default=0, help="between callers' turn ends (0: a burst)"
    )
    parser.add_argument(
        "--turn-taking",
        default="words,fixed",
        help="end-of-turn settings for the one-call turns and cut-offs first ('': skip)",
    )
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as workdir:
        if args.turn_taking:
            turns_dir = Path(workdir) / "turn-taking"
            turns_dir.mkdir()
            asyncio.run(turn_taking.bench(args.turn_taking.split(","), None, turns_dir))
        asyncio.run(bench(levels, args.pipelines.split(","), args.stagger_ms, Path(workdir)))


if __name__ == "__main__":
    main()
