"""The rules of administrative actions: what state allows what, dates, reasons, bases, the two-person rule."""

from __future__ import annotations

import datetime as dt

import pytest

from app.domain.certactions import (
    Action,
    Request,
    Target,
    add_years,
    approval_refusal,
    may_request,
    reason_refusal,
    request_refusal,
    state_refusal,
    until_refusal,
)
from app.domain.legalbasis import load_default

D = dt.date
TODAY = D(2026, 12, 3)
OK = None


def _target(status: str, current: bool = True, pending: bool = False, kind: str = "special_ops") -> Target:
    return Target(kind, current, status, pending)


@pytest.mark.parametrize(("action", "target", "refused_with"), [
    # 暂扣: only a certificate that could otherwise be used.
    (Action.SUSPEND, _target("valid"), OK),
    (Action.SUSPEND, _target("review_due"), OK),
    (Action.SUSPEND, _target("review_overdue"), OK),
    (Action.SUSPEND, _target("unpublished"), OK),
    (Action.SUSPEND, _target("suspended"), "正在暂扣中"),
    (Action.SUSPEND, _target("revoked"), "已撤销"),
    (Action.SUSPEND, _target("cancelled"), "已注销"),
    (Action.SUSPEND, _target("expired"), "已过期"),
    (Action.SUSPEND, _target("valid", pending=True), OK),  # a proposal does not block a suspension
    # 解除暂扣: only while suspended (after the end day the certificate is no longer suspended).
    (Action.UNSUSPEND, _target("suspended"), OK),
    (Action.UNSUSPEND, _target("valid"), "不在暂扣中"),
    (Action.UNSUSPEND, _target("cancelled"), "已注销"),
    # 撤销: not twice, not after 注销, not while another proposal waits.
    (Action.REVOKE, _target("valid"), OK),
    (Action.REVOKE, _target("suspended"), OK),
    (Action.REVOKE, _target("expired"), OK),
    (Action.REVOKE, _target("revoked"), "证书已撤销"),
    (Action.REVOKE, _target("cancelled"), "已注销"),
    (Action.REVOKE, _target("valid", pending=True), "待审批"),
    # 注销: also after 撤销 (令第30号 Art. 31(三)).
    (Action.CANCEL, _target("revoked"), OK),
    (Action.CANCEL, _target("valid"), OK),
    (Action.CANCEL, _target("cancelled"), "已注销"),
    (Action.CANCEL, _target("revoked", pending=True), "待审批"),
    # 更正: a record is corrected whatever its status, but only on the current version.
    (Action.CORRECT, _target("cancelled"), OK),
    (Action.CORRECT, _target("valid", pending=True), OK),
    # Never on a superseded version.
    *[(action, _target("superseded", current=False), "旧版本") for action in Action],
])
def test_what_each_state_allows(action: Action, target: Target, refused_with: str | None) -> None:
    refusal = state_refusal(action, target)
    if refused_with is None:
        assert refusal is None
    else:
        assert refusal is not None and refused_with in refusal.message


@pytest.mark.parametrize(("until", "refused_with"), [
    (None, "请填写暂扣截止日期"),
    (TODAY - dt.timedelta(days=1), "须晚于今天"),
    (TODAY, "须晚于今天"),
    (TODAY + dt.timedelta(days=1), OK),
    (D(2031, 12, 3), OK),  # exactly five years
    (D(2031, 12, 4), "超过5年"),
    (D(2062, 3, 1), "超过5年"),  # a mistyped year
])
def test_a_suspension_ends_after_today_and_within_five_years(until: dt.date | None, refused_with: str | None,
                                                             ) -> None:
    refusal = until_refusal(until, TODAY)
    assert (refusal is None) if refused_with is None else (refusal is not None and refused_with in refusal.message
                                                           and refusal.field == "until")


