"""Certificate holders; their ID numbers are stored encrypted with a keyed hash for lookups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.db import Base
from app.storage.models._common import utcnow
from app.storage.types import BlindIndex


class Person(Base):
    """A holder (持证人). `id_hash` is the blind index of the ID number (app.domain.pii): exact lookups only."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    id_type: Mapped[str] = mapped_column(String(16), default="居民身份证")
    # 16 bytes in the database since migration 0007 (32 hex digits in Python).
    id_hash: Mapped[str] = mapped_column(BlindIndex(), unique=True)
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary(512))
    id_masked: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
