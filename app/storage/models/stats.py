"""Daily counters for the dashboard, without personal data."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.storage.db import Base


class VerificationCount(Base):
    """Verifications of one China-time day by channel, verdict class and the referring page's host.

    Only a count: no certificate, no token, no address, no openid. `source` is the host of the page
    that sent a forged or not-ours scan ("" for genuine ones and when there was none).
    """

    __tablename__ = "verification_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)  # page | api | scan
    verdict: Mapped[str] = mapped_column(String(10), primary_key=True)  # genuine | forged | not_ours
    source: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class CertificateVerificationCount(Base):
    """Genuine verifications of one certificate version's code per China-time day and channel.

    The back office's certificate page shows them (how often a card is checked, and when last). Only
    genuine verdicts name a certificate; forged and not-ours ones are counted in `verification_counts`.
    """

    __tablename__ = "certificate_verification_counts"

    public_id: Mapped[str] = mapped_column(String(24), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)  # page | api | scan
    count: Mapped[int] = mapped_column(Integer, default=0)
