"""Back-office sign-in rules: lockout, the steps of a sign-in, a session's life and TOTP replay.

等保 2.0 (GB/T 22239-2019) level 3 asks for two authentication factors for administrators, a limit on
failed attempts and sessions that end after inactivity; docs/rules.md "Back-office sign-in".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
# Failures older than this are forgotten, so a typo a week ago does not count toward today's lock.
FAILURE_MEMORY = timedelta(hours=24)
# Between the password and the code: long enough to open the authenticator, short enough not to linger.
HALF_SIGNED_IN = timedelta(minutes=10)
# A session's last-seen moment is written at most this often (one write per page would be wasteful).
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Failures:
    """Failed attempts for one username: how many in a row, and until when it is locked."""

    count: int
    last_failed_at: datetime | None
    locked_until: datetime | None = None


def is_locked(failures: Failures | None, now: datetime) -> bool:
    """Whether sign-in is refused outright for now."""
    return failures is not None and failures.locked_until is not None and failures.locked_until > now


def after_failure(failures: Failures | None, now: datetime) -> Failures:
    """The counter after one more failure: the fifth in a row locks for 15 minutes and starts over."""
    fresh = failures is None or failures.last_failed_at is None or now - failures.last_failed_at > FAILURE_MEMORY
    count = 1 if fresh or failures is None else failures.count + 1
    if count >= MAX_FAILURES:
        return Failures(0, now, now + LOCKOUT)
    return Failures(count, now, None)


class Step(enum.Enum):
    """Where a sign-in stands."""

    PASSWORD = "password"  # noqa: S105 - a step name: nothing accepted yet
    ENROL = "enrol"  # password accepted, no authenticator yet: set one up
    CODE = "code"  # password accepted: the authenticator's code (or a recovery code)
    CHANGE_PASSWORD = "change_password"  # noqa: S105 - both factors accepted, but the password was temporary
    DONE = "done"


def next_step(*, password_ok: bool, enrolled: bool, second_factor_ok: bool, must_change_password: bool) -> Step:
    """The next page of a sign-in: every account needs both factors before anything else."""
    if not password_ok:
        return Step.PASSWORD
    if not second_factor_ok:
        return Step.CODE if enrolled else Step.ENROL
    return Step.CHANGE_PASSWORD if must_change_password else Step.DONE


class SessionState(enum.Enum):
    """What a stored back-office session is worth now."""

    LIVE = "live"  # both factors done, used recently
    HALF = "half"  # password done, second factor pending, recently
    EXPIRED = "expired"  # idle too long (or half-done too long)
    ENDED = "ended"  # logged out or ended by an admin


def session_state(*, ended: bool, second_factor: bool, created_at: datetime, last_seen_at: datetime,
                  now: datetime, idle_limit: timedelta) -> SessionState:
    """A session lives while used within `idle_limit`; a half-done one for HALF_SIGNED_IN from its start."""
    if ended:
        return SessionState.ENDED
    if not second_factor:
        return SessionState.HALF if now - created_at <= HALF_SIGNED_IN else SessionState.EXPIRED
    return SessionState.LIVE if now - last_seen_at <= idle_limit else SessionState.EXPIRED


def touch_due(last_seen_at: datetime, now: datetime) -> bool:
    """Whether to write the new last-seen moment (at most once a minute)."""
    return now - last_seen_at >= TOUCH_EVERY


def code_step_accepted(step: int, last_used_step: int | None) -> bool:
    """A TOTP code is good once: only a step later than the last one used (RFC 6238 section 5.2)."""
    return last_used_step is None or step > last_used_step
