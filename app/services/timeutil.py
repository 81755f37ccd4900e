"""Moments between the clock (aware, China time) and the database (naive UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.clock import CHINA


def utc_naive(moment: datetime) -> datetime:
    """An aware moment as naive UTC, the way every DATETIME column stores it."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def china(stored: datetime) -> datetime:
    """A stored naive-UTC moment as an aware China-time moment, for display and day buckets."""
    return stored.replace(tzinfo=UTC).astimezone(CHINA)


def china_text(stored: datetime | None) -> str:
    """`2026-11-28 10:00` in China time, or an empty string."""
    return china(stored).strftime("%Y-%m-%d %H:%M") if stored else ""
