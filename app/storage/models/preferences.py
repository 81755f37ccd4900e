"""What a holder chose for how the worker pages look (长辈模式), kept with the holder, not the device."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.db import Base
from app.storage.models._common import utcnow


class HolderPreference(Base):
    """One row per holder who chose something; none means the defaults (and the browser's cookie)."""

    __tablename__ = "holder_preferences"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    large_text: Mapped[bool] = mapped_column(Boolean, default=False)  # 长辈模式: larger text, higher contrast
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
