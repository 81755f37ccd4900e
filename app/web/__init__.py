"""HTTP blueprints: wechat (webhook), h5 (worker pages), verify, inspect, admin, api, dev (simulator)."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    """Register every blueprint; the dev tools only when configured."""
    from app.web import deps, h5, health

    deps.init_app(app)
    from app.web import admin  # issue 4: CSRF + security headers, /admin, /h5/review

    admin.register(app)
    app.register_blueprint(health.bp)
    h5.register(app)
    from app.web import query_pages, wechat  # issue 3: the webhook and the 输入查询 detail page

    app.register_blueprint(wechat.bp)
    app.register_blueprint(query_pages.bp)
    from app.web import verify  # issue 5: /v/<token>, /api/verify, jwks, status list

    app.register_blueprint(verify.bp)
    from app.web import inspect  # issue 14: /inspect/offline, the offline verifier

    app.register_blueprint(inspect.bp)
    settings = app.config["SETTINGS"]
    if settings.server.dev_tools:
        from app.web import dev

        dev.register(app)
