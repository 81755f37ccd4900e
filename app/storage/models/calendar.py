"""Holiday years loaded by operators after the State Council publishes them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.db import Base
from app.storage.models._common import utcnow


class CalendarYear(Base):
    """One year's holidays and make-up working days, as JSON lists of ISO dates."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[str] = mapped_column(Text)
    makeup_workdays: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
