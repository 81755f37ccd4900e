"""Inspectors' rules: who sees the inspector view, binding codes, remembered sites, one check per row."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.domain.inspection import (
    ANONYMOUS,
    INSPECTOR,
    MISMATCH_HEADLINE,
    banner,
    bind_code_in,
    bind_code_usable,
    clean_site,
    continues_check,
    remembered_site,
    view_for,
)

NOW = datetime(2026, 12, 3, 10, 0)


@pytest.mark.parametrize(("roles", "active", "bound", "expected"), [
    (frozenset({"inspector"}), True, True, INSPECTOR),
    (frozenset({"inspector", "operator"}), True, True, INSPECTOR),
    (frozenset({"inspector"}), False, True, ANONYMOUS),       # a disabled account
    (frozenset({"inspector"}), True, False, ANONYMOUS),       # not bound to this WeChat account
    (frozenset({"operator", "admin"}), True, True, ANONYMOUS),  # staff, but no inspector
    (None, True, True, ANONYMOUS),                            # nobody's WeChat account
])
def test_only_an_active_bound_inspector_gets_the_inspector_view(roles: frozenset[str] | None, active: bool,
                                                                bound: bool, expected: str) -> None:
    assert view_for(roles, active, bound) == expected


@pytest.mark.parametrize(("text", "code"), [
    ("绑定 123456", "123456"), ("绑定123456", "123456"), ("  123456 ", "123456"), ("绑定  004211", "004211"),
    ("12345", None), ("1234567", None), ("绑定 12a456", None), ("解绑 123456", None), ("", None),
])
def test_a_binding_code_is_found_in_what_the_inspector_types(text: str, code: str | None) -> None:
    assert bind_code_in(text) == code


@pytest.mark.parametrize(("age", "usable"), [
    (timedelta(0), True), (timedelta(minutes=9, seconds=59), True), (timedelta(minutes=10), True),
    (timedelta(minutes=10, seconds=1), False), (timedelta(hours=2), False), (-timedelta(seconds=5), False),
])
def test_a_binding_code_works_for_ten_minutes(age: timedelta, usable: bool) -> None:
    assert bind_code_usable(NOW - age, NOW) is usable


@pytest.mark.parametrize(("site", "day", "expected"), [
    ("某某隧道工地", date(2026, 12, 3), "某某隧道工地"),   # typed earlier today: remembered
    ("某某隧道工地", date(2026, 12, 2), ""),              # yesterday's site is not today's
    (None, date(2026, 12, 3), ""),
    ("某某隧道工地", None, ""),
])
def test_the_site_is_remembered_for_the_rest_of_the_day(site: str | None, day: date | None, expected: str) -> None:
    assert remembered_site(site, day, date(2026, 12, 3)) == expected


@pytest.mark.parametrize(("last_at", "last_cert", "cert", "continues"), [
    (NOW - timedelta(minutes=2), 7, 7, True),     # the chat reply, then its page: one check
    (NOW - timedelta(minutes=11), 7, 7, False),   # a later check of the same card: a new row
    (NOW - timedelta(minutes=2), 8, 7, False),    # another certificate
    (None, None, 7, False),                       # the inspector's first check
])
def test_a_look_again_within_ten_minutes_is_the_same_check(last_at: datetime | None, last_cert: int | None,
                                                          cert: int, continues: bool) -> None:
    assert continues_check(last_at, last_cert, cert, NOW) is continues


@pytest.mark.parametrize(("id_check", "expected"), [
    ("mismatch", ("bad", MISMATCH_HEADLINE)),
    ("match", ("ok", "证书真实有效")),
    (None, ("ok", "证书真实有效")),
])
def test_a_mismatched_id_number_turns_the_whole_banner_red(id_check: str | None, expected: tuple[str, str]) -> None:
    assert banner("ok", "证书真实有效", id_check) == expected


def test_a_typed_site_is_trimmed_and_bounded() -> None:
    assert clean_site("  某某   煤矿 ") == "某某 煤矿"
    assert clean_site("   ") is None
    assert len(clean_site("工" * 300) or "") == 100
