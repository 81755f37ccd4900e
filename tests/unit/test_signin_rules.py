"""Back-office sign-in rules, one table each: lockout, the steps of a sign-in, a session's life, TOTP replay."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.domain.signin import (
    Failures,
    SessionState,
    Step,
    after_failure,
    code_step_accepted,
    is_locked,
    next_step,
    session_state,
    touch_due,
)

NOW = datetime(2026, 12, 3, 2, 0)
MIN = timedelta(minutes=1)


@pytest.mark.parametrize(("before", "after"), [
    (None, Failures(1, NOW)),
    (Failures(1, NOW - MIN), Failures(2, NOW)),
    (Failures(3, NOW - MIN), Failures(4, NOW)),
    (Failures(4, NOW - MIN), Failures(0, NOW, NOW + timedelta(minutes=15))),  # the fifth locks
    (Failures(4, NOW - timedelta(hours=25)), Failures(1, NOW)),  # a day later the old ones are forgotten
    (Failures(0, NOW - timedelta(minutes=16), NOW - MIN), Failures(1, NOW)),  # after a lock: counted afresh
])
def test_the_fifth_failure_in_a_row_locks_for_fifteen_minutes(before: Failures | None, after: Failures) -> None:
    assert after_failure(before, NOW) == after


@pytest.mark.parametrize(("failures", "locked"), [
    (None, False),
    (Failures(4, NOW), False),
    (Failures(0, NOW, NOW + MIN), True),
    (Failures(0, NOW, NOW), False),  # the lock ends on the minute it names
    (Failures(0, NOW, NOW - MIN), False),
])
def test_a_username_is_locked_until_its_lock_ends(failures: Failures | None, locked: bool) -> None:
    assert is_locked(failures, NOW) is locked


@pytest.mark.parametrize(("password", "enrolled", "second", "must_change", "step"), [
    (False, True, False, False, Step.PASSWORD),
    (False, False, True, True, Step.PASSWORD),  # nothing counts without the password
    (True, False, False, False, Step.ENROL),
    (True, False, False, True, Step.ENROL),  # a temporary password is changed only after both factors
    (True, True, False, False, Step.CODE),
    (True, True, False, True, Step.CODE),
    (True, True, True, True, Step.CHANGE_PASSWORD),
    (True, True, True, False, Step.DONE),
])
def test_every_account_needs_both_factors_before_anything_else(password: bool, enrolled: bool, second: bool,
                                                               must_change: bool, step: Step) -> None:
    assert next_step(password_ok=password, enrolled=enrolled, second_factor_ok=second,
                     must_change_password=must_change) is step


@pytest.mark.parametrize(("ended", "second", "age", "idle", "state"), [
    (False, True, 60, 29, SessionState.LIVE),
    (False, True, 600, 30, SessionState.LIVE),  # used within the 30 minutes, however old
    (False, True, 600, 31, SessionState.EXPIRED),
    (True, True, 1, 0, SessionState.ENDED),
    (True, False, 1, 0, SessionState.ENDED),
    (False, False, 9, 9, SessionState.HALF),
    (False, False, 10, 0, SessionState.HALF),
    (False, False, 11, 0, SessionState.EXPIRED),  # the code must follow the password within ten minutes
])
def test_a_session_lives_while_used(ended: bool, second: bool, age: int, idle: int, state: SessionState) -> None:
    assert session_state(ended=ended, second_factor=second, created_at=NOW - age * MIN,
                         last_seen_at=NOW - idle * MIN, now=NOW, idle_limit=timedelta(minutes=30)) is state


@pytest.mark.parametrize(("step", "last", "accepted"), [
    (100, None, True), (100, 99, True), (100, 100, False), (99, 100, False), (101, 100, True),
])
def test_a_code_is_good_once(step: int, last: int | None, accepted: bool) -> None:
    assert code_step_accepted(step, last) is accepted


@pytest.mark.parametrize(("seconds", "due"), [(0, False), (59, False), (60, True), (600, True)])
def test_last_seen_is_written_at_most_once_a_minute(seconds: int, due: bool) -> None:
    assert touch_due(NOW - timedelta(seconds=seconds), NOW) is due
