"""The 输入查询 limit policy (who is refused, and what he is told), one row per case."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.clock import CHINA
from app.domain.pii import PiiCipher
from app.integrations.kvstore import MemoryStore
from app.services import lookup_limits
from app.services.lookup_limits import LIMITS, NUMBER, PAIR, SENDER, Counts, LimitHit, decide

S, P, N = LIMITS[SENDER].limit, LIMITS[PAIR].limit, LIMITS[NUMBER].limit


@pytest.mark.parametrize(("counts", "own", "refused"), [
    (Counts(1, 1, 1), False, None),  # a first lookup
    (Counts(S, P, N), False, None),  # every limit reached, none passed
    (Counts(S + 1), False, SENDER),  # too many lookups from this sender (nothing else counted)
    (Counts(3, P + 1), False, PAIR),  # too many names for one number from this sender
    (Counts(3, 2, N + 1), False, NUMBER),  # too many names for this number from everybody
    (Counts(S + 1, P + 1, N + 1), False, SENDER),  # the sender's own limit is named first
    (Counts(3, P + 1, N + 1), False, PAIR),
    (Counts(3, 2, N + 1), True, None),  # the verified holder asking for his own number
    (Counts(S + 1), True, None),  # ... even when he asked a lot
    (Counts(3, P + 1), True, None),
])
def test_the_policy_refuses_by_the_first_limit_passed_and_never_the_verified_holder(
        counts: Counts, own: bool, refused: str | None) -> None:
    assert decide(counts, own) == refused


def test_a_worker_who_mistypes_his_name_a_few_times_is_not_locked_out() -> None:
    assert P >= 4 and N >= 10 * P  # only many senders together can lock a number


@pytest.mark.parametrize(("now", "seconds", "when"), [
    (datetime(2026, 5, 1, 14, 10, tzinfo=CHINA), 25 * 60, "今天14:35（约25分钟）"),
    (datetime(2026, 5, 1, 14, 10, 30, tzinfo=CHINA), 20, "今天14:11（约1分钟）"),
    (datetime(2026, 5, 1, 23, 50, tzinfo=CHINA), 3 * 3600, "明天02:50（约3小时）"),
    (datetime(2026, 5, 1, 8, 0, tzinfo=CHINA), 86400, "明天08:00（约24小时）"),
    (datetime(2026, 5, 31, 23, 0, tzinfo=CHINA), 2 * 86400, "6月2日23:00（约48小时）"),
])
def test_the_retry_time_is_a_clock_time_and_a_rough_span(now: datetime, seconds: float, when: str) -> None:
    assert lookup_limits.retry_when(now, seconds) == when


@pytest.mark.parametrize("scope", [SENDER, PAIR, NUMBER])
def test_every_refusal_says_when_to_retry_and_whom_to_call(scope: str) -> None:
    text = lookup_limits.message(LimitHit(scope, 600), datetime(2026, 5, 1, 9, 0, tzinfo=CHINA))
    assert "请在今天09:10（约10分钟）后再试" in text and "签发机关" in text


NOW = datetime(2026, 5, 1, 9, 0, tzinfo=CHINA)


def test_counting_stops_at_the_first_limit_so_a_sprayer_adds_nothing_to_the_number() -> None:
    store, pii = MemoryStore(), PiiCipher(bytes(range(32)))
    for n in range(S):
        assert lookup_limits.check(store, pii, NOW, "o-sprayer", f"N{n}", "王一") is None
    for name in ("王一", "王二", "王三"):
        hit = lookup_limits.check(store, pii, NOW, "o-sprayer", "N-victim", name)
        assert hit is not None and hit.scope == SENDER
    # Another sender's first name for the victim's number is the number's first: nothing was added.
    counts, _left = lookup_limits.count(store, NOW, lookup_limits._hits(pii, "o-other", "N-victim", "王四"))
    assert counts == Counts(1, 1, 1)


def test_the_holder_check_is_asked_only_when_a_limit_would_refuse() -> None:
    store, pii, asked = MemoryStore(), PiiCipher(bytes(range(32))), []

    def own() -> bool:
        asked.append(1)
        return True

    assert lookup_limits.check(store, pii, NOW, "o-holder", "N1", "张伟", own) is None
    assert asked == []
    for n in range(P):  # with 张伟, one name more than the limit
        assert lookup_limits.check(store, pii, NOW, "o-holder", "N1", f"王{n}", own) is None
    assert asked == [1]
