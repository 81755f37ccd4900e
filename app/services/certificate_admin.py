"""Administrative actions on a certificate: 暂扣, 解除暂扣, 撤销 and 注销 (proposed, then approved), 更正.

The rules are app.domain.certactions (pure). Here a certificate is read under a row lock, checked,
changed, the action kept with its reason and legal basis, audited, and the bound holder's notice
queued, all in one commit. The back office then sends the notice and drops the cached status list
(app/web/admin/certificates.py). Another authority's certificates and proposals are simply not found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from app.clock import CHINA
from app.domain.certactions import (
    IRREVERSIBLE,
    Action,
    Request,
    Target,
    approval_refusal,
    may_request,
    request_refusal,
    state_refusal,
)
from app.domain.corrections import CorrectionValueError, Field, display, field_for, parse_value
from app.domain.errors import UserError
from app.domain.legalbasis import LegalBases
from app.services import accounts, audit, notices, notify, registry
from app.services.presenters import scope_labels
from app.services.staff import StaffView
from app.services.timeutil import china_text, utc_naive
from app.storage.models import Certificate, CertificateAction, CertificateChange, Person

# What each action leaves in the certificate's record (admin_state, whether the reason is kept).
_EFFECTS: dict[Action, str | None] = {Action.SUSPEND: "suspended", Action.UNSUSPEND: None,
                                      Action.REVOKE: "revoked", Action.CANCEL: "cancelled"}


class ActionError(UserError):
    """An action that cannot be carried out; `message` is Chinese text for the staff member."""


@dataclass(frozen=True)
class Done:
    """A committed action (or proposal) and the notices queued with it."""

    action: CertificateAction
    notifications: list[int]


def certificate_scope(staff: StaffView) -> ColumnElement[bool]:
    """The WHERE clause limiting staff to certificates of their own 签发机关."""
    return true() if staff.all_authorities else Certificate.issuing_authority == staff.authority


def certificate_for(session: Session, staff: StaffView, public_id: str, lock: bool = False) -> Certificate | None:
    """A certificate version the staff member may see (locked for an update when asked)."""
    if not public_id or len(public_id) > 24:
        return None
    query = select(Certificate).where(Certificate.public_id == public_id, certificate_scope(staff))
    return session.scalar(query.with_for_update() if lock else query)


def target_of(session: Session, cert: Certificate, today: date) -> Target:
    """What the rules need to know about the certificate today."""
    status = registry.status_of(session, cert, today)
    pending = session.scalar(select(CertificateAction.id).where(
        CertificateAction.certificate_id == cert.id, CertificateAction.state == "proposed").limit(1))
    return Target(cert.kind, cert.is_current, status.code.value, pending is not None)


def _today(now: datetime) -> date:
    return now.astimezone(CHINA).date() if now.tzinfo else now.date()


def _locked(session: Session, staff: StaffView, public_id: str) -> Certificate:
    cert = certificate_for(session, staff, public_id, lock=True)
    if cert is None:
        raise ActionError("证书不存在")
    if not may_request(staff.roles):
        raise ActionError("只有业务员可以处理证书")
    return cert


def take(session: Session, staff: StaffView, public_id: str, request: Request, now: datetime,
         bases: LegalBases) -> Done:
    """暂扣 or 解除暂扣 at once; 撤销 or 注销 as a proposal waiting for an admin."""
    cert = _locked(session, staff, public_id)
    refusal = request_refusal(request, target_of(session, cert, _today(now)), _today(now), bases)
    if refusal is not None:
        raise ActionError(refusal.message, refusal.field)
    at = utc_naive(now)
    if request.action in IRREVERSIBLE:
        row = _record(session, staff, cert, request, bases, at, "proposed")
        _audit(session, staff, f"certificate.{request.action}.propose", cert, row, at)
        session.commit()
        return Done(row, [])
    row = _record(session, staff, cert, request, bases, at, "done")
    _apply(cert, request.action, row.reason, request.until)
    _audit(session, staff, f"certificate.{request.action}", cert, row, at)
    queued = _notify(session, cert, row, at)
    session.commit()
    return Done(row, queued)


def _record(session: Session, staff: StaffView, cert: Certificate, request: Request, bases: LegalBases,
            at: datetime, state: str, **extra: Any) -> CertificateAction:
    """Keep the action with its reason and the legal basis as cited today."""
    basis = bases.get(request.basis)
    assert basis is not None  # checked by request_refusal
    row = CertificateAction(certificate_id=cert.id, authority=cert.issuing_authority, action=request.action.value,
                            state=state, reason=request.reason.strip(), basis=basis.code, basis_text=basis.label,
                            until=request.until, proposed_by=staff.id, proposed_at=at, **extra)
    session.add(row)
    session.flush()
    return row


def _apply(cert: Certificate, action: Action, reason: str, until: date | None) -> None:
    """The certificate's record after the action: /v/, 扫码查询 and the status list read it from now on."""
    cert.admin_state = _EFFECTS[action]
    cert.admin_reason = reason[:200] if cert.admin_state else None
    cert.suspended_until = until if action is Action.SUSPEND else None


