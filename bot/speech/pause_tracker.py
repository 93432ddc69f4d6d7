"""Frame-level speech/pause tracking inside a caller turn, to decode before the turn ends.

The turn only ends after `vad.stop_s` of silence; a pause that may be the end starts much
earlier. Knowing where the last speech frame was lets the STT decode at the pause and reuse
that result if nothing but silence followed.

webrtcvad alone keeps calling a fading syllable speech for about 90 ms after it is inaudible
(measured on the bench's phone-band sentences). A frame far below the turn's own speech
level is therefore a pause too, whatever webrtcvad says, and such a quiet pause is sure
evidence early (`quiet_s`). On a noisy line the noise sits above that floor: webrtcvad
decides alone, and its pauses (`silence_s`) deserve a longer wait.
"""

from __future__ import annotations

import numpy as np
import webrtcvad

FRAME_MS = 20
# The speech level follows the loudest recent frame, falling about 2 dB per second.
PEAK_DECAY = 0.995


class PauseTracker:
    def __init__(self, sample_rate: int, aggressiveness: int = 2, floor_db: float = -30.0) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._rate = sample_rate
        self._frame_bytes = sample_rate * FRAME_MS // 1000 * 2
        self._floor = 10 ** (floor_db / 20)
        self._pending = bytearray()
        self._peak = 0.0
        self._quiet_frames = 0  # consecutive frames below the floor, up to now
        self.total_bytes = 0
        self.speech_end_bytes = 0  # audio length up to the end of the last speech frame

    def reset(self, already_bytes: int) -> None:
        """Start a turn whose first `already_bytes` (the pre-roll) count as speech."""
        self._pending.clear()
        self._peak = 0.0
        self._quiet_frames = 0
        self.total_bytes = already_bytes
        self.speech_end_bytes = already_bytes

    def feed(self, pcm: bytes) -> None:
        self._pending.extend(pcm)
        while len(self._pending) >= self._frame_bytes:
            frame = bytes(self._pending[: self._frame_bytes])
            del self._pending[: self._frame_bytes]
            self.total_bytes += self._frame_bytes
            if self._is_speech(frame):
                self.speech_end_bytes = self.total_bytes

    def _is_speech(self, frame: bytes) -> bool:
        samples = np.frombuffer(frame, dtype=np.int16).astype(np.float32)
        level = float(np.sqrt(np.mean(samples**2)))
        self._peak = max(self._peak * PEAK_DECAY, level)
        quiet = level < self._peak * self._floor
        self._quiet_frames = self._quiet_frames + 1 if quiet else 0
        return not quiet and self._vad.is_speech(frame, self._rate)

    @property
    def quiet_s(self) -> float:
        """How long the line has been far below the caller's speech level."""
        return self._quiet_frames * FRAME_MS / 1000

    @property
    def silence_s(self) -> float:
        """How long the caller has been silent (0 while speaking)."""
        return (self.total_bytes - self.speech_end_bytes) / 2 / self._rate
