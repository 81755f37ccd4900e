"""Back-office sessions kept in the database: the browser holds only a random token.

Logout, the inactivity timeout ([server] session_minutes) and an admin disabling an account or
resetting its password or second factor end the row, so a cookie copied earlier finds nothing
(issue 12). Only the token's SHA-256 is stored: a copy of the table opens no session. Nothing here
touches Redis, so the back office keeps working while Redis is down.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.domain.signin import SessionState, session_state, touch_due
from app.services.timeutil import utc_naive
from app.storage.models import StaffSession

MAX_USER_AGENT = 200


@dataclass(frozen=True)
class Found:
    """A stored session and what it is worth now."""

    row: StaffSession
    state: SessionState


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(db: Session, staff_id: int, now: datetime, address: str, user_agent: str) -> str:
    """Start a half-signed-in session (password accepted); returns the token for the cookie."""
    token, at = secrets.token_urlsafe(32), utc_naive(now)
    db.add(StaffSession(token_hash=_hash(token), staff_id=staff_id, created_at=at, last_seen_at=at,
                        address=address[:45], user_agent=user_agent[:MAX_USER_AGENT]))
    return token


def find(db: Session, token: str, now: datetime, idle_limit: timedelta) -> Found | None:
    """The session behind a cookie's token, if one was ever issued."""
    row = db.scalar(select(StaffSession).where(StaffSession.token_hash == _hash(token[:100])))
    if row is None:
        return None
    state = session_state(ended=row.ended_at is not None, second_factor=row.second_factor_at is not None,
                          created_at=row.created_at, last_seen_at=row.last_seen_at, now=utc_naive(now),
                          idle_limit=idle_limit)
    return Found(row, state)


def complete(row: StaffSession, now: datetime) -> str:
    """Both factors are in: mark it and issue a new token (the half-signed-in one stops working)."""
    token, at = secrets.token_urlsafe(32), utc_naive(now)
    row.token_hash, row.second_factor_at, row.last_seen_at = _hash(token), at, at
    return token


def touch(row: StaffSession, now: datetime) -> bool:
    """Note that the session was used now (at most once a minute); True when the row changed."""
    at = utc_naive(now)
    if not touch_due(row.last_seen_at, at):
        return False
    row.last_seen_at = at
    return True


def end(row: StaffSession, now: datetime, reason: str) -> None:
    """End one session (logout, timeout, a lock while signing in)."""
    if row.ended_at is None:
        row.ended_at, row.end_reason = utc_naive(now), reason


def end_all(db: Session, staff_id: int, now: datetime, reason: str) -> int:
    """End every open session of an account (disabled, password or second factor reset)."""
    result = db.execute(update(StaffSession).where(StaffSession.staff_id == staff_id,
                                                   StaffSession.ended_at.is_(None))
                        .values(ended_at=utc_naive(now), end_reason=reason))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def open_sessions(db: Session, staff_id: int, now: datetime, idle_limit: timedelta) -> list[StaffSession]:
    """The account's sessions that still work, newest first (shown to admins)."""
    since = utc_naive(now) - idle_limit
    return list(db.scalars(select(StaffSession).where(
        StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None),
        StaffSession.second_factor_at.is_not(None), StaffSession.last_seen_at >= since)
        .order_by(StaffSession.last_seen_at.desc())))