def _audit(session: Session, staff: StaffView, action: str, cert: Certificate, row: CertificateAction,
           at: datetime, **detail: object) -> None:
    audit.record(session, audit.staff_actor(staff.username), action, audit.certificate_subject(cert.public_id),
                   {"action_id": row.id, "basis": row.basis, "reason": row.decision_note or row.reason,
                    "staff_id": staff.id, **detail}, at)


def _notify(session: Session, cert: Certificate, row: CertificateAction, at: datetime) -> list[int]:
    """Queue a notice for the holder's bound WeChat account, if there is one."""
    openid = accounts.bound_openid(session, cert.person_id)
    if openid is None:
        return []
    item = " ".join(part for part in scope_labels(cert) if part) or cert.issuing_authority
    payload = notices.certificate_payload(cert.public_id, item, row.action, row.reason, row.until, china_text(at))
    return [notify.enqueue(session, openid, notices.CERTIFICATE_NOTICE, payload, at).id]


def holder_actions(session: Session, cert_id: int, limit: int = 5) -> list[CertificateAction]:
    """What the authority did to the certificate, newest first, as its holder may read it (proposals
    and rejected ones are internal): the page a notice links to shows the whole reason."""
    return list(session.scalars(select(CertificateAction).where(
        CertificateAction.certificate_id == cert_id, CertificateAction.state.in_(("done", "approved")))
        .order_by(CertificateAction.id.desc()).limit(limit)))


# --- 撤销 and 注销: the second person ----------------------------------------------------------

def proposal_scope(staff: StaffView) -> ColumnElement[bool]:
    """Proposals of the staff member's own 签发机关 (all for the city bureau's accounts)."""
    return true() if staff.all_authorities else CertificateAction.authority == staff.authority


def pending_proposals(session: Session, staff: StaffView) -> list[tuple[CertificateAction, Certificate]]:
    """Proposals waiting for approval, oldest first."""
    rows = session.execute(select(CertificateAction, Certificate)
                           .join(Certificate, Certificate.id == CertificateAction.certificate_id)
                           .where(CertificateAction.state == "proposed", proposal_scope(staff))
                           .order_by(CertificateAction.proposed_at, CertificateAction.id))
    return [(action, cert) for action, cert in rows]


def proposal_for(session: Session, staff: StaffView, action_id: int) -> CertificateAction | None:
    """A proposal (in any state) the staff member may see."""
    if not 0 < action_id < 2**31:
        return None
    return session.scalar(select(CertificateAction).where(
        CertificateAction.id == action_id, CertificateAction.action.in_([a.value for a in IRREVERSIBLE]),
        proposal_scope(staff)))


