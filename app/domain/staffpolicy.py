"""Who may manage which back-office account, and which changes an admin may make.

An admin scoped to one 签发机关 manages only that authority's accounts (anything else is a plain 404,
like every other record of another authority) and can never grant "all authorities"; only an admin
of all authorities can. Nobody disables themselves, changes their own scope or takes away their own
admin role: the last admin locking themselves out would need a shell to undo.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

ALL_AUTHORITIES = "*"  # an account of the city bureau that sees every 签发机关


@dataclass(frozen=True)
class Change:
    """An account as an admin wants it after the change (for a new account: as created)."""

    roles: Set[str]
    authority: str
    active: bool = True


def may_manage(actor_authority: str, target_authority: str) -> bool:
    """Whether an admin of `actor_authority` sees and manages an account of `target_authority`."""
    return actor_authority in (ALL_AUTHORITIES, target_authority)


def change_refusal(actor_authority: str, change: Change, *, is_self: bool = False,
                   self_roles: Set[str] = frozenset()) -> str | None:
    """Why the change is refused (Chinese, for the admin), or None when it is allowed.

    `is_self`: the admin is changing their own account, which now holds `self_roles`.
    """
    if not change.roles:
        return "请至少选择一个角色"
    if change.authority == ALL_AUTHORITIES and actor_authority != ALL_AUTHORITIES:
        return "只有“全部签发机关”的管理员才能授予“全部”范围"
    if not may_manage(actor_authority, change.authority):
        return "只能把账号设在本机关范围内"
    if is_self and not change.active:
        return "不能停用自己的账号"
    if is_self and change.authority != actor_authority:
        return "不能更改自己的范围，请由另一位管理员操作"
    if is_self and "admin" in self_roles and "admin" not in change.roles:
        return "不能取消自己的管理员角色，请由另一位管理员操作"
    return None


RESETS = {"password": "不能重置自己的密码，请点“修改密码”修改",
          "two_factor": "不能重置自己的两步验证，请由另一位管理员操作"}


def reset_refusal(what: str, *, is_self: bool) -> str | None:
    """Resets are for colleagues: one's own would end the session the admin is working in."""
    return RESETS[what] if is_self else None
