from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings


def test_embedded_defaults_load() -> None:
    settings = load_settings()
    assert settings.http.port == 8080
    assert settings.asr.language == "zh"
    assert settings.vad.stop_s > 0


def test_environment_overrides_nested_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_HTTP__PORT", "8081")
    monkeypatch.setenv("HOTLINE_WEBRTC__HOST_ADDRESSES", '["127.0.0.1"]')
    settings = load_settings()
    assert settings.http.port == 8081
    assert settings.webrtc.host_addresses == ["127.0.0.1"]
    assert settings.http.host == "0.0.0.0"  # untouched siblings keep their defaults


def test_bad_environment_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_HTTP__PORT", "eighty")
    with pytest.raises(ConfigError) as error:
        load_settings()
    message = str(error.value)
    assert "http.port" in message and "HOTLINE_HTTP__PORT" in message and "'eighty'" in message


def test_config_file_is_merged_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("vad:\n  stop_s: 0.8\n")
    settings = load_settings(path)
    assert settings.vad.stop_s == 0.8
    assert settings.vad.aggressiveness == 2


def test_unknown_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("vad:\n  stop_seconds: 0.8\n")
    with pytest.raises(ConfigError, match=r"Unknown configuration field 'vad.stop_seconds'"):
        load_settings(path)


def test_out_of_range_value_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("vad:\n  aggressiveness: 7\n")
    with pytest.raises(ConfigError, match=r"'vad.aggressiveness'.*7"):
        load_settings(path)


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("http:\n  port: 8080\n  host: [unclosed\n")
    with pytest.raises(ConfigError, match=r"site.yaml:\d+ is not valid YAML"):
        load_settings(path)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Cannot read config file"):
        load_settings(tmp_path / "absent.yaml")
