"""/readyz says which dependency is missing; /healthz only says the process answers."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app.domain.workdays import YearCalendar
from app.services import calendar, keyring
from app.services.calendar import store_year


def _load_year(app: Flask, year: int) -> None:
    """A year file as an operator would load it (test data: weekends only, no holidays)."""
    with app.extensions["db"].session() as session:
        store_year(session, YearCalendar(year, frozenset(), frozenset()))


def test_ready_when_the_database_store_key_and_calendar_all_answer(app: Flask) -> None:
    keyring.generate(Path(app.config["SETTINGS"].signing.key_dir))
    _load_year(app, 2027)  # the test clock is 2026-11-28: deadlines reach into 2027
    res = app.test_client().get("/readyz")
    assert res.status_code == 200 and res.json is not None and res.json["ready"] is True
    assert set(res.json["checks"]) == {"database", "redis", "signing_key", "calendar"}


def test_not_ready_without_a_signing_key_or_next_years_holidays_and_says_which(app: Flask) -> None:
    calendar._cache.clear()  # the calendar is cached per database URL; an earlier test loaded 2027
    res = app.test_client().get("/readyz")
    assert res.status_code == 503 and res.json is not None
    checks = res.json["checks"]
    assert checks["database"]["ok"] and checks["redis"]["ok"]
    assert not checks["signing_key"]["ok"]
    assert not checks["calendar"]["ok"] and "2027" in checks["calendar"]["error"]


def test_liveness_asks_no_dependency(app: Flask) -> None:
    app.extensions["db"] = None  # any database use would now fail
    res = app.test_client().get("/healthz")
    assert res.status_code == 200 and res.json == {"status": "ok"}
