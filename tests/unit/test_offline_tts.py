"""OfflineTTSService: TTSSpeakFrame in, audible audio at the pipeline's output rate out."""

from pathlib import Path

import numpy as np
import pytest
from pipecat.frames.frames import TTSAudioRawFrame, TTSSpeakFrame, TTSStartedFrame, TTSStoppedFrame
from pipecat.pipeline.worker import PipelineParams
from pipecat.tests.utils import run_test

from bot.config import Settings
from bot.model_cache import ASSETS
from bot.speech import baker_voice
from bot.speech.baker_voice import BakerVoice
from bot.speech.offline_tts import OfflineTTSService
from bot.speech.voice_registry import VoiceError, load_voice, read_registry


def audio_of(frames: list) -> tuple[np.ndarray, set[int]]:
    chunks = [f for f in frames if isinstance(f, TTSAudioRawFrame)]
    pcm = np.frombuffer(b"".join(f.audio for f in chunks), dtype=np.int16)
    return pcm, {f.sample_rate for f in chunks}


@pytest.mark.parametrize(
    ("language", "text"), [("zh", "您好，请问有什么可以帮您？"), ("en", "Hello there.")]
)
async def test_speaks_at_the_output_rate(
    settings: Settings, cache_dir: Path, language: str, text: str
) -> None:
    voice = load_voice(settings.project_path(settings.tts.voices_file), cache_dir, language)
    down, _ = await run_test(
        OfflineTTSService(voice=voice),
        frames_to_send=[TTSSpeakFrame(text=text)],
        expected_down_frames=None,
        pipeline_params=PipelineParams(audio_out_sample_rate=16000),
    )
    kinds = [type(f) for f in down]
    assert (
        kinds.index(TTSStartedFrame) < kinds.index(TTSAudioRawFrame) < kinds.index(TTSStoppedFrame)
    )
    pcm, rates = audio_of(down)
    assert rates == {16000}
    assert len(pcm) / 16000 > 0.5  # at least half a second of speech
    assert np.sqrt(np.mean(pcm.astype(np.float64) ** 2)) > 500  # audible, not silence


def test_registry_errors_name_the_problem(tmp_path: Path, cache_dir: Path) -> None:
    registry = tmp_path / "voices.yaml"
    registry.write_text("voices:\n  zh:\n    engine: festival\n    asset: x\n")
    with pytest.raises(VoiceError, match=r"voices.zh.engine"):
        read_registry(registry)
    registry.write_text("voices:\n  zh:\n    engine: piper\n    model: missing.onnx\n")
    with pytest.raises(VoiceError, match=r"missing.onnx.*does not exist"):
        load_voice(registry, cache_dir, "zh")
    with pytest.raises(VoiceError, match=r"No voice for language 'fr'.*has: zh"):
        load_voice(registry, cache_dir, "fr")


@pytest.mark.parametrize(
    ("language", "entry", "text"),
    [
        ("zh", "engine: baker\n    asset: zh-baker", "请问您的联系电话是多少？"),
        (
            "en",
            "engine: piper\n    asset: en-joe",
            "Please say your phone number, and then the address of the problem.",
        ),
    ],
)
def test_length_scale_slows_the_voice_down(
    tmp_path: Path, cache_dir: Path, language: str, entry: str, text: str
) -> None:
    def seconds(scale: str) -> float:
        registry = tmp_path / f"voices-{scale or 'own'}.yaml"
        registry.write_text(
            f"voices:\n  {language}:\n    {entry}\n"
            + (f"    length_scale: {scale}\n" if scale else "")
        )
        voice = load_voice(registry, cache_dir, language)
        return len(b"".join(voice.synthesize(text))) / 2 / voice.sample_rate

    # Speech stretches by the scale; pauses and piper's random durations by less.
    assert 1.25 <= seconds("1.5") / seconds("") <= 1.6


def test_a_length_scale_out_of_range_is_refused(tmp_path: Path) -> None:
    registry = tmp_path / "voices.yaml"
    registry.write_text(
        "voices:\n  zh:\n    engine: baker\n    asset: zh-baker\n    length_scale: 5\n"
    )
    with pytest.raises(VoiceError, match=r"voices.zh.length_scale"):
        read_registry(registry)


def test_the_mandarin_voice_hands_out_a_clause_in_pieces_that_join_seamlessly(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first half second of a clause comes out on its own (it plays while the rest is
    vocoded); joined, the pieces are exactly the clause vocoded whole."""
    voice = BakerVoice(ASSETS["zh-baker"].check(cache_dir))
    clause = "关于您反映的噪音扰民问题，"
    pieces = list(voice.synthesize(clause))
    first_piece_bytes = 2 * baker_voice.FIRST_PIECE * 300  # mel frames of 300 samples
    monkeypatch.setattr(baker_voice, "FIRST_PIECE", 10**6)  # no split: one piece per clause
    whole = list(voice.synthesize(clause))
    assert len(pieces) == 2 and len(whole) == 1
    assert len(pieces[0]) == first_piece_bytes
    assert b"".join(pieces) == whole[0]
