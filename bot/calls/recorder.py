"""Two-channel WAV recording of a call (left: caller, right: bot), streamed to disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
from pipecat.processors.audio.audio_buffer_processor import AudioBufferProcessor

RECORDING_RATE = 16000


class CallRecorder:
    """Wraps pipecat's AudioBufferProcessor (place it after the output transport)."""

    def __init__(self, path: Path, flush_s: float = 1.0) -> None:
        self.path = path
        self._file: sf.SoundFile | None = None
        self.processor = AudioBufferProcessor(
            sample_rate=RECORDING_RATE,
            num_channels=2,
            buffer_size=int(RECORDING_RATE * 2 * 2 * flush_s),
        )
        self.processor.add_event_handler("on_audio_data", self._write)

    async def start(self) -> None:
        await self.processor.start_recording()

    async def _write(
        self, _processor: object, audio: bytes, sample_rate: int, channels: int
    ) -> None:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = sf.SoundFile(
                self.path, "w", samplerate=sample_rate, channels=channels, subtype="PCM_16"
            )
        samples = np.frombuffer(audio, dtype=np.int16).reshape(-1, channels)
        self._file.write(samples)
        self._file.flush()

    async def stop(self) -> None:
        await self.processor.stop_recording()
        if self._file is not None:
            self._file.close()
            self._file = None
