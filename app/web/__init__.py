"""HTTP blueprints: wechat (webhook), h5 (worker pages), verify, admin, api, dev (simulator)."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    """Register every blueprint; the dev tools only when configured."""
    from app.web import deps, health

    deps.init_app(app)
    app.register_blueprint(health.bp)
    settings = app.config["SETTINGS"]
    if settings.server.dev_tools:
        from app.web import dev

        dev.register(app)
