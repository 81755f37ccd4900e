"""The audit log: one writer for every module, and the back office's search, pages and CSV export.

Entries name people by role and row (`staff:<username>`, `openid:<openid>`, `cli:<user>`) and
certificates by public id (`certificate:<public_id>`, or a "public_ids" list in the detail): never
an ID number or a name in the clear. An admin scoped to one 签发机关 sees what that authority's
staff did.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.orm import Session

from app.clock import CHINA
from app.services.importreport import neutralise
from app.services.staff import StaffView
from app.services.timeutil import china_text, utc_naive
from app.storage.models import AuditEntry, Staff

PER_PAGE = 50
EXPORT_CHUNK = 1000
ACTION_LABELS = {
    "staff.sign_in": "登录", "staff.sign_out": "退出登录", "staff.locked": "登录失败过多被锁定",
    "staff.2fa_enrolled": "启用两步验证", "staff.recovery_code_used": "使用恢复码登录",
    "staff.password_changed": "修改密码", "staff.create": "新建账号", "staff.update": "修改角色或范围",
    "staff.disable": "停用账号", "staff.enable": "启用账号", "staff.reset_password": "重置密码",
    "staff.reset_2fa": "重置两步验证", "calendar.load": "载入节假日安排",
    "manual_review.submit": "提交人工审核", "manual_review.approved": "人工审核通过",
    "manual_review.rejected": "人工审核驳回", "wechat.bind": "微信绑定持证人", "wechat.rebind": "微信改绑持证人",
    "cli_show_full_numbers": "命令行显示完整证号",
    "certificate.search": "查询证书",
    "certificate.suspend": "暂扣", "certificate.unsuspend": "解除暂扣", "certificate.correct": "更正信息",
    "certificate.revoke.propose": "提出撤销", "certificate.revoke.approve": "批准撤销",
    "certificate.revoke.reject": "驳回撤销申请", "certificate.cancel.propose": "提出注销",
    "certificate.cancel.approve": "批准注销", "certificate.cancel.reject": "驳回注销申请",
    "pii.reveal_id_number": "查看完整证件号码", "pii.reveal_photo": "查看持证人照片",
    "import.upload": "上传导入文件", "import.run": "导入运行结束",
    "inspector.bind_code": "生成执法人员微信绑定码", "inspector.bind": "执法人员绑定微信",
    "inspector.unbind": "解除执法人员微信绑定",
    "correction.submit": "持证人申请更正", "correction.approved": "同意更正", "correction.rejected": "不予更正",
}
CSV_HEADERS = ["时间", "操作人", "操作", "对象", "详情"]


def record(db: Session, actor: str, action: str, subject: str, detail: Mapping[str, object], now: datetime,
           ) -> None:
    """Append an entry (no personal data in the clear: usernames, openids, row and public ids only)."""
    db.add(AuditEntry(actor=actor[:100], action=action[:50], subject=subject[:100],
                      detail=json.dumps(dict(detail), ensure_ascii=False), at=utc_naive(now)))


def staff_actor(username: str) -> str:
    """How a staff member is named in `actor` and `subject`."""
    return f"staff:{username}"


def certificate_subject(public_id: str) -> str:
    """How a certificate is named in `subject`."""
    return f"certificate:{public_id}"


@dataclass(frozen=True)
class AuditQuery:
    """The page's filters; empty values filter nothing. Dates are China dates, both ends included."""

    actor: str = ""
    action: str = ""
    public_id: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    number: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def _china_midnight(day: date) -> datetime:
    return utc_naive(datetime.combine(day, time.min, CHINA))


def _conditions(query: AuditQuery, scope: Sequence[str] | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [true() if scope is None else AuditEntry.actor.in_(scope)]
    if query.actor:
        found.append(AuditEntry.actor == query.actor)
    if query.action:
        found.append(AuditEntry.action == query.action)
    if query.public_id:
        found.append(or_(AuditEntry.subject == certificate_subject(query.public_id),
                         AuditEntry.detail.contains(json.dumps(query.public_id), autoescape=True)))
    if query.since:
        found.append(AuditEntry.at >= _china_midnight(query.since))
    if query.until:
        found.append(AuditEntry.at < _china_midnight(query.until + timedelta(days=1)))
    return found


def _select(query: AuditQuery, scope: Sequence[str] | None) -> Select[tuple[AuditEntry]]:
    return select(AuditEntry).where(*_conditions(query, scope)).order_by(AuditEntry.id.desc())


def scope_of(db: Session, staff: StaffView) -> list[str] | None:
    """The actors whose entries the staff member may read (None: all of them)."""
    if staff.all_authorities:
        return None
    names = db.scalars(select(Staff.username).where(Staff.authority == staff.authority))
    return [staff_actor(name) for name in names]


def page_of(db: Session, query: AuditQuery, scope: Sequence[str] | None, number: int) -> Page:
    """One page of matching entries, newest first."""
    total = int(db.scalar(select(func.count()).select_from(AuditEntry).where(*_conditions(query, scope))) or 0)
    number = min(max(number, 1), max(1, -(-total // PER_PAGE)))
    entries = list(db.scalars(_select(query, scope).limit(PER_PAGE).offset((number - 1) * PER_PAGE)))
    return Page(entries, number, total)


def actions_in_use(db: Session) -> list[str]:
    """Every action recorded so far (the filter's choices)."""
    return sorted(db.scalars(select(AuditEntry.action).distinct()))


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def csv_chunks(db: Session, query: AuditQuery, scope: Sequence[str] | None) -> Iterator[str]:
    """The matching entries as CSV text, a thousand rows at a time (never the whole log in memory).

    Cells are neutralised like the import report's, so Excel never runs a cell as a formula.
    """
    yield "\ufeff" + _csv_text([CSV_HEADERS])  # the BOM makes Excel read UTF-8
    below: int | None = None
    while True:
        statement = _select(query, scope).limit(EXPORT_CHUNK)
        if below is not None:
            statement = statement.where(AuditEntry.id < below)
        entries = list(db.scalars(statement))
        if not entries:
            return
        yield _csv_text([[china_text(e.at), e.actor, action_label(e.action), e.subject, e.detail] for e in entries])
        below = entries[-1].id
        db.expunge_all()


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([[neutralise(cell) for cell in row] for row in rows])
    return out.getvalue()
