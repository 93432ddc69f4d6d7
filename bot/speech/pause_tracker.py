"""Frame-level speech/pause tracking inside a caller turn, to decode before the turn ends.

The turn only ends after `vad.stop_s` of silence; a pause that may be the end starts much
earlier. Knowing where the last speech frame was lets the STT decode at the pause and reuse
that result if nothing but silence followed.
"""

from __future__ import annotations

import webrtcvad

FRAME_MS = 20


class PauseTracker:
    def __init__(self, sample_rate: int, aggressiveness: int = 2) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._rate = sample_rate
        self._frame_bytes = sample_rate * FRAME_MS // 1000 * 2
        self._pending = bytearray()
        self.total_bytes = 0
        self.speech_end_bytes = 0  # audio length up to the end of the last speech frame

    def reset(self, already_bytes: int) -> None:
        """Start a turn whose first `already_bytes` (the pre-roll) count as speech."""
        self._pending.clear()
        self.total_bytes = already_bytes
        self.speech_end_bytes = already_bytes

    def feed(self, pcm: bytes) -> None:
        self._pending.extend(pcm)
        while len(self._pending) >= self._frame_bytes:
            frame = bytes(self._pending[: self._frame_bytes])
            del self._pending[: self._frame_bytes]
            self.total_bytes += self._frame_bytes
            if self._vad.is_speech(frame, self._rate):
                self.speech_end_bytes = self.total_bytes

    @property
    def silence_s(self) -> float:
        """How long the caller has been silent (0 while speaking)."""
        return (self.total_bytes - self.speech_end_bytes) / 2 / self._rate
