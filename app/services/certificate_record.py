"""Everything the back office shows about one certificate: versions, corrections, 复审, actions,
downloads, requests, notices sent and the audit trail. Only within the staff member's 签发机关.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.corrections import ChangeLine, change_lines
from app.domain.status import StatusResult
from app.services import accounts, audit, registry
from app.services.certificate_admin import certificate_for
from app.services.manual_review import visible_to as reviews_visible_to
from app.services.staff import StaffView
from app.services.verification_stats import CertificateUsage, certificate_usage
from app.storage.models import (
    AuditEntry,
    Certificate,
    CertificateAction,
    CertificateChange,
    CorrectionRequest,
    DownloadLog,
    ManualReviewRequest,
    Notification,
    Person,
    Staff,
)

FIELD_LABELS = {"name": "姓名", "gender": "性别", "employer": "单位名称", "first_issue_date": "初领日期",
                "valid_from": "有效期开始日期", "valid_until": "有效期结束日期", "exam_passed_date": "考试合格日期",
                "issuing_authority": "签发机关", "authority_code": "签发机关代码", "kind": "证书类型",
                "category_code": "作业类别代码", "item_code": "操作项目代码", "personnel_type_code": "人员类型代码",
                "industry_code": "行业类别代码", "photo_id": "照片"}
DOWNLOAD_LABELS = {"view": "查看", "download": "下载"}
NOTIFICATION_LABELS = {"review_result": "人工审核结果", "certificate_notice": "证书处理通知",
                       "correction_result": "信息更正结果"}
LIMIT = 100


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as the page shows it (the reason, when the entry has one)."""

    at: datetime
    actor: str
    action: str
    note: str


@dataclass(frozen=True)
class Change:
    """One recorded correction of a version: when, from where, and each field's old and new value."""

    at: datetime
    version: int
    source: str
    lines: list[ChangeLine]


@dataclass(frozen=True)
class Record:
    """The detail page's data."""

    cert: Certificate
    person: Person
    on: date
    status_on: StatusResult
    status_today: StatusResult
    versions: list[tuple[Certificate, StatusResult]]
    changes: list[Change]
    actions: list[CertificateAction]
    downloads: dict[str, int]
    verifications: CertificateUsage
    review_requests: list[ManualReviewRequest]
    corrections: list[CorrectionRequest]
    notifications: list[Notification]
    audit: list[AuditLine]
    staff_names: dict[int, str]
    bound_openid: str | None


def source_label(source: str) -> str:
    """Where a change came from, as staff read it."""
    if source == "import":
        return "导入（考试系统导出）"
    parts = dict(part.partition(":")[::2] for part in source.split())
    if "correction" in parts:
        return f"持证人申请更正 #{parts['correction']}（审核：{parts.get('staff', '')}）"
    return f"业务员更正（{parts['staff']}）" if "staff" in parts else source


def record_for(session: Session, staff: StaffView, public_id: str, on: date, today: date) -> Record | None:
    """The record of a version the staff member may see; None otherwise (a 404 for the page)."""
    cert = certificate_for(session, staff, public_id)
    if cert is None:
        return None
    person = session.get(Person, cert.person_id)
    assert person is not None
    versions = list(session.scalars(select(Certificate).where(
        Certificate.person_id == cert.person_id, Certificate.identity == cert.identity)
        .order_by(Certificate.version.desc())))
    ids = [v.id for v in versions]
    requests, corrections = _requests(session, staff, person.id), _corrections(session, ids)
    bound = accounts.bound_openid(session, person.id)
    openids = {bound, *(r.openid for r in requests), *(c.openid for c in corrections)} - {None}
    actions = list(session.scalars(select(CertificateAction).where(CertificateAction.certificate_id.in_(ids))
                                   .order_by(CertificateAction.proposed_at.desc(), CertificateAction.id.desc())))
    statuses = [(v, registry.status_of(session, v, today)) for v in versions]
    return Record(
        cert, person, on, registry.status_of(session, cert, on), next(s for v, s in statuses if v.id == cert.id),
        statuses, _changes(session, versions, person),
        actions, _downloads(session, ids), certificate_usage(session, [v.public_id for v in versions]),
        requests, corrections, _notifications(session, openids),
        _audit(session, versions, person, requests, corrections),
        staff_names(session, {a.proposed_by for a in actions} | {a.decided_by for a in actions}
                    | {r.decided_by for r in requests} | {c.decided_by for c in corrections}), bound)


