"""Liveness (`/healthz`) and readiness (`/readyz`) for the load balancer and the operators.

Liveness touches no dependency: a process that answers is alive, and restarting it would not bring
a frozen database back. Readiness checks what serving needs, each check within CHECK_SECONDS (in
its own thread, so a frozen dependency cannot hold the answer), and names the ones that failed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import text

from app.services.calendar import current_calendar, missing_years
from app.services.keyring import KeyringError
from app.web import deps

bp = Blueprint("health", __name__)

CHECK_SECONDS = 2.0
CALENDAR_DAYS_AHEAD = 60  # working-day deadlines reach this far: a missing year must be loaded before
_setup_lock = threading.Lock()


@bp.get("/healthz")
def healthz() -> Response:
    """Alive: this process answers requests (no dependency is asked)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready when the database, Redis, the signing key and the holiday calendar all answer well."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    pool = _executor(app)
    started = {name: pool.submit(_timed, app, check) for name, check in CHECKS.items()}
    results = {name: _outcome(future) for name, future in started.items()}
    ready = all(result["ok"] for result in results.values())
    return jsonify(ready=ready, checks=results), 200 if ready else 503


def _executor(app: Flask) -> ThreadPoolExecutor:
    """A few threads per process, made lazily (after a forking server's fork)."""
    pool = app.extensions.get("health_executor")
    if pool is None:
        with _setup_lock:
            pool = app.extensions.setdefault("health_executor", ThreadPoolExecutor(8, thread_name_prefix="ready"))
    return pool  # type: ignore[no-any-return]


def _outcome(future: Any) -> dict[str, Any]:
    try:
        return future.result(timeout=CHECK_SECONDS)  # type: ignore[no-any-return]
    except FutureTimeout:
        return {"ok": False, "error": f"no answer within {CHECK_SECONDS:g} s"}


def _timed(app: Flask, check: Callable[[], str]) -> dict[str, Any]:
    """Run one check in the app's context: ok with its detail and time, or the error's name."""
    start = time.monotonic()
    with app.app_context():
        try:
            detail = check()
        except (CalendarGap, KeyringError) as exc:  # our own messages say what to do
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        except Exception as exc:  # any failure is the answer, never a 500 (no driver text: it may hold SQL)
            return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "detail": detail, "ms": round((time.monotonic() - start) * 1000)}


def _database() -> str:
    deps.db_session().execute(text("SELECT 1"))
    return "answers"


def _redis() -> str:
    deps.store().ping()
    return "answers" if deps.settings().redis.url else "in-process store (development)"


def _signing_key() -> str:
    return f"active key {deps.signing_keys().signer().kid}"


def _calendar() -> str:
    today = deps.clock().today()
    gaps = missing_years(current_calendar(deps.db_session()).years(), today, CALENDAR_DAYS_AHEAD)
    if gaps:
        raise CalendarGap("no holiday data for " + ", ".join(map(str, gaps)) + " (flask calendar load)")
    return f"covers {today.isoformat()} + {CALENDAR_DAYS_AHEAD} days"


class CalendarGap(Exception):
    """The holiday table lacks a year that working-day deadlines will reach (flask calendar load)."""


CHECKS: dict[str, Callable[[], str]] = {"database": _database, "redis": _redis, "signing_key": _signing_key,
                                        "calendar": _calendar}