@pytest.mark.parametrize(("reason", "refused_with"), [
    ("", "请填写理由"), ("   ", "请填写理由"), ("违章作业", OK), ("字" * 200, OK), ("字" * 201, "不超过200字"),
])
def test_a_reason_is_required_and_fits_the_record(reason: str, refused_with: str | None) -> None:
    refusal = reason_refusal(reason)
    assert (refusal is None) if refused_with is None else (refusal is not None and refused_with in refusal.message)


@pytest.mark.parametrize(("request_", "kind", "refused_field"), [
    (Request(Action.SUSPEND, "违章作业", "xcf-9-3", TODAY + dt.timedelta(days=90)), "special_ops", OK),
    (Request(Action.SUSPEND, "违章作业", "xcf-9-3", None), "special_ops", "until"),
    (Request(Action.SUSPEND, "违章作业", "", TODAY + dt.timedelta(days=90)), "special_ops", "basis"),
    (Request(Action.SUSPEND, "违章作业", "30-30-3", TODAY + dt.timedelta(days=90)), "special_ops", "basis"),
    (Request(Action.SUSPEND, "", "xcf-9-3", TODAY + dt.timedelta(days=90)), "special_ops", "reason"),
    (Request(Action.REVOKE, "对事故负有责任", "30-30-3"), "special_ops", OK),
    # 令第30号 is the special-operations rule: a management certificate cites the licensing law.
    (Request(Action.REVOKE, "以欺骗手段取得", "30-30-5"), "safety_mgmt", "basis"),
    (Request(Action.REVOKE, "以欺骗手段取得", "xkf-69-2"), "safety_mgmt", OK),
    (Request(Action.CANCEL, "持证人申请注销", "30-31-2"), "special_ops", OK),
    (Request(Action.CANCEL, "持证人申请注销", "no-such-code"), "special_ops", "basis"),
    (Request(Action.CORRECT, "档案核对有误", "pipl-8"), "safety_mgmt", OK),
])
def test_a_request_needs_a_legal_basis_of_its_action_and_kind(request_: Request, kind: str,
                                                              refused_field: str | None) -> None:
    refusal = request_refusal(request_, _target("valid", kind=kind), TODAY, load_default())
    assert (refusal is None) if refused_field is None else (refusal is not None and refusal.field == refused_field)


@pytest.mark.parametrize(("roles", "allowed"), [
    (frozenset({"operator"}), True),
    (frozenset({"operator", "admin"}), True),
    (frozenset({"admin"}), False),
    (frozenset({"reviewer"}), False),
    (frozenset({"inspector"}), False),
    (frozenset(), False),
])
def test_only_operators_take_actions(roles: frozenset[str], allowed: bool) -> None:
    assert may_request(roles) is allowed


@pytest.mark.parametrize(("roles", "approver", "proposer", "refused_with"), [
    (frozenset({"admin"}), 2, 1, OK),
    (frozenset({"admin", "operator"}), 2, 1, OK),
    (frozenset({"admin", "operator"}), 1, 1, "另一名管理员"),  # the two-person rule
    (frozenset({"operator"}), 2, 1, "只有管理员"),
    (frozenset({"reviewer"}), 2, 1, "只有管理员"),
])
def test_an_irreversible_action_needs_a_second_person_who_is_an_admin(
        roles: frozenset[str], approver: int, proposer: int, refused_with: str | None) -> None:
    refusal = approval_refusal(roles, approver, proposer)
    assert (refusal is None) if refused_with is None else (refusal is not None and refused_with in refusal.message)


@pytest.mark.parametrize(("day", "years", "expected"), [
    (D(2026, 12, 3), 5, D(2031, 12, 3)),
    (D(2028, 2, 29), 1, D(2029, 2, 28)),
    (D(2028, 2, 29), 4, D(2032, 2, 29)),
])
def test_adding_years_keeps_the_day_or_falls_back_to_28_february(day: dt.date, years: int,
                                                                 expected: dt.date) -> None:
    assert add_years(day, years) == expected
