"""Verifications counted per day for the dashboard: genuine, forged or not ours, and where from.

Counts only, never personal data: no token, no address, no openid. For forged and not-ours verdicts the
host of the referring page is kept (a look-alike site that links forged codes shows up by name); 扫码查询
has no referring page, the channel says where it came from. A genuine verdict also counts against its
certificate's public id (`CertificateVerificationCount`), for the back office's certificate page.

Counting must never slow down or break a verification: a /v/ page for a forged code reads nothing
from the database, and a frozen database must not hold it up. So counts gather in memory (`Tally`)
and a background timer adds them to the table every few seconds; a failed write keeps them for the
next try. A process that dies loses at most those seconds of counts.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain import scanurl
from app.services.verification import EXPIRED_LIVE_CODE, FORGED, GENUINE, KEY_REVOKED, NOT_OURS
from app.storage.db import Database
from app.storage.models import CertificateVerificationCount, VerificationCount
from app.storage.upsert import add_to

log = logging.getLogger(__name__)

CHANNEL_LABELS = {"page": "核验页面（/v/）", "api": "核验接口", "scan": "扫码查询"}
CLASS_LABELS = {"genuine": "真实", "forged": "伪造", "not_ours": "非本系统"}
_CLASSES = {GENUINE: "genuine", EXPIRED_LIVE_CODE: "genuine", FORGED: "forged", KEY_REVOKED: "forged",
            NOT_OURS: "not_ours"}
FLUSH_SECONDS = 10.0
MAX_SOURCE = 100
MAX_SOURCES_PER_DAY = 200  # distinct referring hosts kept per day; more are "其他" (a flood of invented ones)
MAX_PENDING_KEYS = 2000
OTHER_SOURCE = "其他"

Key = tuple[date, str, str, str]  # day, channel, verdict class, source
CertKey = tuple[str, date, str]  # public id, day, channel


def verdict_class(outcome: str) -> str | None:
    """genuine / forged / not_ours for a verdict's outcome; None for what is not a verification (a bare
    number waiting for the holder's name)."""
    return _CLASSES.get(outcome)


def source_of(referrer: str | None, our_hosts: Collection[str]) -> str:
    """The referring page's host as a browser reads it ("" for none, for our own pages, for junk)."""
    parsed = scanurl.parse(referrer[:2048]) if referrer else None
    if parsed is None or not parsed.is_web or parsed.host in our_hosts:
        return ""
    return parsed.host[:MAX_SOURCE]


class Tally:
    """Counts in memory, added to the database by a timer every `interval` seconds (None: only when
    `flush` is called, as tests do)."""

    def __init__(self, database: Database, interval: float | None = FLUSH_SECONDS) -> None:
        self.database, self.interval = database, interval
        self._counts: Counter[Key] = Counter()
        self._per_certificate: Counter[CertKey] = Counter()
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def count(self, outcome: str, channel: str, day: date, source: str = "", public_id: str | None = None) -> None:
        """Count one verification; the source is kept only for forged and not-ours verdicts, the
        certificate's public id only for genuine ones."""
        kind = verdict_class(outcome)
        if kind is None:
            return
        with self._lock:
            key = (day, channel, kind, source if kind != "genuine" else "")
            if key not in self._counts and len(self._counts) >= MAX_PENDING_KEYS:
                key = (day, channel, kind, OTHER_SOURCE)
            self._counts[key] += 1
            cert_key = (public_id or "", day, channel)
            if kind == "genuine" and public_id and (cert_key in self._per_certificate
                                                    or len(self._per_certificate) < MAX_PENDING_KEYS):
                self._per_certificate[cert_key] += 1
            self._schedule()

    def _schedule(self) -> None:
        """Start the timer for the next write unless one is waiting (call with the lock held)."""
        if self.interval and self._timer is None:
            self._timer = threading.Timer(self.interval, self.flush)
            self._timer.daemon = True
            self._timer.start()

    def flush(self) -> int:
        """Write what has gathered; returns how many verifications were written."""
        with self._lock:
            counts, self._counts, self._timer = self._counts, Counter(), None
            per_certificate, self._per_certificate = self._per_certificate, Counter()
        if not counts:
            return 0
        try:
            with self.database.session() as session:
                _write(session, counts)
                for (public_id, day, channel), amount in sorted(per_certificate.items()):
                    add_to(session, CertificateVerificationCount,
                           {"public_id": public_id, "day": day, "channel": channel}, "count", amount)
        except Exception:  # the database is away: keep the counts for the next flush
            log.warning("verification counts not written yet (%d kinds); kept for the next try", len(counts))
            with self._lock:
                self._counts.update(counts)
                self._per_certificate.update(per_certificate)
                self._schedule()
            return 0
        return sum(counts.values())


