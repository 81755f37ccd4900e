"""Who manages which account, and which changes an admin may make (app/domain/staffpolicy.py)."""

from __future__ import annotations

import pytest

from app.domain.staffpolicy import ALL_AUTHORITIES, Change, change_refusal, may_manage, reset_refusal

CQ, SC = "重庆市应急管理局", "四川省应急管理厅"


@pytest.mark.parametrize(("actor", "target", "manages"), [
    (ALL_AUTHORITIES, CQ, True), (ALL_AUTHORITIES, ALL_AUTHORITIES, True), (CQ, CQ, True),
    (CQ, SC, False), (CQ, ALL_AUTHORITIES, False),
])
def test_an_admin_manages_accounts_of_their_scope(actor: str, target: str, manages: bool) -> None:
    assert may_manage(actor, target) is manages


@pytest.mark.parametrize(("actor", "change", "is_self", "self_roles", "refusal"), [
    (CQ, Change({"reviewer"}, CQ), False, set(), None),
    (CQ, Change({"admin", "operator"}, CQ), False, set(), None),  # a scoped admin may make admins of their own
    (CQ, Change(set(), CQ), False, set(), "请至少选择一个角色"),
    (CQ, Change({"reviewer"}, ALL_AUTHORITIES), False, set(), "只有“全部签发机关”的管理员才能授予“全部”范围"),
    (CQ, Change({"reviewer"}, SC), False, set(), "只能把账号设在本机关范围内"),
    (ALL_AUTHORITIES, Change({"admin"}, ALL_AUTHORITIES), False, set(), None),
    (ALL_AUTHORITIES, Change({"reviewer"}, SC), False, set(), None),
    (CQ, Change({"admin"}, CQ, active=False), True, {"admin"}, "不能停用自己的账号"),
    (CQ, Change({"reviewer"}, CQ), True, {"admin", "reviewer"}, "不能取消自己的管理员角色，请由另一位管理员操作"),
    (ALL_AUTHORITIES, Change({"admin"}, CQ), True, {"admin"}, "不能更改自己的范围，请由另一位管理员操作"),
    (CQ, Change({"admin", "reviewer"}, CQ), True, {"admin"}, None),  # adding a role to oneself is fine
])
def test_changes_an_admin_may_make(actor: str, change: Change, is_self: bool, self_roles: set[str],
                                   refusal: str | None) -> None:
    assert change_refusal(actor, change, is_self=is_self, self_roles=frozenset(self_roles)) == refusal


@pytest.mark.parametrize(("what", "is_self", "refused"), [
    ("password", False, False), ("two_factor", False, False), ("password", True, True), ("two_factor", True, True),
])
def test_resets_are_for_colleagues(what: str, is_self: bool, refused: bool) -> None:
    assert (reset_refusal(what, is_self=is_self) is not None) is refused
