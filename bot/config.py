"""Configuration: embedded defaults (config/hotline.yaml) < --config file < HOTLINE_* env vars.

Every field is validated at start; a bad value is refused with one sentence naming it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.campaigns.model import ANNOUNCED, Outcome
from bot.speech.end_of_turn import TurnWaits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "hotline.yaml"


class ConfigError(Exception):
    """A configuration value or file the bot refuses to start with."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HttpConfig(_Section):
    host: str
    port: int = Field(ge=1, le=65535)
    # How the other workers reach this one (console requests for a call it carries are
    # forwarded here); empty: http://127.0.0.1:<port>, right for workers on one host.
    advertise_url: str = ""

    @property
    def own_url(self) -> str:
        return self.advertise_url.rstrip("/") or f"http://127.0.0.1:{self.port}"


class RedisConfig(_Section):
    url: str = Field(pattern=r"^rediss?://")
    key_prefix: str = Field(min_length=1)
    call_ttl_days: int = Field(ge=1)


class ModelsConfig(_Section):
    cache_dir: Path


class AsrConfig(_Section):
    language: str
    initial_prompt: str
    place_names: list[str] = Field(description="the city's districts and streets")
    place_names_via: Literal["prompt", "hotwords", "off"]
    lexicon: list[str] = Field(
        description="hotline terms restored where Whisper wrote a sound-alike"
    )
    question_context: bool = Field(description="the bot's last words in the decoder prompt")
    beam_size: int = Field(ge=1, le=10)
    cpu_threads: int = Field(ge=1)
    window_s: int = Field(ge=8, le=30)
    interim_interval_s: float = Field(gt=0)
    pause_s: float = Field(gt=0, le=2, description="quiet that starts the final decode")
    vad_pause_s: float = Field(gt=0, le=2, description="or this long a pause webrtcvad hears")
    pause_floor_db: float = Field(lt=0, description="frames this far below speech are silence")
    max_utterance_s: float = Field(gt=1, le=29)
    max_compression_ratio: float = Field(gt=1)
    no_speech_threshold: float = Field(ge=0, le=1)
    max_concurrent: int = Field(ge=1)
    check_below: float = Field(
        default=0.7,
        ge=0,
        le=1,
        description="numbers, addresses and ratings heard with less confidence than this are said "
        "back to the caller (0: never); the recogniser's per-token probability",
    )
    backend: Literal["embedded", "openai"] = Field(
        default="embedded",
        description="who writes final transcripts: the embedded Whisper, or an "
        "OpenAI-compatible /v1/audio/transcriptions server at `url` (interims stay embedded)",
    )
    url: str = Field(default="", description="the recognition server, e.g. http://asr:8000")
    model: str = Field(default="whisper-1", description="the model name the server serves")
    api_key: str = ""
    timeout_s: float = Field(
        default=3.0, gt=0, description="past this the embedded model writes the final instead"
    )

    @model_validator(mode="after")
    def _server_needs_url(self) -> AsrConfig:
        if self.backend == "openai" and not self.url:
            raise ValueError("asr.backend 'openai' needs asr.url (the recognition server)")
        return self


class VadConfig(_Section):
    aggressiveness: int = Field(ge=0, le=3)
    start_s: float = Field(gt=0, le=2)
    stop_s: float = Field(
        gt=0, le=5, description="silence that ends a turn whose words stop mid-thought (longest)"
    )
    open_stop_s: float = Field(
        gt=0, le=5, description="silence that ends a turn whose words may or may not be the end"
    )
    complete_stop_s: float = Field(
        gt=0,
        le=5,
        description="silence that ends a whole answer to a closed question or a question",
    )
    min_volume: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _waits_in_order(self) -> VadConfig:
        if not self.complete_stop_s <= self.open_stop_s <= self.stop_s:
            raise ValueError("vad needs complete_stop_s <= open_stop_s <= stop_s")
        return self

    def turn_waits(self) -> TurnWaits:
        return TurnWaits(self.complete_stop_s, self.open_stop_s, self.stop_s)


class TtsConfig(_Section):
    voices_file: Path
    language: str


class WebRTCConfig(_Section):
    ice_servers: list[str]
    host_addresses: list[str]


class CallsConfig(_Section):
    recordings_dir: Path


class DialogueConfig(_Section):
    understanding: Literal["local", "llm"]
    silence_timeout_s: float = Field(gt=0)


class EmbeddedLLMConfig(_Section):
    asset: str
    host: str
    port: int = Field(ge=0, le=65535)
    threads: int = Field(ge=1)
    context: int = Field(ge=512)


class LLMConfig(_Section):
    url: str
    model: str
    api_key: str
    timeout_s: float = Field(gt=0)
    # Which turns the LLM reads: every turn the rules are not certain of (`unsure`), or only
    # those the rules could not read at all (`stuck`); `auto`: stuck for the embedded CPU
    # model (seconds a turn), unsure for a served one (`url`).
    consult: Literal["auto", "unsure", "stuck"] = "auto"
    embedded: EmbeddedLLMConfig


class KnowledgeConfig(_Section):
    documents_dir: Path
    index_dir: Path
    top_k: int = Field(ge=1, le=20)
    min_score: float = Field(ge=0)
    # Below min_score but at least this: the bot asks whether the best document is what the
    # caller means, and answers from it on a yes (when in doubt, confirm).
    confirm_score: float = Field(default=0.45, ge=0)


class FlowsConfig(_Section):
    dir: Path


