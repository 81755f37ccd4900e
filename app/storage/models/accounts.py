"""WeChat users, their binding to a holder, face-verification attempts and downloads."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.db import Base
from app.storage.models._common import utcnow


class WechatUser(Base):
    """An openid of this official account; bound to at most one holder (and a holder to one openid)."""

    __tablename__ = "wechat_users"

    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), unique=True)
    # The holder registered as, awaiting verification; person_id is set only when verification passes.
    claimed_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    mobile_enc: Mapped[bytes | None] = mapped_column(LargeBinary(512))
    consent_text: Mapped[str | None] = mapped_column(Text)  # the exact face-verification consent shown
    consent_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_method: Mapped[str | None] = mapped_column(String(16))  # face | manual
    bound_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Reminders (published, expiring, review due) for the bound holder; turned off and on in 我的证书.
    reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FaceAttempt(Base):
    """One Tencent FaceID session; the BizToken is kept server-side and used once.

    The row is inserted (`reserved`, no BizToken yet) before DetectAuth is called, so the daily caps
    count attempts in flight too (app/services/face_verification.py).
    """

    __tablename__ = "face_attempts"
    __table_args__ = (Index("ix_face_attempts_person_day", "person_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    biz_token: Mapped[str | None] = mapped_column(String(128), unique=True)
    nonce: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="started")  # reserved | started | passed | failed | error
    err_code: Mapped[int | None] = mapped_column(Integer)
    sim: Mapped[float | None] = mapped_column(Float)
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class DownloadLog(Base):
    """Every download of a certificate image or PDF."""

    __tablename__ = "download_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    fmt: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
