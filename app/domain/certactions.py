"""Administrative actions on a certificate: who may take them, on what, with which dates.

暂扣 (suspend, until a day), 解除暂扣 (lift a suspension), 撤销 (revoke), 注销 (cancel) and 更正
(correct a field) are taken by an operator of the certificate's 签发机关, each with a reason and a
legal basis from data/legal_bases.json. 撤销 and 注销 cannot be undone, so an operator only proposes
them and an admin, another person, approves (docs/rules.md, "Administrative actions"). Every rule
here is a pure function over plain values, tested table by table in tests/unit/test_certactions.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from app.domain.legalbasis import LegalBases


class Action(StrEnum):
    """What an operator can do to a certificate."""

    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"
    REVOKE = "revoke"
    CANCEL = "cancel"
    CORRECT = "correct"


LABELS = {Action.SUSPEND: "暂扣", Action.UNSUSPEND: "解除暂扣", Action.REVOKE: "撤销",
          Action.CANCEL: "注销", Action.CORRECT: "更正信息"}
# 撤销 and 注销 cannot be undone (令第30号 Art. 31(三): a revoked certificate is then cancelled):
# one person proposes, another approves.
IRREVERSIBLE = frozenset({Action.REVOKE, Action.CANCEL})
MAX_REASON = 200  # certificates.admin_reason holds 200 characters; the holder's page shows it whole
MAX_SUSPENSION_YEARS = 5  # a guard against a mistyped year, not a rule of law
PROPOSAL_STATES = {"proposed": "待审批", "approved": "已批准", "rejected": "已驳回", "done": "已生效"}


@dataclass(frozen=True)
class Refusal:
    """Why a request cannot be carried out (Chinese, for the staff member) and the form field it concerns."""

    message: str
    field: str | None = None


@dataclass(frozen=True)
class Target:
    """What the rules need to know about the certificate version acted on, today."""

    kind: str  # special_ops | safety_mgmt
    is_current: bool
    status: str  # app.domain.status.StatusCode value on the day of the action
    pending_proposal: bool = False  # a 撤销 or 注销 of it waits for approval


@dataclass(frozen=True)
class Request:
    """What the operator asked for."""

    action: Action
    reason: str
    basis: str  # a code of data/legal_bases.json
    until: dt.date | None = None  # 暂扣 only: the first day the certificate is usable again


def state_refusal(action: Action, target: Target) -> Refusal | None:
    """Whether the certificate's present state allows the action."""
    if not target.is_current:
        return Refusal("这是已被新版本取代的旧版本，请在现行版本上操作")
    if action is Action.CORRECT:
        return None  # a record is corrected whatever its status
    if target.status == "cancelled":
        return Refusal("证书已注销，不能再作处理")
    if action is Action.UNSUSPEND:
        return None if target.status == "suspended" else Refusal("证书当前不在暂扣中")
    if action is Action.SUSPEND:
        return _suspend_refusal(target.status)
    if target.pending_proposal:
        return Refusal("该证书已有待审批的撤销或注销申请，请等待管理员审批")
    if action is Action.REVOKE and target.status == "revoked":
        return Refusal("证书已撤销")
    return None


def _suspend_refusal(status: str) -> Refusal | None:
    """Only a certificate that could otherwise be used is suspended."""
    reasons = {"revoked": "证书已撤销，不能暂扣", "suspended": "证书正在暂扣中；如需改变期限，请先解除暂扣",
               "expired": "证书已过期，无需暂扣"}
    return Refusal(reasons[status]) if status in reasons else None


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def until_refusal(until: dt.date | None, today: dt.date) -> Refusal | None:
    """A suspension ends on a day after today and within MAX_SUSPENSION_YEARS."""
    if until is None:
        return Refusal("请填写暂扣截止日期（证书从该日起自动恢复）", "until")
    if until <= today:
        return Refusal("暂扣截止日期须晚于今天", "until")
    if until > add_years(today, MAX_SUSPENSION_YEARS):
        return Refusal(f"暂扣期限超过{MAX_SUSPENSION_YEARS}年，请核对日期", "until")
    return None


def reason_refusal(reason: str) -> Refusal | None:
    """A reason is required and fits where it is kept."""
    text = reason.strip()
    if not text:
        return Refusal("请填写理由", "reason")
    if len(text) > MAX_REASON:
        return Refusal(f"理由请不超过{MAX_REASON}字", "reason")
    return None


def request_refusal(request: Request, target: Target, today: dt.date, bases: LegalBases) -> Refusal | None:
    """Everything checked before an action (or its proposal) is recorded; None when it may go ahead."""
    return (state_refusal(request.action, target)
            or reason_refusal(request.reason)
            or (None if bases.allows(request.basis, request.action, target.kind)
                else Refusal("请选择法律依据", "basis"))
            or (until_refusal(request.until, today) if request.action is Action.SUSPEND else None))


def may_request(roles: frozenset[str]) -> bool:
    """Operators take every action (撤销 and 注销 as proposals); reviewers and admins only look."""
    return "operator" in roles


def approval_refusal(approver_roles: frozenset[str], approver_id: int, proposer_id: int) -> Refusal | None:
    """The two-person rule: an admin who did not make the proposal approves or rejects it."""
    if "admin" not in approver_roles:
        return Refusal("只有管理员可以审批撤销、注销")
    if approver_id == proposer_id:
        return Refusal("撤销、注销须由另一名管理员审批，不能审批自己提出的申请")
    return None
