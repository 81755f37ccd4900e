"""Showing staff a full ID number or a holder's photo: a reason first, an audit entry always.

Back-office screens show ID numbers masked (first 4 + last 4) and no registry photo. When the work
needs more (a holder on the phone, a face to compare), the staff member gives a reason; the reveal
is recorded with who, when, why and from which page (PIPL Art. 28: sensitive personal information,
handled only as far as needed). One mechanism for every page: app/web/admin/reveal.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import UserError
from app.domain.pii import PiiCipher
from app.services import audit
from app.services.certificate_admin import certificate_for, certificate_scope
from app.services.staff import StaffView
from app.storage.models import Certificate, Person

WHAT = {"id_number": "完整证件号码", "photo": "持证人照片"}
SUBJECT_KINDS = {"id_number": "person", "photo": "certificate"}  # what each reveal is about
MAX_REASON = 100
MAX_CONTEXT = 60


class RevealError(UserError):
    """A reveal that cannot be granted; `message` is Chinese text for the staff member."""


def subject_visible(session: Session, staff: StaffView, what: str, subject: str) -> bool:
    """Whether the subject exists and lies within the staff member's 签发机关."""
    kind, _, key = subject.partition(":")
    if SUBJECT_KINDS.get(what) != kind or not key:
        return False
    if kind == "certificate":
        cert = certificate_for(session, staff, key)
        return cert is not None and cert.photo_id is not None
    if not key.isdigit() or not 0 < int(key) < 2**31:
        return False
    return session.scalar(select(Certificate.id).where(Certificate.person_id == int(key),
                                                       certificate_scope(staff)).limit(1)) is not None


def record(session: Session, staff: StaffView, what: str, subject: str, reason: str, context: str,
           now: datetime) -> None:
    """Check the reason and keep the audit entry (committed before anything is shown)."""
    reason = reason.strip()
    if what not in WHAT or not subject_visible(session, staff, what, subject):
        raise RevealError("无法查看：记录不存在或不在您的管辖范围内")
    if not reason:
        raise RevealError(f"查看{WHAT[what]}前请填写事由（将记入操作日志）", "reason")
    if len(reason) > MAX_REASON:
        raise RevealError(f"事由请不超过{MAX_REASON}字", "reason")
    audit.record(session, audit.staff_actor(staff.username), f"pii.reveal_{what}", subject,
                   {"reason": reason, "context": context[:MAX_CONTEXT], "staff_id": staff.id}, now)
    session.commit()


def full_id_number(session: Session, pii: PiiCipher, person_id: int) -> str | None:
    """The decrypted ID number (only after `record`)."""
    person = session.get(Person, person_id)
    return pii.decrypt_text(person.id_number_enc, b"people.id_number") if person else None