def decide(session: Session, staff: StaffView, action_id: int, approve: bool, note: str, now: datetime,
           ) -> Done:
    """An admin other than the proposer approves (the action takes effect) or rejects a proposal."""
    row = proposal_for(session, staff, action_id)
    if row is None or row.state != "proposed":
        raise ActionError("申请不存在或已处理")
    refusal = approval_refusal(staff.roles, staff.id, row.proposed_by)
    if refusal is not None:
        raise ActionError(refusal.message)
    note = note.strip()
    if not approve and not note:
        raise ActionError("驳回时请填写理由", "note")
    cert = session.scalar(select(Certificate).where(Certificate.id == row.certificate_id).with_for_update())
    assert cert is not None
    at, queued = utc_naive(now), []
    if approve:
        target = target_of(session, cert, _today(now))
        blocked = state_refusal(Action(row.action), Target(target.kind, target.is_current, target.status))
        if blocked is not None:
            raise ActionError(blocked.message)
        _apply(cert, Action(row.action), row.reason, None)
        queued = _notify(session, cert, row, at)
    row.state, row.decided_by, row.decided_at, row.decision_note = (
        "approved" if approve else "rejected", staff.id, at, note[:500] or None)
    _audit(session, staff, f"certificate.{row.action}.{'approve' if approve else 'reject'}", cert, row, at,
           proposed_by=row.proposed_by)
    session.commit()
    return Done(row, queued)


# --- 更正: one path for operators and for holders' requests -------------------------------------

def current_values(cert: Certificate, person: Person) -> dict[str, Any]:
    """The correctable fields' present values."""
    return {"name": person.name, "gender": person.gender, "employer": cert.employer,
            "first_issue_date": cert.first_issue_date, "valid_from": cert.valid_from,
            "valid_until": cert.valid_until}


def correct(session: Session, staff: StaffView, public_id: str, field_key: str, raw_value: str,
            request: Request, now: datetime, bases: LegalBases) -> Done:
    """An operator corrects one field (reason and legal basis required); the holder is notified."""
    cert = _locked(session, staff, public_id)
    refusal = request_refusal(request, target_of(session, cert, _today(now)), _today(now), bases)
    if refusal is not None:
        raise ActionError(refusal.message, refusal.field)
    person = session.get(Person, cert.person_id)
    assert person is not None
    try:
        field = field_for(field_key, cert.kind)
        value = parse_value(field, raw_value, current_values(cert, person))
    except CorrectionValueError as exc:
        raise ActionError(exc.message, exc.field) from None
    done = record_correction(session, staff, cert, field, value, request, bases, utc_naive(now), notify_holder=True)
    session.commit()
    return done


def record_correction(session: Session, staff: StaffView, cert: Certificate, field: Field, value: Any,
                      request: Request, bases: LegalBases, at: datetime, correction_id: int | None = None,
                      notify_holder: bool = False) -> Done:
    """Change the field in place, keep the old value, record and audit the action (caller commits)."""
    source = f"correction:{correction_id} staff:{staff.username}" if correction_id else f"staff:{staff.username}"
    apply_correction(session, cert, field, value, source, at)
    row = _record(session, staff, cert, request, bases, at, "done", field=field.key, value=display(value)[:200],
                  correction_id=correction_id)
    _audit(session, staff, "certificate.correct", cert, row, at, field=field.key, correction_id=correction_id)
    return Done(row, _notify(session, cert, row, at) if notify_holder else [])


def apply_correction(session: Session, cert: Certificate, field: Field, value: Any, source: str,
                     at: datetime) -> None:
    """Write the new value; every current certificate showing the field keeps its previous value.

    The fingerprint is left as the last import wrote it: re-importing that same export is then
    "unchanged" and does not undo the correction (app.domain.importdecision).
    """
    owner: Person | Certificate = cert
    shown_on = [cert]
    if field.owner == "person":
        person = session.get(Person, cert.person_id)
        assert person is not None
        owner = person
        shown_on = list(session.scalars(select(Certificate).where(Certificate.person_id == person.id,
                                                                  Certificate.is_current.is_(True))))
    previous = getattr(owner, field.key)
    setattr(owner, field.key, value)
    old = json.dumps({field.key: previous.isoformat() if isinstance(previous, date) else previous},
                     ensure_ascii=False)
    for shown in shown_on:
        session.add(CertificateChange(certificate_id=shown.id, previous=old, source=source[:200], changed_at=at))
    session.flush()
