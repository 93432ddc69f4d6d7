"""Final-transcript latency: how soon after the caller stops speaking the ASR has the text.

Streams hotline sentences (Baker voice, simulated phone channel, 8 kHz as SIP delivers them)
in real time through the call's own VAD stage and WhisperSTTService. For each turn:

- `ready`: from the end of speech (the last audible sample) until the final transcript's
  text exists: what the ASR adds after the caller stops (also over the turns of 2.5–3.5 s);
- `delivered`: until the TranscriptionFrame leaves the service, at the end of the turn
  (`vad.stop_s` of silence), which is when the dialogue acts on it;
- `decodes`: Whisper decodes per turn (interims, speculative and final ones);
- `cer` of the delivered finals.

The baseline, measured in the same run, starts the final decode after 150 ms of webrtcvad
silence (the previous setting); `configured` is config/hotline.yaml.

    .venv/bin/python -m bench.asr_latency [--sentences 24] [--conditions phone,phone+noise]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from pipecat.frames.frames import Frame, InputAudioRawFrame, TranscriptionFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import run_test

from bench.asr import baker_renderer, cached, sentences
from bench.phone_channel import PHONE_RATE, phone_channel
from bot.config import AsrConfig, load_settings
from bot.model_cache import ASSETS
from bot.speech.transcript import Transcript
from bot.speech.vad import turn_detector
from bot.speech.whisper_stt import WhisperSTTService
from bot.speech.whisper_transcriber import WhisperTranscriber
from tests.support.speech import cer, scoring_form

FRAME = PHONE_RATE // 50  # 20 ms, as RTP delivers it
LEAD_S, TAIL_S = 0.3, 1.5
AUDIBLE = 0.02  # of the utterance's peak: below this the speech has ended


@dataclass
class Turn:
    """One sentence as the line carries it, and where its speech ends."""

    text: str
    audio: np.ndarray
    speech_end_s: float


@dataclass
class Timings:
    arrived: dict[int, float] = field(default_factory=dict)  # audio frame index → clock
    finals: list[tuple[float, Transcript]] = field(default_factory=list)


class _Line(FrameProcessor):
    """Lets each 20 ms audio frame through at its own moment on the wall clock, as RTP
    would deliver it, and notes when it went."""

    def __init__(self, timings: Timings) -> None:
        super().__init__()
        self._timings = timings
        self._index = 0
        self._start = 0.0

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            if not self._index:
                self._start = time.perf_counter()
            due = self._start + self._index * FRAME / PHONE_RATE
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            self._timings.arrived[self._index] = time.perf_counter()
            self._index += 1
        await self.push_frame(frame, direction)


class _FinalClock(FrameProcessor):
    """Notes when each final transcript leaves the STT."""

    def __init__(self, timings: Timings) -> None:
        super().__init__()
        self._timings = timings

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TranscriptionFrame):
            self._timings.finals.append((time.perf_counter(), frame.result))
        await self.push_frame(frame, direction)


class CountingTranscriber:
    """The shared transcriber, counting decodes."""

    def __init__(self, transcriber: WhisperTranscriber) -> None:
        self._transcriber = transcriber
        self.decodes = 0

    async def transcribe(
        self, pcm16: bytes, places: bool = False, question: str = ""
    ) -> Transcript:
        self.decodes += 1
        return await self._transcriber.transcribe(pcm16, places, question)

    async def transcribe_interim(
        self, pcm16: bytes, places: bool = False, question: str = ""
    ) -> Transcript | None:
        transcript = await self._transcriber.transcribe_interim(pcm16, places, question)
        self.decodes += transcript is not None
        return transcript


def line_turn(text: str, noisy: bool) -> Turn:
    pcm, rate = cached("baker", baker_renderer_once(), text)
    padded = np.concatenate(
        [np.zeros(int(rate * LEAD_S), np.int16), pcm, np.zeros(int(rate * TAIL_S), np.int16)]
    )
    magnitude = np.abs(padded.astype(np.int32))
    loud = np.nonzero(magnitude > AUDIBLE * magnitude.max())[0]
    audio = phone_channel(padded, rate, snr_db=15 if noisy else None)
    return Turn(text, audio, (loud[-1] + 1) / rate)


_renderer = None


def baker_renderer_once():  # type: ignore[no-untyped-def]
    global _renderer
    if _renderer is None:
        _renderer = baker_renderer()
    return _renderer


async def stream(turn: Turn, transcriber: CountingTranscriber, config: AsrConfig) -> dict:
    settings = load_settings()
    timings = Timings()
    stt = WhisperSTTService(
        transcriber=transcriber,  # type: ignore[arg-type]
        interim_transcriber=transcriber,
        sample_rate=PHONE_RATE,
        interim_interval_s=config.interim_interval_s,
        pause_s=config.pause_s,
        vad_pause_s=config.vad_pause_s,
        pause_floor_db=config.pause_floor_db,
    )
    frames: list[Frame] = [
        InputAudioRawFrame(turn.audio[start : start + FRAME].tobytes(), PHONE_RATE, 1)
        for start in range(0, len(turn.audio) - FRAME + 1, FRAME)
    ]
    before = transcriber.decodes
    pipeline = Pipeline([_Line(timings), turn_detector(settings.vad), stt, _FinalClock(timings)])
    await run_test(
        pipeline,
        frames_to_send=frames,
        expected_down_frames=None,
        pipeline_params=PipelineParams(audio_in_sample_rate=PHONE_RATE),
    )
    end_frame = int(turn.speech_end_s * PHONE_RATE) // FRAME
    # The frame holding the last audible sample arrives when it is complete; speech ended
    # that much earlier.
    overhang = ((end_frame + 1) * FRAME / PHONE_RATE) - turn.speech_end_s
    speech_end = timings.arrived[end_frame] - overhang
    delivered_at, result = timings.finals[-1] if timings.finals else (float("nan"), None)
    text = "".join(t.text for _, t in timings.finals)
    return {
        "ready_ms": ((result.done_at if result else float("nan")) - speech_end) * 1000,
        "delivered_ms": (delivered_at - speech_end) * 1000,
        "decodes": transcriber.decodes - before,
        "cer": cer(turn.text, text),
        "audio_s": turn.speech_end_s - LEAD_S,
        "chars": len(scoring_form(turn.text)),
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[int(share * (len(ordered) - 1))]


async def run(args: argparse.Namespace) -> None:
    settings = load_settings()
    texts = sentences()
    step = max(1, len(texts) // args.sentences)
    texts = texts[::step][: args.sentences]
    model_dir = ASSETS["whisper-base"].check(settings.project_path(settings.models.cache_dir))
    transcriber = CountingTranscriber(WhisperTranscriber(model_dir, settings.asr))
    configs = {
        "baseline": settings.asr.model_copy(
            update={"pause_s": 0.15, "vad_pause_s": 0.15, "pause_floor_db": -200}
        ),
        "configured": settings.asr,
    }
    for condition in args.conditions.split(","):
        turns = [line_turn(text, condition == "phone+noise") for text in texts]
        results: dict[str, dict[str, float]] = {}
        for name, config in configs.items():
            rows = []
            for number, turn in enumerate(turns, 1):
                rows.append(await stream(turn, transcriber, config))
                print(f"{condition} {name}: {number}/{len(turns)}", file=sys.stderr, flush=True)
            ready = [row["ready_ms"] for row in rows]
            about_3s = [row["ready_ms"] for row in rows if 2.5 <= row["audio_s"] <= 3.5]
            delivered = [row["delivered_ms"] for row in rows]
            chars = sum(row["chars"] for row in rows)
            results[name] = {
                "ready_p50_ms": statistics.median(ready),
                "ready_p95_ms": percentile(ready, 0.95),
                "ready_p50_ms_3s_turns": statistics.median(about_3s) if about_3s else float("nan"),
                "turns_of_3s": len(about_3s),
                "delivered_p50_ms": statistics.median(delivered),
                "delivered_p95_ms": percentile(delivered, 0.95),
                "decodes_per_turn": statistics.mean(row["decodes"] for row in rows),
                "cer": sum(row["cer"] * row["chars"] for row in rows) / chars,
                "utterance_p50_s": statistics.median(row["audio_s"] for row in rows),
            }
        for name, figures in results.items():
            for figure, value in figures.items():
                line = {
                    "bench": "asr_latency",
                    "config": name,
                    "condition": condition,
                    "figure": figure,
                    "value": round(value, 4),
                    "sentences": len(turns),
                }
                baseline = results["baseline"][figure]
                if name != "baseline" and baseline:
                    line["ratio_vs_baseline"] = round(value / baseline, 3)
                print(json.dumps(line, ensure_ascii=False), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=24, help="how many sentences to stream")
    parser.add_argument("--conditions", default="phone,phone+noise", help="comma-separated")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
