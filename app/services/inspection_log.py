"""Reading the inspection log: the back office's list, filters and CSV, the dashboard's counts, and
the holder's 查验记录.

Scope: an account of one authority reads the inspections made by that authority's inspectors (the
`authority` copied onto each row); an all-authorities account reads every row. The holder reads every
inspection of their own certificates: when, which authority, which inspector number — never hidden.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import Session

from app.domain.inspection import ID_CHECK_LABELS
from app.domain.status import statuses
from app.services.importreport import neutralise
from app.services.staff import StaffView
from app.services.timeutil import china_text
from app.storage.models import Certificate, Inspection

PER_PAGE = 50
EXPORT_CHUNK = 1000
CSV_HEADERS = ["时间", "执法人员", "执法机关", "证书", "版本", "核验结果", "身份证号核对", "检查地点", "方式"]
CHANNEL_LABELS = {"scan": "扫码", "page": "核查页面"}


@dataclass(frozen=True)
class InspectionQuery:
    """The list's filters; empty values filter nothing. Days are China dates, both ends included."""

    inspector: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class Listed:
    """One row of the list, with the certificate's public id."""

    row: Inspection
    public_id: str


def verdict_label(code: str) -> str:
    """The status label for a stored status code (the code itself if unknown)."""
    return dict(statuses()).get(code, code)


def _conditions(query: InspectionQuery, staff: StaffView) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [true() if staff.all_authorities else Inspection.authority == staff.authority]
    if query.inspector:
        found.append(Inspection.inspector == query.inspector)
    if query.since:
        found.append(Inspection.day >= query.since)
    if query.until:
        found.append(Inspection.day <= query.until)
    return found


def _select(query: InspectionQuery, staff: StaffView) -> Select[tuple[Inspection, str]]:
    return (select(Inspection, Certificate.public_id).join(Certificate, Certificate.id == Inspection.certificate_id)
            .where(*_conditions(query, staff)).order_by(Inspection.id.desc()))


def page_of(db: Session, query: InspectionQuery, staff: StaffView, number: int) -> tuple[list[Listed], int, int]:
    """(rows of one page, newest first; the page number; the total)."""
    total = int(db.scalar(select(func.count()).select_from(Inspection).where(*_conditions(query, staff))) or 0)
    number = min(max(number, 1), max(1, -(-total // PER_PAGE)))
    rows = db.execute(_select(query, staff).limit(PER_PAGE).offset((number - 1) * PER_PAGE))
    return [Listed(row, public_id) for row, public_id in rows], number, total


def inspectors_in_scope(db: Session, staff: StaffView) -> list[str]:
    """The inspector numbers seen in the account's scope (the filter's choices)."""
    where = true() if staff.all_authorities else Inspection.authority == staff.authority
    return sorted(db.scalars(select(Inspection.inspector).where(where).distinct()))


def csv_line(item: Listed) -> list[str]:
    """One row as the CSV export writes it."""
    row = item.row
    return [china_text(row.at), row.inspector, row.authority, item.public_id, str(row.version),
            verdict_label(row.verdict), ID_CHECK_LABELS.get(row.id_check, ""), row.site or "",
            CHANNEL_LABELS.get(row.channel, row.channel)]


def csv_chunks(db: Session, query: InspectionQuery, staff: StaffView) -> Iterator[str]:
    """The matching rows as CSV text, a thousand at a time; cells never run as formulas in Excel."""
    yield "\ufeff" + _csv_text([CSV_HEADERS])
    below: int | None = None
    while True:
        statement = _select(query, staff).limit(EXPORT_CHUNK)
        if below is not None:
            statement = statement.where(Inspection.id < below)
        rows = [Listed(row, public_id) for row, public_id in db.execute(statement)]
        if not rows:
            return
        yield _csv_text([csv_line(item) for item in rows])
        below = rows[-1].row.id
        db.expunge_all()


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([[neutralise(cell) for cell in row] for row in rows])
    return out.getvalue()


def daily_counts(db: Session, staff: StaffView, since: date, until: date) -> list[tuple[date, str, int]]:
    """(day, authority, inspections) for the dashboard, oldest day first."""
    where = [Inspection.day >= since, Inspection.day <= until]
    if not staff.all_authorities:
        where.append(Inspection.authority == staff.authority)
    statement = (select(Inspection.day, Inspection.authority, func.count()).where(*where)
                 .group_by(Inspection.day, Inspection.authority).order_by(Inspection.day, Inspection.authority))
    return [(day, authority, int(count)) for day, authority, count in db.execute(statement)]


@dataclass(frozen=True)
class HolderEntry:
    """One line of the holder's 查验记录."""

    at: datetime
    authority: str
    inspector: str
    id_check: str


def for_holder(db: Session, person_id: int, limit: int = 50) -> list[HolderEntry]:
    """Inspections of the holder's certificates (every version), newest first."""
    statement = (select(Inspection).join(Certificate, Certificate.id == Inspection.certificate_id)
                 .where(Certificate.person_id == person_id).order_by(Inspection.id.desc()).limit(limit))
    return [HolderEntry(row.at, row.authority, row.inspector, ID_CHECK_LABELS.get(row.id_check, ""))
            for row in db.scalars(statement)]