def _write(session: Session, counts: Counter[Key]) -> None:
    """Add the counts; a day that already has MAX_SOURCES_PER_DAY hosts files new ones under 其他."""
    known: dict[date, set[str]] = {}
    for (day, channel, kind, source), amount in sorted(counts.items()):
        if day not in known:
            known[day] = set(session.scalars(select(VerificationCount.source).where(VerificationCount.day == day)))
        if source and source not in known[day] and len(known[day]) >= MAX_SOURCES_PER_DAY:
            source = OTHER_SOURCE
        known[day].add(source)
        add_to(session, VerificationCount,
               {"day": day, "channel": channel, "verdict": kind, "source": source}, "count", amount)


@dataclass(frozen=True)
class DayVerdicts:
    """One day's verifications by class."""

    day: date
    genuine: int
    forged: int
    not_ours: int

    @property
    def total(self) -> int:
        return self.genuine + self.forged + self.not_ours


def daily(session: Session, today: date, days: int = 14) -> list[DayVerdicts]:
    """One entry per day, oldest first, ending today."""
    first = today - timedelta(days=days - 1)
    rows = session.execute(select(VerificationCount.day, VerificationCount.verdict, func.sum(VerificationCount.count))
                           .where(VerificationCount.day >= first, VerificationCount.day <= today)
                           .group_by(VerificationCount.day, VerificationCount.verdict)).all()
    sums: Counter[tuple[date, str]] = Counter({(day, kind): int(total or 0) for day, kind, total in rows})
    return [DayVerdicts(day, sums[(day, "genuine")], sums[(day, "forged")], sums[(day, "not_ours")])
            for day in (first + timedelta(days=n) for n in range(days))]


@dataclass(frozen=True)
class Source:
    """Where forged or not-ours verifications came from over the period."""

    channel: str
    source: str
    forged: int
    not_ours: int

    @property
    def label(self) -> str:
        if self.source:
            return self.source
        return CHANNEL_LABELS.get(self.channel, self.channel) + ("" if self.channel == "scan" else "（无来源页面）")


def sources(session: Session, today: date, days: int = 14, limit: int = 10) -> list[Source]:
    """The channels and referring hosts of forged and not-ours verifications, most first."""
    first = today - timedelta(days=days - 1)
    rows: Any = session.execute(
        select(VerificationCount.channel, VerificationCount.source, VerificationCount.verdict,
               func.sum(VerificationCount.count))
        .where(VerificationCount.day >= first, VerificationCount.verdict.in_(("forged", "not_ours")))
        .group_by(VerificationCount.channel, VerificationCount.source, VerificationCount.verdict)).all()
    totals: dict[tuple[str, str], Counter[str]] = {}
    for channel, source, kind, total in rows:
        totals.setdefault((channel, source), Counter())[kind] += int(total or 0)
    found = [Source(channel, source, c["forged"], c["not_ours"]) for (channel, source), c in totals.items()]
    return sorted(found, key=lambda s: (-(s.forged + s.not_ours), s.channel, s.source))[:limit]


@dataclass(frozen=True)
class CertificateUsage:
    """How often a certificate's codes (every version) were verified as genuine, and when last."""

    by_channel: dict[str, int]
    last_day: date | None

    @property
    def total(self) -> int:
        return sum(self.by_channel.values())


def certificate_usage(session: Session, public_ids: Collection[str]) -> CertificateUsage:
    """Genuine verifications of the given versions' codes, by channel label."""
    rows = session.execute(select(CertificateVerificationCount.channel, func.sum(CertificateVerificationCount.count),
                                  func.max(CertificateVerificationCount.day))
                           .where(CertificateVerificationCount.public_id.in_(list(public_ids)))
                           .group_by(CertificateVerificationCount.channel)).all()
    by_channel = {CHANNEL_LABELS.get(channel, channel): int(total or 0) for channel, total, _ in rows}
    last = max((day for _, _, day in rows if day is not None), default=None)
    return CertificateUsage(by_channel, last)
