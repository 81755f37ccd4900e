"""On-site inspections (执法检查): every check a bound inspector made, for the holder and the back office."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.db import Base
from app.storage.models._common import utcnow


class Inspection(Base):
    """One inspector's check of one certificate version (app/services/inspections.py).

    `inspector` and `authority` are copied from the staff account at the time, so the holder's
    查验记录 keeps naming who checked even after the account is renamed or disabled. `day` is the
    China date, for the per-day filters and counts.
    """

    __tablename__ = "inspections"
    __table_args__ = (
        Index("ix_inspections_staff_at", "staff_id", "at"),
        Index("ix_inspections_authority_day", "authority", "day"),
        Index("ix_inspections_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    inspector: Mapped[str] = mapped_column(String(64))  # the inspector's number (their account name)
    authority: Mapped[str] = mapped_column(String(100))  # the inspector's 执法机关 at the time
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(20))  # the certificate's status code (valid, suspended, ...)
    id_check: Mapped[str | None] = mapped_column(String(8))  # match | mismatch | None (not checked)
    site: Mapped[str | None] = mapped_column(String(100))  # the site or company the inspector typed
    channel: Mapped[str] = mapped_column(String(8))  # scan (the chat reply) | page (the inspector view)
    day: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
