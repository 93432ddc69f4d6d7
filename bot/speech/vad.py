"""webrtcvad as a pipecat VADAnalyzer: light, deterministic, good on 8 and 16 kHz speech."""

from __future__ import annotations

import webrtcvad
from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADParams
from pipecat.processors.audio.vad_processor import VADProcessor

from bot.config import VadConfig

SUPPORTED_RATES = (8000, 16000, 32000, 48000)
FRAME_MS = 20


class WebRTCVADAnalyzer(VADAnalyzer):
    """Scores each 20 ms frame as speech (1.0) or not (0.0) with Google's WebRTC VAD.

    The base class turns the scores into QUIET/STARTING/SPEAKING/STOPPING using
    `params.start_secs` / `params.stop_secs`, so `stop_secs` is the end-of-turn silence.
    """

    def __init__(
        self,
        *,
        aggressiveness: int = 2,
        sample_rate: int | None = None,
        params: VADParams | None = None,
    ) -> None:
        super().__init__(sample_rate=sample_rate, params=params)
        self._vad = webrtcvad.Vad(aggressiveness)

    def set_sample_rate(self, sample_rate: int) -> None:
        rate = self._init_sample_rate or sample_rate
        if rate not in SUPPORTED_RATES:
            raise ValueError(f"webrtcvad supports {SUPPORTED_RATES} Hz audio, not {rate} Hz.")
        super().set_sample_rate(sample_rate)

    def num_frames_required(self) -> int:
        return self.sample_rate * FRAME_MS // 1000

    def voice_confidence(self, buffer: bytes) -> float:
        return 1.0 if self._vad.is_speech(buffer, self.sample_rate) else 0.0


def turn_detector(config: VadConfig) -> VADProcessor:
    """The call pipeline's VAD stage: audio in, VADUserStarted/StoppedSpeakingFrame out."""
    return VADProcessor(
        vad_analyzer=WebRTCVADAnalyzer(
            aggressiveness=config.aggressiveness,
            params=VADParams(
                confidence=0.5,
                start_secs=config.start_s,
                stop_secs=config.stop_s,
                min_volume=config.min_volume,
            ),
        )
    )