class WebhookConfig(_Section):
    """The work-order system's endpoint that receives each finished contact; off without url."""

    url: str | None = Field(default=None, pattern=r"^https?://")
    secret: str = Field(default="", description="HMAC-SHA256 key the receiver checks")
    timeout_s: float = Field(default=10, gt=0, le=120)
    backoff_s: float = Field(default=5, gt=0, description="First retry delay; doubles per try")
    max_backoff_s: float = Field(default=600, gt=0)

    @model_validator(mode="after")
    def _secret_with_url(self) -> WebhookConfig:
        if self.url and len(self.secret) < 16:
            raise ValueError("a webhook url needs a secret of at least 16 characters")
        return self


class CampaignsConfig(_Section):
    dialer: bool
    tick_s: float = Field(gt=0, le=60)
    lease_s: float = Field(ge=3)
    do_not_call_phrases: list[str] = Field(
        default_factory=list,
        description="Regular expressions: a callee who says one is put on the do-not-call list",
    )
    webhook: WebhookConfig = Field(default_factory=WebhookConfig)
    announcements: dict[Outcome, list[str]] = Field(
        default_factory=dict,
        description="Carrier announcements by the outcome they give: phrases they contain",
    )

    @field_validator("announcements")
    @classmethod
    def _announced_outcomes(cls, phrasings: dict[Outcome, list[str]]) -> dict[Outcome, list[str]]:
        for outcome in phrasings:
            if outcome not in ANNOUNCED:
                names = ", ".join(ANNOUNCED)
                raise ValueError(f"'{outcome}' is not an announced outcome (one of {names})")
        return phrasings

    @field_validator("do_not_call_phrases")
    @classmethod
    def _valid_patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"'{pattern}' is not a regular expression: {exc}") from exc
        return patterns


class TicketsConfig(_Section):
    departments: dict[str, str]
    default_department: str


class TrunkConfig(_Section):
    """A SIP trunk: the PBX or proxy calls arrive from and outbound calls leave through."""

    address: str = Field(pattern=r"^[^:\s]+(:\d{1,5})?$", description="host[:port]")
    username: str = ""
    password: str = ""
    allowlist: list[str] = Field(
        default_factory=list, description="source networks (CIDR) allowed to send INVITEs"
    )


class SipAuthConfig(_Section):
    realm: str
    users: dict[str, str] = Field(description="user name → password; empty = no digest auth")


class SipConfig(_Section):
    enabled: bool
    host: str
    port: int = Field(ge=1, le=65535)
    advertised_host: str
    rtp_port_min: int = Field(ge=1024, le=65534)
    rtp_port_max: int = Field(ge=1025, le=65535)
    max_calls: int = Field(ge=1)
    invites_per_second: float = Field(gt=0)
    ring_timeout_s: float = Field(gt=0)
    trunks: dict[str, TrunkConfig]
    inbound_auth: SipAuthConfig
    agent_queues: dict[str, str] = Field(description="escalation reason → agent SIP URI")


Role = Literal["supervisor", "designer", "monitor", "admin"]


class UserConfig(_Section):
    """A console user: signs in at /login with a password."""

    password_hash: str = Field(
        pattern=r"^pbkdf2_sha256\$\d+\$\S+\$\S+$",
        description="from `hotline auth hash-password`",
    )
    role: Role


class TokenConfig(_Section):
    """An API client: sends `Authorization: Bearer <token>`; only the token's hash is kept."""

    token_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    role: Role


class LockoutConfig(_Section):
    """Sign-in lockout: `failures` wrong passwords within `window_min` for one account, or
    from one address, lock it for `lock_min`."""

    failures: int = Field(ge=1)
    window_min: float = Field(gt=0)
    lock_min: float = Field(gt=0)


class AuthConfig(_Section):
    users: dict[str, UserConfig]
    tokens: dict[str, TokenConfig]
    session_hours: float = Field(gt=0, le=24 * 30)
    session_secret: str
    bootstrap_file: Path
    lockout: LockoutConfig


class Settings(BaseSettings):
    """The whole configuration of one bot worker."""

    model_config = SettingsConfigDict(
        env_prefix="HOTLINE_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    http: HttpConfig
    redis: RedisConfig
    models: ModelsConfig
    asr: AsrConfig
    vad: VadConfig
    tts: TtsConfig
    webrtc: WebRTCConfig
    sip: SipConfig
    calls: CallsConfig
    dialogue: DialogueConfig
    llm: LLMConfig
    knowledge: KnowledgeConfig
    flows: FlowsConfig
    tickets: TicketsConfig
    campaigns: CampaignsConfig
    auth: AuthConfig

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment variables win over the YAML layers passed in as init arguments.
        return env_settings, init_settings

    def project_path(self, path: Path) -> Path:
        """Resolve a configured path: `~` expanded, relative paths against the project root."""
        path = path.expanduser()
        return path if path.is_absolute() else PROJECT_ROOT / path


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read config file {path}: {exc.strerror}.") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"Config file {where} is not valid YAML: {exc}.") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"Config file {path} must hold a mapping of sections, not {data!r}.")
    return data


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    env = "HOTLINE_" + "__".join(str(part) for part in first["loc"]).upper()
    if first["type"] == "extra_forbidden":
        return f"Unknown configuration field '{field}'."
    if first["type"] == "missing":
        return f"Configuration field '{field}' is missing."
    value = first.get("input")
    return f"Configuration field '{field}' (or {env}) has the bad value {value!r}: {first['msg']}."


def load_settings(config_path: Path | None = None) -> Settings:
    """Load and validate the configuration, raising ConfigError with one clear sentence."""
    layers = _read_yaml(DEFAULT_CONFIG)
    if config_path is not None:
        layers = _merge(layers, _read_yaml(config_path))
    try:
        return Settings(**layers)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from exc
