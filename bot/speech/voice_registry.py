"""tts_voices/voices.yaml: which voice speaks which language, loaded once per worker."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.model_cache import ASSETS
from bot.speech.baker_voice import BakerVoice
from bot.speech.piper_voice import PiperVoice
from bot.speech.voice import Voice


class VoiceError(Exception):
    """A voice registry entry that cannot be used."""


class VoiceEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: Literal["piper", "baker"]
    asset: str | None = None
    model: Path | None = None
    length_scale: float | None = Field(
        None,
        gt=0.5,
        lt=2,
        description="phoneme durations × this (> 1 slower); None: the voice's pace",
    )

    @model_validator(mode="after")
    def _one_source(self) -> VoiceEntry:
        if (self.asset is None) == (self.model is None):
            raise ValueError("give exactly one of 'asset' (model cache) or 'model' (a file path)")
        if self.engine == "baker" and self.asset is None:
            raise ValueError("the baker engine loads a prepared 'asset'")
        return self


class VoiceRegistry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    voices: dict[str, VoiceEntry]


def read_registry(path: Path) -> VoiceRegistry:
    try:
        return VoiceRegistry.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise VoiceError(f"Cannot read voice registry {path}: {exc.strerror}.") from exc
    except yaml.YAMLError as exc:
        raise VoiceError(f"Voice registry {path} is not valid YAML: {exc}.") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise VoiceError(f"Voice registry {path}: '{where}': {first['msg']}.") from exc


def _asset_dir(registry_path: Path, cache_dir: Path, asset: str) -> Path:
    if asset not in ASSETS:
        raise VoiceError(f"Voice registry {registry_path}: unknown asset '{asset}'.")
    return ASSETS[asset].check(cache_dir)


@cache
def load_voice(registry_path: Path, cache_dir: Path, language: str) -> Voice:
    """The voice for `language`, loaded once and shared by every call of this worker."""
    registry = read_registry(registry_path)
    entry = registry.voices.get(language)
    if entry is None:
        known = ", ".join(sorted(registry.voices)) or "none"
        raise VoiceError(f"No voice for language '{language}' in {registry_path} (has: {known}).")
    if entry.engine == "baker":
        assert entry.asset is not None  # enforced by VoiceEntry
        return BakerVoice(
            _asset_dir(registry_path, cache_dir, entry.asset),
            name=entry.asset,
            length_scale=entry.length_scale or 1.0,
        )
    if entry.asset is not None:
        model = _asset_dir(registry_path, cache_dir, entry.asset) / "voice.onnx"
    else:
        assert entry.model is not None
        model = registry_path.parent / entry.model
    if not model.is_file():
        raise VoiceError(f"Piper voice file {model} (language '{language}') does not exist.")
    return PiperVoice(model, name=entry.asset or model.stem, length_scale=entry.length_scale)
