"""Column helpers shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC timestamp (MySQL DATETIME has no time zone; we store UTC everywhere)."""
    return datetime.now(UTC).replace(tzinfo=None)
