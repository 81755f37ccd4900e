"""Electronic work-safety certificates: the WeChat official account's backend."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from flask import Flask

from app import config
from app.clock import Clock, SystemClock
from app.config import ConfigError, Settings
from app.domain.pii import PiiCipher
from app.integrations.faceid import TencentFaceVerifier
from app.integrations.kvstore import KVStore, open_store
from app.integrations.wechat import WeChatApi
from app.logs import install_log_redaction
from app.storage.db import Database, Limits
from app.web.proxy import TrustedProxies


def create_app(
    test_config: Settings | None = None,
    *,
    store: KVStore | None = None,
    clock: Clock | None = None,
    extensions: dict[str, Any] | None = None,
) -> Flask:
    """Build the application; nothing happens at import time."""
    settings = test_config or _load_or_exit()
    app = Flask(__name__, template_folder="../templates", static_folder="static")
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.server.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings.server.session_minutes),
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,
        TESTING=settings.server.env == "test",
    )
    install_log_redaction(app.logger)
    app.extensions["db"] = Database(settings.database.url, request_limits(settings))
    app.extensions["store"] = store or open_store(settings.redis.url, settings.redis.timeout,
                                                  settings.redis.retry_interval)
    app.extensions["pii"] = PiiCipher(settings.security.data_key_bytes)
    app.extensions["clock"] = clock or SystemClock()
    app.extensions.update(extensions or {})
    # One client each per process (tests may inject fakes through `extensions`): the WeChat client
    # shares its access token through the store; neither touches the network when built.
    app.extensions.setdefault("wechat_api", WeChatApi(settings.wechat, app.extensions["store"]))
    app.extensions.setdefault("face_verifier", TencentFaceVerifier(settings.faceid))
    _register(app)
    if settings.server.trusted_proxies:
        app.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
            app.wsgi_app, settings.server.trusted_proxies, settings.server.proxy_addresses)
    return app


def request_limits(settings: Settings) -> Limits:
    """How long a request may wait on the database (long jobs use Database.for_jobs())."""
    db = settings.database
    return Limits(connect=db.connect_timeout, read=db.read_timeout, write=db.write_timeout,
                  statement=db.statement_timeout)


def _load_or_exit() -> Settings:
    """Load configuration, stopping start-up with one clear line on a bad value."""
    try:
        return config.load()
    except ConfigError as exc:
        sys.exit(str(exc))


def _register(app: Flask) -> None:
    """App-wide concerns first (CSRF, headers, error pages), then the blueprints and the CLI."""
    from app.cli import register_cli
    from app.web import register_web

    register_web(app)
    register_cli(app)
