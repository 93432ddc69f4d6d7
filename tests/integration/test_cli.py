"""The `hotline` command as an operator meets it: clear messages, useful exit codes."""

import os
import subprocess
import sys
from pathlib import Path


def hotline(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
        check=False,
    )


def test_models_check_reports_ready() -> None:
    result = hotline("models", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All models ready" in result.stdout


def test_models_check_says_what_is_missing(tmp_path: Path) -> None:
    result = hotline("models", "check", HOTLINE_MODELS__CACHE_DIR=str(tmp_path))
    assert result.returncode == 1
    assert "whisper-base is not prepared" in result.stdout
    assert "run `hotline models prepare`" in result.stdout


def test_bad_setting_refuses_to_start() -> None:
    result = hotline("serve", HOTLINE_HTTP__PORT="abc")
    assert result.returncode == 2
    assert result.stderr.strip().startswith(
        "hotline: Configuration field 'http.port' (or HOTLINE_HTTP__PORT) has the bad value 'abc'"
    )


def test_broken_config_file_refuses_to_start(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("vad:\n  stop_s: [\n")
    result = hotline("--config", str(config), "serve")
    assert result.returncode == 2
    assert "site.yaml:" in result.stderr and "is not valid YAML" in result.stderr


def test_serve_refuses_broken_flows(tmp_path: Path) -> None:
    flows = tmp_path / "dialogs"
    flows.mkdir()
    (flows / "global.yaml").write_text("entry_flow: main\n")
    result = hotline("serve", HOTLINE_FLOWS__DIR=str(flows))
    assert result.returncode == 2
    assert "the flows have problems" in result.stderr
    assert f"{flows / 'global.yaml'}:1:" in result.stderr


def test_kb_ask_json() -> None:
    result = hotline("kb", "ask", "社保卡丢了怎么补办", "--json")
    assert result.returncode == 0, result.stderr
    answer = __import__("json").loads(result.stdout)
    assert answer["grounded"] is True
    assert answer["sources"][0]["doc_id"] == "social-security-card"
    assert answer["answer"].startswith("根据《")


def test_say_then_transcribe_round_trip(tmp_path: Path) -> None:
    wav = tmp_path / "prompt.wav"
    said = hotline("say", "您好，请问您要反映什么问题？", "-o", str(wav), "--rate", "8000")
    assert said.returncode == 0, said.stderr
    audio, rate = __import__("soundfile").read(wav, dtype="int16")
    assert rate == 8000 and len(audio) / rate > 1.0 and abs(audio).max() > 3000
    heard = hotline("transcribe", str(wav), "--json")
    assert heard.returncode == 0, heard.stderr
    result = __import__("json").loads(heard.stdout)
    from tests.support.speech import cer

    assert cer("您好，请问您要反映什么问题？", result["text"]) <= 0.3, result
    assert result["audio_s"] > 1.0 and result["decode_s"] > 0


def test_transcribe_reports_unreadable_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not audio at all")
    result = hotline("transcribe", str(junk))
    assert result.returncode == 1
    assert f"{junk}: cannot read audio" in result.stdout


def test_campaign_commands(tmp_path: Path) -> None:
    env = {"HOTLINE_REDIS__KEY_PREFIX": f"hotline-test-cli-{os.getpid()}"}
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("phone,ticket_id,name\n13800138000,202611240001,王先生\nabc,,\n")
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("13900139000\n")
    created = hotline(
        "campaign",
        "create",
        "--contacts",
        str(contacts),
        "--windows",
        "00:00-00:01",
        "--do-not-call",
        str(dnc),
        **env,
    )
    assert created.returncode == 0, created.stderr
    first_line = created.stdout.splitlines()[0]
    assert first_line.startswith("campaign ") and first_line.endswith("(survey): active")
    assert "row 3 skipped: 'abc' is not a phone number" in created.stdout
    campaign_id = first_line.split()[1]

    status = hotline("campaign", "status", campaign_id, "--json", **env)
    assert '"contacts": 1' in status.stdout and '"progress": 0.0' in status.stdout
    export = hotline("campaign", "export", campaign_id, "--format", "csv", **env)
    header, row = export.stdout.splitlines()[:2]
    fields = row.split(",")
    assert fields[:6] == ["13800138000", "202611240001", "王先生", "pending", "no", "0"]
    assert len(fields) == len(header.split(",")) and not any(fields[6:])  # nothing answered yet
    assert hotline("campaign", "cancel", campaign_id, **env).stdout.endswith("cancelled\n")
    again = hotline("campaign", "resume", campaign_id, **env)
    assert again.returncode == 2 and f"Campaign {campaign_id} is cancelled." in again.stderr


def test_campaign_errors_are_one_sentence(tmp_path: Path) -> None:
    missing = hotline("campaign", "create", "--contacts", str(tmp_path / "none.csv"))
    assert missing.returncode == 2 and "Cannot read" in missing.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("name\nx\n")
    nothing = hotline("campaign", "create", "--contacts", str(empty))
    assert nothing.returncode == 2
    assert "has no contact to call. row 1: the header has no 'phone' column" in nothing.stderr
    flow = hotline("campaign", "create", "--contacts", str(empty), "--flow", "nope")
    assert flow.returncode == 2 and "No flow named 'nope'" in flow.stderr
    window = hotline("campaign", "create", "--contacts", str(empty), "--windows", "25")
    assert window.returncode == 2 and "calling window '25' is not HH:MM-HH:MM" in window.stderr
