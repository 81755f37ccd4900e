"""Configuration is strict: a bad value stops start-up with one line naming the key."""

from __future__ import annotations

import base64
import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from app.config import ConfigError, Settings, from_mapping, load

REAL = {
    "server": {"env": "production", "base_url": "https://cx.example.gov.cn", "secret_key": "s" * 40,
               "dev_tools": False},
    "redis": {"url": "redis://127.0.0.1:6379/0"},
    "security": {"data_key": base64.b64encode(b"k" * 32).decode()},
    "wechat": {"app_secret": "real-secret", "token": "real-token", "encoding_aes_key": "Z" * 43},
    "faceid": {"secret_id": "AKIDreal", "secret_key": "realkey"},
}


def test_no_file_gives_the_development_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("APP_CONFIG", raising=False)
    assert load() == Settings()


def test_a_complete_production_configuration_is_accepted() -> None:
    assert from_mapping(REAL).is_production


@pytest.mark.parametrize(("mapping", "named"), [
    ({"server": {"colour": "red"}}, "server.colour"),
    ({"smtp": {}}, "[smtp]"),
    ({"server": {"dev_tools": "yes"}}, "server.dev_tools"),
    ({"faceid": {"daily_attempts": "5"}}, "faceid.daily_attempts"),
    ({"security": {"data_key": "short"}}, "security.data_key"),
    ({"wechat": {"message_mode": "secure"}}, "wechat.message_mode"),
    ({"database": {"url": ""}}, "database.url"),
    ({"database": {"read_timeout": 0}}, "database.read_timeout"),
    ({"database": {"statement_timeout": -1}}, "database.statement_timeout"),
    ({"redis": {"timeout": 0.0}}, "redis.timeout"),
    ({"redis": {"retry_interval": "1s"}}, "redis.retry_interval"),
    ({"signing": {"live_code_ttl": 300}}, "signing.live_code_ttl"),  # a screenshot would verify for 5 minutes
    ({"signing": {"live_code_ttl": 5}}, "signing.live_code_ttl"),
    ({"faceid": {"daily_attempts": 0}}, "faceid.daily_attempts"),
    ({"faceid": {"daily_attempts": 6, "daily_attempts_per_holder": 5}}, "faceid.daily_attempts"),
    ({"server": {"proxy_addresses": "127.0.0.1"}}, "server.proxy_addresses"),
    ({"server": {"proxy_addresses": ["10.0.0.300"]}}, "server.proxy_addresses"),
    ({"server": {"trusted_proxies": 1, "proxy_addresses": []}}, "server.proxy_addresses"),
])
def test_a_bad_value_is_an_error_naming_the_key(mapping: dict[str, dict[str, object]], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        from_mapping(mapping)


@pytest.mark.parametrize("dotted", ["server.secret_key", "wechat.app_secret", "faceid.secret_key",
                                    "security.data_key"])
def test_production_refuses_default_or_placeholder_secrets(dotted: str) -> None:
    section, key = dotted.split(".")
    for bad in (getattr(getattr(Settings(), section), key), "CHANGE-ME"):
        mapping = {name: dict(values) for name, values in REAL.items()}
        mapping.setdefault(section, {})[key] = bad
        with pytest.raises(ConfigError, match=dotted):
            from_mapping(mapping)


def _example_values() -> dict[str, dict[str, object]]:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    return tomllib.loads(example.read_text("utf-8"))


def _placeholders() -> list[str]:
    return [f"{s}.{k}" for s, keys in _example_values().items() for k, v in keys.items()
            if "CHANGE-ME" in str(v)]


@pytest.mark.parametrize("dotted", _placeholders())
def test_production_refuses_every_placeholder_of_the_example_file(dotted: str) -> None:
    """The comment in config.example.toml: any value containing CHANGE-ME stops a production start-up."""
    section, key = dotted.split(".")
    mapping = {name: dict(values) for name, values in REAL.items()}
    mapping.setdefault(section, {})[key] = _example_values()[section][key]
    with pytest.raises(ConfigError, match=f"{dotted} still contains CHANGE-ME"):
        from_mapping(mapping)


def test_the_placeholders_include_the_ones_that_are_not_secrets() -> None:
    assert {"database.url", "wechat.review_template_id"} <= set(_placeholders())


def test_production_refuses_a_short_session_secret() -> None:
    with pytest.raises(ConfigError, match=r"server\.secret_key must be at least 32"):
        from_mapping({**REAL, "server": {**REAL["server"], "secret_key": "x"}})


def test_production_refuses_dev_tools_and_plain_http() -> None:
    with pytest.raises(ConfigError, match="dev_tools"):
        from_mapping({**REAL, "server": {**REAL["server"], "dev_tools": True}})
    with pytest.raises(ConfigError, match="https"):
        from_mapping({**REAL, "server": {**REAL["server"], "base_url": "http://cx.example.gov.cn"}})


def test_the_example_file_documents_every_key_and_refuses_its_placeholders() -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    documented = {(s, k) for s, keys in tomllib.loads(example.read_text("utf-8")).items() for k in keys}
    known = {(f.name, k.name) for f in fields(Settings) for k in fields(getattr(Settings(), f.name))}
    assert documented == known
    with pytest.raises(ConfigError, match="config: "):
        load(example)  # production with CHANGE-ME placeholders must not start


def test_proxy_addresses_take_addresses_and_networks() -> None:
    settings = from_mapping({"server": {"trusted_proxies": 1, "proxy_addresses": ["10.0.0.0/8", "::1"]}})
    assert settings.server.proxy_addresses == ("10.0.0.0/8", "::1")


def test_startup_with_a_bad_file_prints_one_line_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nbase_url = "ftp://x"\n')
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", "from app import create_app; create_app()"], cwd=root,
                            env={"APP_CONFIG": str(bad), "PATH": ""}, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == ["config: server.base_url must start with http:// or https://"]
