"""Certificates, their renewal reviews (复审), photos and the history of changes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.storage.db import Base, Blob
from app.storage.models._common import utcnow
from app.storage.types import BlindIndex


class Photo(Base):
    """A holder photo, encrypted at rest; `digest` is keyed (HMAC) so it reveals nothing."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(BlindIndex(), unique=True)  # keyed hash of the image, see Person.id_hash
    content_type: Mapped[str] = mapped_column(String(32))
    data_enc: Mapped[bytes] = mapped_column(Blob)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Certificate(Base):
    """One version of a certificate. A reissue adds a version; older ones stay as history.

    A certificate is its holder + `identity` (app.domain.identity: 作业类别 + 操作项目, or 人员类型 +
    行业类别); its versions chain under that pair. The 证号 does not identify one: every
    special-operations certificate of a holder carries the same "T" + ID number, and management
    certificates may have none.

    `public_id` is a random opaque identifier used in QR codes and URLs: the 证号 itself
    contains the holder's full ID number and must never appear in a code anyone can read.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        # Leading person_id: also the index for "the holder's certificates" and the foreign key.
        UniqueConstraint("person_id", "identity", "version", name="uq_cert_identity_version"),
        Index("ix_cert_no", "cert_no_hash"),
        # The reminder job looks certificates up by the day they expire or their exam was passed.
        Index("ix_cert_valid_until", "valid_until"),
        Index("ix_cert_exam_passed", "exam_passed_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)
    identity: Mapped[str] = mapped_column(String(32))  # app.domain.identity (legacy splits: "~<id>")
    # The 证号, when the export gave one: blind index (see Person.id_hash), ciphertext and mask.
    cert_no_hash: Mapped[str | None] = mapped_column(BlindIndex())
    cert_no_enc: Mapped[bytes | None] = mapped_column(LargeBinary(512))
    cert_no_masked: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(16))  # special_ops | safety_mgmt
    category_code: Mapped[str | None] = mapped_column(String(8))
    item_code: Mapped[str | None] = mapped_column(String(8))
    personnel_type_code: Mapped[str | None] = mapped_column(String(8))
    industry_code: Mapped[str | None] = mapped_column(String(8))
    employer: Mapped[str | None] = mapped_column(String(200))
    first_issue_date: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    exam_passed_date: Mapped[date | None] = mapped_column(Date)
    issuing_authority: Mapped[str] = mapped_column(String(100))
    authority_code: Mapped[str] = mapped_column(String(16))
    admin_state: Mapped[str | None] = mapped_column(String(16))  # suspended | revoked | cancelled
    admin_reason: Mapped[str | None] = mapped_column(String(200))
    suspended_until: Mapped[date | None] = mapped_column(Date)  # 暂扣 ends by itself on this day
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Provenance: the import run and row that last wrote this version (also how a file's own
    # duplicates are recognised without holding a million keys in memory).
    import_run_id: Mapped[int | None] = mapped_column(Integer)
    import_row: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    reviews: Mapped[list[RenewalReview]] = relationship(
        back_populates="certificate", order_by="RenewalReview.due_date", lazy="selectin"
    )


class RenewalReview(Base):
    """A 复审 of a special-operations certificate: when it fell due and when it was done."""

    __tablename__ = "renewal_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    due_date: Mapped[date] = mapped_column(Date, index=True)  # the reminder job's look-up
    done_date: Mapped[date | None] = mapped_column(Date)

    certificate: Mapped[Certificate] = relationship(back_populates="reviews")


class CertificateChange(Base):
    """History of in-place corrections (previous values as JSON) and where each came from."""

    __tablename__ = "certificate_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    previous: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
