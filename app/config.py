"""Strict configuration: one TOML file parsed into frozen dataclasses.

The file's path comes from the environment variable APP_CONFIG (default `config.toml`; when
that file does not exist the built-in development defaults apply). Unknown keys, wrong types and
placeholder secrets outside development are errors that stop start-up with one line naming the key.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import ipaddress
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from app.domain import livecode

PLACEHOLDER = "CHANGE-ME"
# A session-signing key shorter than this can be guessed offline from one cookie.
MIN_SECRET_KEY_CHARS = 32


class ConfigError(Exception):
    """A configuration value is missing or invalid; the message names the key."""


@dataclass(frozen=True)
class ServerSettings:
    base_url: str = "http://127.0.0.1:5000"
    secret_key: str = "dev-secret-key-not-for-production"
    env: str = "development"  # development | test | production
    dev_tools: bool = True
    dev_state_dir: str = "var/dev"  # development: the simulator's fakes keep what they recorded here
    official_domain: str = "cx.example.gov.cn"
    session_minutes: int = 30
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none). Rate limits by
    # client address are only right when this matches the deployment.
    trusted_proxies: int = 0
    # Addresses or networks of those proxies: the headers are believed only from these peers
    # (app/web/proxy.py), so a client reaching the app directly cannot choose its own address.
    proxy_addresses: tuple[str, ...] = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite:///var/ecert.sqlite3"
    # Seconds; a frozen database answers requests with 503 instead of hanging (docs/resilience.md).
    connect_timeout: float = 2.0
    read_timeout: float = 3.0
    write_timeout: float = 3.0
    statement_timeout: float = 2.5


@dataclass(frozen=True)
class RedisSettings:
    url: str = ""  # empty: in-process store, single-process development only
    timeout: float = 0.25  # seconds to connect or answer; then the process falls back to its own memory
    retry_interval: float = 1.0  # seconds between attempts to reach a Redis that failed


@dataclass(frozen=True)
class SecuritySettings:
    # 32 bytes, base64. The development default is public and must never protect real data.
    data_key: str = base64.b64encode(b"development-only-data-key-32byte").decode()

    @property
    def data_key_bytes(self) -> bytes:
        return base64.b64decode(self.data_key)


@dataclass(frozen=True)
class SigningSettings:
    key_dir: str = "var/keys"
    issuer: str = "CN-EMERGENCY-DEMO"
    live_code_ttl: int = 65  # app/domain/livecode.py: the page's 60 s + 5 s grace


@dataclass(frozen=True)
class WechatSettings:
    app_id: str = "wxdevelopment0000"
    app_secret: str = "dev-app-secret"
    token: str = "devtoken"
    encoding_aes_key: str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    message_mode: str = "safe"  # plain | compat | safe
    api_base_url: str = "http://127.0.0.1:5000/dev/fake-wechat/"
    oauth_base_url: str = "http://127.0.0.1:5000/dev/fake-wechat/"
    use_stable_token: bool = True
    review_template_id: str = "dev-review-result-template"
    # 事项/结果/时间/备注 (thing1, phrase2, time3, thing4): certificate actions and correction results
    notice_template_id: str = "dev-certificate-notice-template"
    reminder_template_id: str = "dev-certificate-reminder-template"
    timeout: float = 3.0


@dataclass(frozen=True)
class FaceIdSettings:
    secret_id: str = "dev-secret-id"
    secret_key: str = "dev-secret-key"
    rule_id: str = "1"
    endpoint: str = "127.0.0.1:5000/dev/fake-faceid"
    scheme: str = "http"
    region: str = "ap-guangzhou"
    sim_threshold: float = 70.0
    # Face checks a day for one holder from one WeChat account, and for one holder from all accounts:
    # whoever registers as someone else from another account cannot use up that person's own checks.
    daily_attempts: int = 5
    daily_attempts_per_holder: int = 15
    timeout: int = 5


@dataclass(frozen=True)
class ReviewSettings:
    photo_retention_days: int = 90
    max_photo_bytes: int = 5 * 1024 * 1024


@dataclass(frozen=True)
class ImportSettings:
    # Uploaded exports wait here, sealed (encrypted), until their import ends; `flask worker` must see the
    # same folder (same host, or a shared mount).
    upload_dir: str = "var/imports"
    max_upload_mb: int = 300


@dataclass(frozen=True)
class Settings:
    server: ServerSettings = field(default_factory=ServerSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    signing: SigningSettings = field(default_factory=SigningSettings)
    wechat: WechatSettings = field(default_factory=WechatSettings)
    faceid: FaceIdSettings = field(default_factory=FaceIdSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    imports: ImportSettings = field(default_factory=ImportSettings)

    @property
    def is_production(self) -> bool:
        return self.server.env == "production"


# Secrets that must be real outside development (placeholder or built-in default is an error).
SECRET_KEYS = (
    "server.secret_key",
    "security.data_key",
    "wechat.app_secret",
    "wechat.token",
    "wechat.encoding_aes_key",
    "faceid.secret_id",
    "faceid.secret_key",
)


# Timeouts that must be above zero (zero would mean "wait forever" to the drivers).
POSITIVE_SECONDS = (
    "database.connect_timeout",
    "database.read_timeout",
    "database.write_timeout",
    "database.statement_timeout",
    "redis.timeout",
    "redis.retry_interval",
)


def _coerce(key: str, value: Any, kind: Any) -> Any:
    """Check a TOML value against the dataclass field type (int accepted for float)."""
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"config: {key} must be a number")
        return float(value)
    if kind is bool and not isinstance(value, bool):
        raise ConfigError(f"config: {key} must be true or false")
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise ConfigError(f"config: {key} must be an integer")
    if kind is str and not isinstance(value, str):
        raise ConfigError(f"config: {key} must be a string")
    if kind == tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"config: {key} must be a list of strings")
        return tuple(value)
    return value


def _section(name: str, cls: type, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"config: [{name}] must be a table")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in raw:
        if key not in known:
            raise ConfigError(f"config: unknown key {name}.{key}")
    values = {k: _coerce(f"{name}.{k}", v, hints[k]) for k, v in raw.items()}
    return cls(**values)


def from_mapping(data: dict[str, Any]) -> Settings:
    """Build and validate Settings from a parsed TOML mapping."""
    hints = get_type_hints(Settings)
    sections = {}
    for name, raw in data.items():
        if name not in hints:
            raise ConfigError(f"config: unknown section [{name}]")
        sections[name] = _section(name, hints[name], raw)
    settings = Settings(**sections)
    validate(settings)
    return settings


def _get(settings: Settings, dotted: str) -> Any:
    section, key = dotted.split(".")
    return getattr(getattr(settings, section), key)


def validate(settings: Settings) -> None:
    """Semantic checks; raise ConfigError naming the first bad key."""
    if settings.server.env not in ("development", "test", "production"):
        raise ConfigError("config: server.env must be development, test or production")
    if settings.is_production:  # first: a placeholder is the likeliest mistake, so name it as one
        for dotted in placeholder_keys(settings):  # any value, secret or not (a template id, a DB password)
            raise ConfigError(f"config: {dotted} still contains {PLACEHOLDER}: set the real value")
    if settings.wechat.message_mode not in ("plain", "compat", "safe"):
        raise ConfigError("config: wechat.message_mode must be plain, compat or safe")
    if (problem := livecode.ttl_problem(settings.signing.live_code_ttl)) is not None:
        raise ConfigError(f"config: {problem}")
    if not settings.server.base_url.startswith(("http://", "https://")):
        raise ConfigError("config: server.base_url must start with http:// or https://")
    try:
        if len(settings.security.data_key_bytes) != 32:
            raise ConfigError("config: security.data_key must be 32 bytes, base64-encoded")
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("config: security.data_key must be 32 bytes, base64-encoded") from exc
    if settings.wechat.message_mode != "plain" and len(settings.wechat.encoding_aes_key) != 43:
        raise ConfigError("config: wechat.encoding_aes_key must be 43 characters")
    for dotted in ("database.url", "faceid.secret_id", "faceid.secret_key", "wechat.app_id"):
        if not _get(settings, dotted):
            raise ConfigError(f"config: {dotted} is required")
    for dotted in POSITIVE_SECONDS:
        if not _get(settings, dotted) > 0:
            raise ConfigError(f"config: {dotted} must be a number of seconds above 0")
    _validate_limits(settings)
    if not 1 <= settings.imports.max_upload_mb <= 2048:
        raise ConfigError("config: imports.max_upload_mb must be between 1 and 2048")
    if settings.is_production:
        _validate_production(settings)


def _validate_limits(settings: Settings) -> None:
    """The face-check caps and the proxy addresses."""
    faceid = settings.faceid
    if not 1 <= faceid.daily_attempts <= faceid.daily_attempts_per_holder:
        raise ConfigError("config: faceid.daily_attempts must be at least 1 and at most "
                          "faceid.daily_attempts_per_holder")
    for address in settings.server.proxy_addresses:
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise ConfigError(f"config: server.proxy_addresses: {address!r} is not an IP address or network"
                              ) from None
    if settings.server.trusted_proxies and not settings.server.proxy_addresses:
        raise ConfigError("config: server.proxy_addresses must name the proxies when server.trusted_proxies is set")


def placeholder_keys(settings: Settings) -> list[str]:
    """Every key (dotted) whose value still contains the example file's CHANGE-ME."""
    return [f"{section.name}.{item.name}"
            for section in fields(settings)
            for item in fields(getattr(settings, section.name))
            if PLACEHOLDER in str(getattr(getattr(settings, section.name), item.name))]


