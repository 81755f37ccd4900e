"""The one rate limiter: fixed windows aligned to China time, hits counted in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.clock import CHINA
from app.integrations.kvstore import MemoryStore
from app.services import ratelimit
from app.services.ratelimit import Hit, Refusal, Rule

NOON = datetime(2026, 11, 28, 12, 0, tzinfo=CHINA)


@pytest.mark.parametrize(("now", "seconds", "left"), [
    (datetime(2026, 11, 28, 0, 0, tzinfo=CHINA), 86400, 86400),  # a day starts at China midnight
    (datetime(2026, 11, 28, 23, 59, 59, tzinfo=CHINA), 86400, 1),
    (datetime(2026, 11, 28, 8, 0, tzinfo=CHINA), 86400, 16 * 3600),  # not at UTC midnight (08:00 in China)
    (datetime(2026, 11, 28, 10, 5, tzinfo=CHINA), 600, 300),
    (datetime(2026, 11, 28, 10, 0, 30, tzinfo=CHINA), 60, 30),
    (datetime(2026, 11, 28, 2, 0, tzinfo=CHINA), 3600, 3600),
])
def test_a_window_ends_on_the_china_clock(now: datetime, seconds: int, left: float) -> None:
    assert ratelimit.window_of(now, seconds)[1] == pytest.approx(left)


@pytest.mark.parametrize(("first", "second", "seconds", "same"), [
    (datetime(2026, 11, 28, 23, 59, 59, tzinfo=CHINA), datetime(2026, 11, 29, 0, 0, tzinfo=CHINA), 86400, False),
    (datetime(2026, 11, 28, 0, 0, tzinfo=CHINA), datetime(2026, 11, 28, 23, 59, 59, tzinfo=CHINA), 86400, True),
    (datetime(2026, 11, 28, 10, 9, 59, tzinfo=CHINA), datetime(2026, 11, 28, 10, 10, tzinfo=CHINA), 600, False),
    (datetime(2026, 11, 28, 10, 0, tzinfo=CHINA), datetime(2026, 11, 28, 2, 9, tzinfo=UTC), 600, True),  # one instant
])
def test_two_moments_share_a_window_only_between_its_boundaries(first: datetime, second: datetime, seconds: int,
                                                                 same: bool) -> None:
    assert (ratelimit.window_of(first, seconds)[0] == ratelimit.window_of(second, seconds)[0]) is same


@pytest.mark.parametrize(("seconds", "minutes", "whole"), [(0.2, 1, 1), (60, 1, 60), (61, 2, 61), (599.5, 10, 600)])
def test_a_refusal_says_how_long_to_wait_in_whole_units(seconds: float, minutes: int, whole: int) -> None:
    refusal = Refusal(Rule("x", 1, 600), seconds)
    assert (refusal.minutes, refusal.seconds) == (minutes, whole)


def test_the_hit_over_the_limit_is_refused_until_the_window_ends() -> None:
    store, rule = MemoryStore(), Rule("scan:openid", limit=3, window=600)
    assert [ratelimit.check(store, NOON, Hit(rule, "o-1")) for _ in range(3)] == [None] * 3
    refused = ratelimit.check(store, NOON + timedelta(minutes=4), Hit(rule, "o-1"))
    assert refused == Refusal(rule, 360)
    assert ratelimit.check(store, NOON, Hit(rule, "o-2")) is None  # per subject
    assert ratelimit.check(store, NOON + timedelta(minutes=10), Hit(rule, "o-1")) is None  # next window


def test_a_distinct_rule_counts_different_members_only() -> None:
    store, rule = MemoryStore(), Rule("query:number", limit=2, window=3600, distinct=True)
    for name in ["张三", "张三", "李四", "李四"]:
        assert ratelimit.check(store, NOON, Hit(rule, "number", name)) is None
    assert ratelimit.check(store, NOON, Hit(rule, "number", "王五")) == Refusal(rule, 3600)


def test_a_subject_refused_by_an_earlier_rule_is_not_counted_by_the_later_ones() -> None:
    store = MemoryStore()
    sender, number = Rule("sender", limit=1, window=600), Rule("number", limit=2, window=3600, distinct=True)
    assert ratelimit.check(store, NOON, Hit(sender, "o-spray"), Hit(number, "n", "张三")) is None
    for name in ["李四", "王五", "赵六"]:
        assert ratelimit.check(store, NOON, Hit(sender, "o-spray"), Hit(number, "n", name)).rule is sender
    assert ratelimit.check(store, NOON, Hit(sender, "o-holder"), Hit(number, "n", "本人")) is None


def test_spent_reads_a_counter_without_counting() -> None:
    store, rule = MemoryStore(), Rule("guess:ip", limit=3, window=3600)
    hit = Hit(rule, "10.0.0.1")
    assert ratelimit.spent(store, NOON, hit) is None  # nothing counted yet, and reading counts nothing
    for _ in range(2):
        ratelimit.check(store, NOON, hit)
    assert ratelimit.spent(store, NOON, hit) is None  # 2 of 3 used
    ratelimit.check(store, NOON, hit)
    refusal = ratelimit.spent(store, NOON, hit)
    assert refusal is not None and refusal.rule == rule and refusal.minutes == 60
    assert ratelimit.spent(store, NOON + timedelta(hours=1), hit) is None  # the next window starts afresh
    with pytest.raises(ValueError, match="counters only"):
        ratelimit.spent(store, NOON, Hit(Rule("pairs", 1, 60, distinct=True), "x"))
