"""Any piper voice (.onnx + .onnx.json), synthesised in-process sentence by sentence."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from piper import PiperVoice as _Piper
from piper import SynthesisConfig


class PiperVoice:
    def __init__(self, model_path: Path, name: str, length_scale: float | None = None) -> None:
        self.name = name
        self._voice = _Piper.load(model_path)
        self._config = SynthesisConfig(length_scale=length_scale)
        self.sample_rate: int = self._voice.config.sample_rate

    def synthesize(self, text: str) -> Iterator[bytes]:
        for chunk in self._voice.synthesize(text, syn_config=self._config):
            yield chunk.audio_int16_bytes
