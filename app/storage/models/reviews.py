"""Manual review (人工审核) requests, their photos, staff accounts and the notification outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.db import Base, Blob
from app.storage.models._common import utcnow


class Staff(Base):
    """A back-office account: one or more roles, scoped to one 签发机关 or to all ("*").

    Another authority's holders, requests and files are a plain 404 to it (app.services.staff).
    Sign-in takes the password and a TOTP code (app.services.twofactor); failed attempts are counted
    per keyed hash of the username in `login_failures`, whether or not the account exists.
    """

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("wechat_openid", name="uq_staff_wechat_openid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(String(64))  # comma-separated, sorted: see app.services.staff.ROLES
    authority: Mapped[str] = mapped_column(String(100))  # canonical 签发机关 name, or "*" for all
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A temporary password (set by an admin) must be replaced at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # The TOTP secret, AES-GCM encrypted (app.domain.pii); enabled once a first code confirmed it.
    totp_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary(512))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a code's 30-second step is used once
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # An inspector's WeChat account, bound with a one-time code (app.services.inspector_binding).
    wechat_openid: Mapped[str | None] = mapped_column(String(64))
    wechat_bound_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ManualReviewRequest(Base):
    """A worker's request to be verified by staff when the face check fails."""

    __tablename__ = "manual_review_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    authority: Mapped[str] = mapped_column(String(100), index=True)
    description: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending|approved|rejected
    reason: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    photos_purged_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class ReviewPhoto(Base):
    """An uploaded image (holding the ID card, ID front/back), re-encoded and encrypted."""

    __tablename__ = "review_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("manual_review_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # holding_id | id_front | id_back
    content_type: Mapped[str] = mapped_column(String(32))
    data_enc: Mapped[bytes] = mapped_column(Blob)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Notification(Base):
    """Outbox of WeChat messages to send; retried until sent, never blocking the decision itself."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(255))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