def _current_values(cert: Certificate, person: Person) -> dict[str, Any]:
    values = {column: getattr(cert, column) for column in FIELD_LABELS if hasattr(cert, column)}
    return {**values, "name": person.name, "gender": person.gender}


def _changes(session: Session, versions: list[Certificate], person: Person) -> list[Change]:
    """Each version's corrections, newest first, field by field."""
    result: list[Change] = []
    for version in versions:
        rows = list(session.scalars(select(CertificateChange).where(CertificateChange.certificate_id == version.id)
                                    .order_by(CertificateChange.changed_at, CertificateChange.id)))
        previous = [json.loads(row.previous) for row in rows]
        for row, lines in zip(rows, change_lines(previous, _current_values(version, person)), strict=True):
            result.append(Change(row.changed_at, version.version, source_label(row.source), lines))
    return sorted(result, key=lambda change: change.at, reverse=True)


def _downloads(session: Session, ids: list[int]) -> dict[str, int]:
    """Views and downloads of the certificate's files, all versions together."""
    rows = session.execute(select(DownloadLog.purpose, func.count()).where(DownloadLog.certificate_id.in_(ids))
                           .group_by(DownloadLog.purpose))
    counts: Counter[str] = Counter()
    for purpose, count in rows:
        counts[DOWNLOAD_LABELS.get(purpose, purpose)] += int(count)
    return dict(counts)


def _requests(session: Session, staff: StaffView, person_id: int) -> list[ManualReviewRequest]:
    """The holder's manual-review requests to the staff member's authority."""
    return list(session.scalars(select(ManualReviewRequest).where(
        ManualReviewRequest.person_id == person_id, reviews_visible_to(staff))
        .order_by(ManualReviewRequest.created_at.desc()).limit(LIMIT)))


def _corrections(session: Session, ids: list[int]) -> list[CorrectionRequest]:
    return list(session.scalars(select(CorrectionRequest).where(CorrectionRequest.certificate_id.in_(ids))
                                .order_by(CorrectionRequest.created_at.desc()).limit(LIMIT)))


def _notifications(session: Session, openids: set[str | None]) -> list[Notification]:
    """Messages sent to the holder's WeChat accounts (the bound one and those that made requests)."""
    if not openids:
        return []
    return list(session.scalars(select(Notification).where(Notification.openid.in_(openids))
                                .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(LIMIT)))


def _audit(session: Session, versions: list[Certificate], person: Person, requests: list[ManualReviewRequest],
           corrections: list[CorrectionRequest]) -> list[AuditLine]:
    """Who did what to the certificate, its holder and the requests about them, newest first."""
    subjects = [*(f"certificate:{v.public_id}" for v in versions), f"person:{person.id}",
                *(f"manual_review:{r.id}" for r in requests), *(f"correction:{c.id}" for c in corrections)]
    entries = session.scalars(select(AuditEntry).where(AuditEntry.subject.in_(subjects))
                              .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(LIMIT))
    return [AuditLine(e.at, e.actor, audit.ACTION_LABELS.get(e.action, e.action), _reason(e.detail)) for e in entries]


def _reason(detail: str) -> str:
    """The reason an audit entry records, if it has one."""
    try:
        parsed = json.loads(detail)
    except ValueError:
        return ""
    return str(parsed.get("reason", "")) if isinstance(parsed, dict) else ""


def staff_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """Usernames of staff accounts by id (for "proposed by", "decided by")."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {i: name for i, name in session.execute(select(Staff.id, Staff.username).where(Staff.id.in_(wanted)))}
