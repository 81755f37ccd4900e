"""Back-office sign-in state: server-side sessions, recovery codes and failed-attempt counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.db import Base
from app.storage.models._common import utcnow
from app.storage.types import BlindIndex


class StaffSession(Base):
    """One back-office session; the browser's cookie holds only a random token whose SHA-256 is here.

    Ending the row (logout, timeout, a disabled account, a reset password or 2FA) ends the session
    everywhere: a copied cookie no longer finds a live row. `second_factor_at` stays empty while the
    password was accepted and the code not yet.
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    second_factor_at: Mapped[datetime | None] = mapped_column(DateTime)
    address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    end_reason: Mapped[str | None] = mapped_column(String(16))  # logout | timeout | disabled | reset | locked


class RecoveryCode(Base):
    """A single-use recovery code for a lost authenticator, kept only as a keyed hash."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    code_hash: Mapped[str] = mapped_column(BlindIndex())
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LoginFailure(Base):
    """Failed sign-in attempts for one username (keyed hash), whether or not such an account exists.

    Counting unknown names exactly like real ones is what keeps the login page from telling which
    usernames exist (issue 12): both lock after five failures.
    """

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(BlindIndex(), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
