"""HTTP: app-wide concerns (request-scoped parts, CSRF, security headers, error pages, template
filters) and the list of blueprints.

Blueprints: health (liveness), wechat (the webhook: where a WeChat message enters), query_pages
(signed links from 输入查询), verify (/v/<token>, POST /api/verify, JWKS, status list), inspect
(/inspect/offline, the offline verifier), inspection (/inspect/v/<token>, the
inspector view), h5 (worker pages), review (the worker's manual-review
request), admin (back office), shared (/s/<token>, a holder's shared copy), favicon (our icon), and
with dev tools on, the simulator and the loopback fakes.
"""

from __future__ import annotations

from flask import Blueprint, Flask


def install(app: Flask) -> None:
    """Install what every request needs, whichever blueprints are registered."""
    from app.web import deps, errors, filters, security, uploads

    app.request_class = uploads.UploadRequest
    deps.init_app(app)
    _verification_tally(app)
    security.init_app(app)
    errors.init_app(app)
    filters.init_app(app)


def _verification_tally(app: Flask) -> None:
    """The dashboard's verification counters, written by a timer (under test, env "test", only when a
    test flushes them: no thread outlives its test)."""
    from app.services.verification_stats import FLUSH_SECONDS, Tally

    interval = None if app.config["SETTINGS"].server.env == "test" else FLUSH_SECONDS
    app.extensions.setdefault("verification_tally", Tally(app.extensions["db"], interval))


def blueprints() -> list[Blueprint]:
    """Every production blueprint, in one visible list."""
    from app.web import (
        admin,
        favicon,
        h5,
        health,
        inspect,
        inspection,
        query_pages,
        review,
        shared,
        verify,
        wechat,
    )

    return [health.bp, wechat.bp, query_pages.bp, verify.bp, inspect.bp, inspection.bp, h5.bp, review.bp, admin.bp,
            shared.bp, favicon.bp]


def register_web(app: Flask) -> None:
    """Install the app-wide concerns, then register the blueprints; the dev tools only when configured."""
    install(app)
    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    if app.config["SETTINGS"].server.dev_tools:
        from app.web import dev

        dev.register(app)
