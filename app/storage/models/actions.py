"""Administrative actions on certificates (暂扣, 撤销, 注销, 更正 …) and holders' correction requests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.db import Base, Blob
from app.storage.models._common import utcnow


class CertificateAction(Base):
    """One action on a certificate version, with its reason and legal basis.

    Most actions are `done` when recorded. 撤销 and 注销 are `proposed` by an operator and take effect
    only when an admin, another person, approves them (`approved`) — or never (`rejected`).
    `authority` is the certificate's 签发机关, copied so proposals are listed per authority.
    """

    __tablename__ = "certificate_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    authority: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(16))  # app.domain.certactions.Action
    state: Mapped[str] = mapped_column(String(16), index=True)  # done | proposed | approved | rejected
    reason: Mapped[str] = mapped_column(String(500))
    basis: Mapped[str] = mapped_column(String(32))  # code in app/domain/data/legal_bases.json
    basis_text: Mapped[str] = mapped_column(String(300))  # as cited on the day, whatever the file says later
    until: Mapped[date | None] = mapped_column(Date)  # 暂扣: the first day the certificate is usable again
    field: Mapped[str | None] = mapped_column(String(32))  # 更正: app.domain.corrections.FIELDS
    value: Mapped[str | None] = mapped_column(String(200))  # 更正: the new value as shown
    correction_id: Mapped[int | None] = mapped_column(ForeignKey("correction_requests.id"))
    proposed_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_note: Mapped[str | None] = mapped_column(String(500))  # why an approver rejected it


class CorrectionRequest(Base):
    """A holder's report that a field of their certificate is wrong (信息更正), with an evidence photo.

    Decided by a reviewer of the certificate's 签发机关 within 5 working days (app.domain.corrections).
    """

    __tablename__ = "correction_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    authority: Mapped[str] = mapped_column(String(100), index=True)
    field: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(200))  # the value the holder says is right, as typed
    note: Mapped[str | None] = mapped_column(Text)
    photo_type: Mapped[str | None] = mapped_column(String(32))
    photo_enc: Mapped[bytes | None] = mapped_column(Blob)  # re-encoded (no metadata), then encrypted
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|approved|rejected
    reason: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    photo_purged_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
