"""The live code's lifetime keeps the 亮证 page's promise (a new code every 60 seconds)."""

from __future__ import annotations

import pytest

from app.domain import livecode


@pytest.mark.parametrize(("ttl", "keeps_promise"), [(5, False), (10, True), (60, True), (65, True), (66, False),
                                                     (300, False)])
def test_a_lifetime_longer_than_the_refresh_period_plus_grace_is_refused(ttl: int, keeps_promise: bool) -> None:
    assert (livecode.ttl_problem(ttl) is None) == keeps_promise


def test_the_grace_is_small_beside_the_promise() -> None:
    assert livecode.MAX_TTL == livecode.REFRESH_SECONDS + livecode.GRACE_SECONDS and livecode.GRACE_SECONDS <= 10
