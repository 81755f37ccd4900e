"""Reminders sent to holders (one row per certificate, kind and due day) and shared copies (加注件)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.db import Base
from app.storage.models._common import utcnow
from app.storage.types import BlindIndex


class CertificateNotice(Base):
    """A reminder the job queued: its key (certificate, kind, due day) is unique, so a second run of
    the job, or two runs at once, can never tell the holder twice (app/services/reminders.py)."""

    __tablename__ = "certificate_notices"
    __table_args__ = (UniqueConstraint("certificate_id", "kind", "due_on", name="uq_notice_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    kind: Mapped[str] = mapped_column(String(16))  # app.domain.reminders.NoticeKind
    due_on: Mapped[date] = mapped_column(Date)
    openid: Mapped[str] = mapped_column(String(64))
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SharedCopy(Base):
    """A copy of a certificate the holder shared for one purpose and recipient, until a day.

    The link's token is never stored in the clear: `token_hash` (a keyed hash, like the blind
    indexes) finds the copy, `token_enc` lets the holder see the link again.
    """

    __tablename__ = "shared_copies"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    openid: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(BlindIndex(), unique=True)
    token_enc: Mapped[bytes] = mapped_column(LargeBinary(256))
    purpose: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(60))
    expires_on: Mapped[date] = mapped_column(Date)  # the last day the link opens
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class SharedCopyView(Base):
    """One opening of a shared copy: when, and what kind of browser (nothing else about the viewer)."""

    __tablename__ = "shared_copy_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    copy_id: Mapped[int] = mapped_column(ForeignKey("shared_copies.id"), index=True)
    what: Mapped[str] = mapped_column(String(8))  # page | pdf
    agent: Mapped[str] = mapped_column(String(16))  # 微信 | 手机浏览器 | 电脑浏览器 | 其他
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
