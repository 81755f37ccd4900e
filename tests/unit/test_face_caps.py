"""The daily face-check caps: per holder and WeChat account first, then per holder over all accounts."""

from __future__ import annotations

import pytest

from app.config import FaceIdSettings
from app.services.face_verification import MESSAGES, as_seen_by, attempts_left, cap_reached, outcome

CAPS = FaceIdSettings(daily_attempts=5, daily_attempts_per_holder=15)


@pytest.mark.parametrize(("own_today", "holder_today", "refused"), [
    (0, 0, None),
    (4, 4, None),
    (5, 5, "daily_cap"),        # this account used its own five
    (0, 14, None),              # others used fourteen: this account still has its own
    (0, 15, "holder_cap"),      # every account together reached the holder's cap
    (5, 15, "daily_cap"),       # both: the account's own cap is what this user can act on
    (2, 20, "holder_cap"),
])
def test_which_cap_stops_a_new_face_check(own_today: int, holder_today: int, refused: str | None) -> None:
    assert cap_reached(own_today, holder_today, CAPS) == refused


@pytest.mark.parametrize(("own_today", "holder_today", "left"), [
    (0, 0, 5),
    (3, 3, 2),
    (5, 5, 0),
    (0, 12, 3),   # others used twelve: only three remain for everyone
    (0, 15, 0),
    (7, 0, 0),    # never negative
])
def test_the_face_check_page_tells_how_many_attempts_are_left_today(own_today: int, holder_today: int,
                                                                    left: int) -> None:
    assert attempts_left(own_today, holder_today, CAPS) == left
    assert (left == 0) == (cap_reached(own_today, holder_today, CAPS) is not None)


@pytest.mark.parametrize(("kind", "bound", "shown"), [
    ("no_attempt", True, "bound"),    # the return page reloaded after passing
    ("used", True, "bound"),          # the attempt was concluded by another request
    ("no_attempt", False, "no_attempt"),
    ("used", False, "used"),
    ("passed", True, "passed"),
    ("unavailable", True, "unavailable"),
])
def test_a_bound_user_with_nothing_to_finish_sees_the_binding(kind: str, bound: bool, shown: str) -> None:
    seen = as_seen_by(outcome(kind), bound)
    assert seen.kind == shown and seen.message == MESSAGES[shown]
    assert seen.passed == (shown in ("passed", "bound"))
