"""`asr.backend: openai`: final transcripts from a real OpenAI-compatible recognition server.

The server is faster-whisper-server from the package index, serving the embedded Whisper model
over HTTP on loopback (a centre's would serve Whisper-large-v3 or Paraformer on a GPU). Its
access log shows it answered: a test that passed on the embedded fallback proves nothing.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.metrics import ASR_SERVER_FALLBACKS
from bot.model_cache import ASSETS
from bot.speech.openai_transcriber import OpenAITranscriber, wav_bytes
from bot.speech.whisper_transcriber import SAMPLE_RATE, WhisperTranscriber
from tests.conftest import free_port, running_bot
from tests.integration.test_sip_inbound import new_caller, speak_file
from tests.support.calls import caller_turns, wait_for_caller
from tests.support.sip_peers import call_once, scenario, stream_ulaw
from tests.support.speech import cer, speak

pytestmark = pytest.mark.integration
SENTENCE = "我想问一下公积金怎么提取"
SERVED = 'POST /v1/audio/transcriptions HTTP/1.1" 200'


class RecognitionServer:
    """faster-whisper-server in a subprocess on 127.0.0.1, its log in `log_path`."""

    def __init__(self, model_dir: Path, workdir: Path) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log_path = workdir / "asr-server.log"
        self._log = self.log_path.open("w")
        server = Path(sys.executable).with_name("faster-whisper-server")
        port = self.url.rsplit(":", 1)[1]
        self.process = subprocess.Popen(
            [str(server), str(model_dir), "--host", "127.0.0.1", "--port", port],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ASR server exited:\n{self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise TimeoutError(f"ASR server not ready after {timeout_s} s")
        # The model loads on the first request: make that one now, not a test's.
        wav = wav_bytes(pcm16("你好"))
        files = {"file": ("warm.wav", wav, "audio/wav")}
        httpx.post(f"{self.url}/v1/audio/transcriptions", files=files, timeout=timeout_s)

    def answered(self) -> int:
        return self.log_path.read_text().count(SERVED)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=15)
        self._log.close()


@pytest.fixture(scope="module")
def model_dir(settings: Settings) -> Path:
    return ASSETS["whisper-base"].check(settings.project_path(settings.models.cache_dir))


@pytest.fixture(scope="module")
def recognition_server(
    model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RecognitionServer]:
    server = RecognitionServer(model_dir, tmp_path_factory.mktemp("asr-server"))
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def pcm16(text: str) -> bytes:
    return speak(text, SAMPLE_RATE).tobytes()


async def test_the_server_writes_the_final_transcript(
    recognition_server: RecognitionServer, model_dir: Path, settings: Settings
) -> None:
    asr = settings.asr.model_copy(
        update={"backend": "openai", "url": recognition_server.url, "timeout_s": 20}
    )
    transcriber = OpenAITranscriber(asr, WhisperTranscriber(model_dir, asr))
    fallbacks = ASR_SERVER_FALLBACKS._value.get()
    transcript = await transcriber.transcribe(pcm16(SENTENCE), question="请问有什么可以帮您？")
    await transcriber.close()
    assert recognition_server.answered() >= 1 and ASR_SERVER_FALLBACKS._value.get() == fallbacks
    assert cer(SENTENCE, transcript.text) <= 0.3, transcript
    assert transcript.confidence is not None and 0.3 < transcript.confidence <= 1.0


async def test_the_embedded_model_answers_when_the_server_does_not(
    model_dir: Path, settings: Settings
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    asr = settings.asr.model_copy(update={"backend": "openai", "url": closed, "timeout_s": 2})
    transcriber = OpenAITranscriber(asr, WhisperTranscriber(model_dir, asr))
    fallbacks = ASR_SERVER_FALLBACKS._value.get()
    transcript = await transcriber.transcribe(pcm16(SENTENCE))
    await transcriber.close()
    assert ASR_SERVER_FALLBACKS._value.get() == fallbacks + 1
    assert cer(SENTENCE, transcript.text) <= 0.3, transcript


async def test_a_phone_call_is_transcribed_by_the_server(
    recognition_server: RecognitionServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    workdir = tmp_path_factory.mktemp("bot-asr-server")
    before = recognition_server.answered()
    with running_bot(
        workdir,
        HOTLINE_ASR__BACKEND="openai",
        HOTLINE_ASR__URL=recognition_server.url,
        HOTLINE_ASR__TIMEOUT_S="10",  # two cores shared with the bot's own models
    ) as bot:
        caller = new_caller()
        xml = scenario(
            "caller",
            workdir,
            caller=caller,
            lead_ms=1500,
            listen_ms=10000,
            media=stream_ulaw(speak_file(SENTENCE, workdir)),
        )
        result = await call_once(xml, bot.sip_port, timeout_s=40, workdir=workdir)
        assert result.ok, result.output
        call = await wait_for_caller(
            bot, caller, lambda c: len(caller_turns(c)) >= 1 and c["ended_at"], 20
        )
        metrics = await asyncio.to_thread(bot.get, "/metrics", timeout=5)
    heard = caller_turns(call)[0]
    assert cer(SENTENCE, heard["caller_text"]) <= 0.3, heard
    assert "公积金" in heard["bot_text"]
    assert recognition_server.answered() > before  # the final came from the server
    assert "hotline_asr_server_fallbacks_total 0.0" in metrics.text
