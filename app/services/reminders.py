"""The reminder job: find the reminders due over a range of days and queue them in the outbox.

For each day it reads only the certificates that can have a reminder that day
(app.domain.reminders.lookup_dates: a few dates, looked up through indexes on valid_until,
exam_passed_date and renewal_reviews.due_date), current versions of holders bound to a WeChat
account with reminders on, in batches ordered by id. The pure rule `due_notices` decides; each
reminder queued writes its key (certificate, kind, day) in the same transaction as its outbox row,
and the key is unique: running the job again, late or twice at once tells nobody twice. Delivery
is the outbox's (app/services/notify.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.reminders import LookupDates, Notice, due_notices, lookup_dates
from app.domain.workdays import HolidayCalendar
from app.services import notify, registry
from app.services.calendar import current_calendar
from app.services.presenters import KIND_LABELS, scope_labels
from app.services.timeutil import utc_naive
from app.storage.db import Database
from app.storage.models import Certificate, CertificateNotice, RenewalReview, WechatUser

BATCH_SIZE = 1000
CATCH_UP_DAYS = 6  # by default a run also looks at the last six days: a day the job missed is made up
MAX_RANGE_DAYS = 366


@dataclass
class ReminderReport:
    """What one run found: days looked at, certificates read, reminders queued or queued before."""

    days: int = 0
    read: int = 0
    queued: int = 0
    already: int = 0


def default_range(today: date) -> tuple[date, date]:
    """The days a scheduled run covers: the last week up to today."""
    return today - timedelta(days=CATCH_UP_DAYS), today


def queue_due(database: Database, start: date, end: date, now: datetime,
              batch_size: int = BATCH_SIZE) -> ReminderReport:
    """Queue every reminder due from `start` to `end` (inclusive) that no earlier run queued."""
    report = ReminderReport()
    with database.session() as session:
        calendar = current_calendar(session)
    day = start
    while day <= end:
        for where in _lookups(lookup_dates(day, calendar)):
            _queue_lookup(database, where, day, calendar, now, batch_size, report)
        report.days += 1
        day += timedelta(days=1)
    return report


def _lookups(dates: LookupDates) -> Iterator[ColumnElement[bool]]:
    """One equality per looked-up value, so each is an index range read in id order."""
    cert, review = Certificate.__table__.c, RenewalReview.__table__.c
    for value in dates.valid_until:
        yield cert.valid_until == value
    for value in dates.exam_passed:
        yield cert.exam_passed_date == value
    for value in dates.review_due:
        yield cert.id.in_(select(review.certificate_id).where(review.due_date == value,
                                                              review.done_date.is_(None)))


def _candidates(where: ColumnElement[bool], after: int, limit: int) -> Select[Any]:
    """Current certificates matching `where` whose holder is bound and wants reminders: (id, openid)."""
    cert, user = Certificate.__table__.c, WechatUser.__table__.c
    return (select(cert.id, user.openid)
            .select_from(Certificate.__table__.join(WechatUser.__table__, user.person_id == cert.person_id))
            .where(where, cert.is_current.is_(True), cert.id > after, user.verified_at.is_not(None),
                   user.reminders.is_(True))
            .order_by(cert.id).limit(limit))


def _queue_lookup(database: Database, where: ColumnElement[bool], day: date, calendar: HolidayCalendar,
                  now: datetime, batch_size: int, report: ReminderReport) -> None:
    """Walk one lookup in batches (keyset on id), each batch in its own transaction."""
    after = 0
    while True:
        with database.session() as session:
            rows = session.execute(_candidates(where, after, batch_size)).all()
            if rows:
                _queue_batch(session, day, calendar, {row[0]: row[1] for row in rows}, now, report)
        if len(rows) < batch_size:
            return
        after = rows[-1][0]


def _queue_batch(session: Session, day: date, calendar: HolidayCalendar, openids: dict[int, str],
                 now: datetime, report: ReminderReport) -> None:
    """Queue the batch's reminders; if a concurrent run committed some first, skip those and retry."""
    for _attempt in range(3):
        try:
            counts = _write_batch(session, day, calendar, openids, now)
            session.commit()
        except IntegrityError:  # another run queued one of these keys since we looked
            session.rollback()
            continue
        report.read += len(openids)
        report.queued += counts[0]
        report.already += counts[1]
        return
    raise RuntimeError("reminder keys kept colliding with a concurrent run")


def _write_batch(session: Session, day: date, calendar: HolidayCalendar, openids: dict[int, str],
                 now: datetime) -> tuple[int, int]:
    """Add the outbox rows and keys of the reminders due on `day`; (queued, queued before)."""
    notice = CertificateNotice.__table__.c
    done = {tuple(row) for row in session.execute(select(notice.certificate_id, notice.kind).where(
        notice.certificate_id.in_(list(openids)), notice.due_on == day))}
    due = [(cert, notice_due) for cert, _holder in registry.stored_by_ids(session, list(openids))
           for notice_due in due_notices(registry.facts_of(cert), day, calendar)]
    new = [(cert, n) for cert, n in due if (cert.id, n.kind.value) not in done]
    rows = [notify.pending(openids[cert.id], notify.REMINDER, _payload(cert, n), now) for cert, n in new]
    session.add_all(rows)
    session.flush()  # the outbox rows in one multi-row INSERT, then their keys in another
    session.add_all(CertificateNotice(certificate_id=cert.id, kind=n.kind.value, due_on=day, openid=openids[cert.id],
                                      notification_id=row.id, created_at=utc_naive(now))
                    for (cert, n), row in zip(new, rows, strict=True))
    session.flush()
    return len(new), len(due) - len(new)


def _payload(cert: registry.StoredCertificate, due: Notice) -> dict[str, str]:
    """What the message needs, fixed when queued: which certificate, what about, whom to ask."""
    first, second = scope_labels(cert)
    title = second if cert.kind == "special_ops" else (f"{first}合格证" if first else "")
    return {"notice": due.kind.value, "public_id": cert.public_id, "title": title or KIND_LABELS[cert.kind],
            "about": due.about.isoformat(), "authority": cert.issuing_authority}