def _validate_production(settings: Settings) -> None:
    defaults = Settings()
    for dotted in SECRET_KEYS:
        value = _get(settings, dotted)
        if not value or value == _get(defaults, dotted):
            raise ConfigError(f"config: {dotted} must be set to a real secret in production")
    if len(settings.server.secret_key) < MIN_SECRET_KEY_CHARS:
        raise ConfigError(f"config: server.secret_key must be at least {MIN_SECRET_KEY_CHARS} characters "
                          "in production (python -c \"import secrets; print(secrets.token_urlsafe(48))\")")
    if settings.server.dev_tools:
        raise ConfigError("config: server.dev_tools must be false in production")
    if not settings.server.base_url.startswith("https://"):
        raise ConfigError("config: server.base_url must use https in production")
    if not settings.redis.url:
        raise ConfigError("config: redis.url is required in production (shared by all instances)")


def load(path: str | os.PathLike[str] | None = None) -> Settings:
    """Load settings from `path`, else $APP_CONFIG, else config.toml, else defaults."""
    chosen = path or os.environ.get("APP_CONFIG")
    candidate = Path(chosen) if chosen else Path("config.toml")
    if not candidate.exists():
        if chosen:
            raise ConfigError(f"config: file {candidate} not found (APP_CONFIG)")
        return Settings()
    try:
        data = tomllib.loads(candidate.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {candidate} is not valid TOML: {exc}") from exc
    return from_mapping(data)


def replace(settings: Settings, **sections: dict[str, Any]) -> Settings:
    """Copy settings with some keys changed, e.g. replace(s, server={"dev_tools": False})."""
    changes = {
        name: dataclasses.replace(getattr(settings, name), **values) for name, values in sections.items()
    }
    result = dataclasses.replace(settings, **changes)
    validate(result)
    return result
