"""Every inspector check, recorded: what an inspector sees and what is kept of it.

An inspector's scan reply and the inspector view it links to (or a /v/ page opened in WeChat) log one
`Inspection` per certificate checked; the ID-number check and the site typed on the page are added to
that row. The holder reads the rows in 我的证书 (查验记录), the back office lists, filters and exports
them (scoped to the inspector's authority) and the dashboard counts them. Rules: app/domain/inspection.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.inspection import clean_site, continues_check, remembered_site
from app.services import next_steps, registry
from app.services.next_steps import NextStep
from app.services.presenters import KIND_LABELS, administrative_note, scope_labels
from app.services.timeutil import utc_naive
from app.storage.models import Inspection, Staff

SCAN = "scan"
PAGE = "page"


@dataclass(frozen=True)
class OtherItem:
    """Another current certificate of the same holder, as the inspector view lists it."""

    kind: str
    scope: str
    status: str
    valid_until: date


@dataclass(frozen=True)
class InspectorDetails:
    """What only a bound inspector sees beside the public verdict."""

    certificate_id: int
    public_id: str
    full_name: str
    has_photo: bool
    status_code: str
    next_step: NextStep | None  # with the authority's reason and a suspension's end
    admin_reason: str | None
    suspended_until: date | None
    others: list[OtherItem]


def details(db: Session, public_id: str, today: date) -> InspectorDetails | None:
    """The holder's full name, photo flag, reasons and other items for a genuine certificate."""
    found = registry.find_by_public_id(db, public_id, today)
    if found is None:
        return None
    cert = found.certificate
    note = registry_note(found)
    others = [OtherItem(KIND_LABELS[o.certificate.kind], "·".join(p for p in scope_labels(o.certificate) if p),
                        o.status.label, o.certificate.valid_until)
              for o in registry.certificates_of_person(db, found.person.id, today)
              if o.certificate.identity != cert.identity]
    current = registry.newest_version(db, cert)
    return InspectorDetails(cert.id, cert.public_id, found.person.name, cert.photo_id is not None,
                            found.status.code.value, next_steps.for_found(found, current, with_reason=True),
                            note[0], note[1], others)


def registry_note(found: registry.Found) -> tuple[str | None, date | None]:
    """(the authority's reason, a suspension's end) while an administrative status is in force."""
    note = administrative_note(found)
    until = note["suspended_until"]
    return note["admin_reason"], date.fromisoformat(until) if until else None


def photo_id_for(db: Session, staff_id: int, public_id: str, today: date) -> int | None:
    """The registry photo of a certificate version, for an inspector who checked it today (else None:
    a bound inspector cannot browse photos by public id without scanning the card)."""
    pair = registry.find_with_holder(db, public_id)
    if pair is None or pair[0].photo_id is None:
        return None
    checked = db.scalar(select(Inspection.id).where(Inspection.staff_id == staff_id, Inspection.day == today,
                                                     Inspection.certificate_id == pair[0].id).limit(1))
    return pair[0].photo_id if checked is not None else None


def _last(db: Session, staff_id: int) -> Inspection | None:
    statement = select(Inspection).where(Inspection.staff_id == staff_id).order_by(Inspection.id.desc()).limit(1)
    return db.scalar(statement)


def site_for_today(db: Session, staff_id: int, today: date) -> str:
    """The site or company the inspector typed last, if that was today."""
    statement = (select(Inspection.site, Inspection.day).where(Inspection.staff_id == staff_id,
                                                               Inspection.site.is_not(None))
                 .order_by(Inspection.id.desc()).limit(1))
    row = db.execute(statement).first()
    return remembered_site(row[0], row[1], today) if row else ""


def record(db: Session, staff: Staff, details: InspectorDetails, version: int, channel: str,
           now: datetime) -> Inspection:
    """Log a check (or return the row of the same check a moment ago: scan, then its page)."""
    last = _last(db, staff.id)
    if last is not None and continues_check(last.at, last.certificate_id, details.certificate_id, utc_naive(now)):
        return last
    row = Inspection(staff_id=staff.id, inspector=staff.username, authority=staff.authority,
                     certificate_id=details.certificate_id, version=version, verdict=details.status_code,
                     site=site_for_today(db, staff.id, now.date()) or None, channel=channel, day=now.date(),
                     at=utc_naive(now))
    db.add(row)
    db.flush()
    return row


def add_check(row: Inspection, id_check: str | None, site_text: str) -> None:
    """The ID-number result and the site typed on the inspector view, added to the check's row."""
    if id_check is not None:
        row.id_check = id_check
    site = clean_site(site_text)
    if site is not None:
        row.site = site


def own_row(db: Session, staff_id: int, row_id: int, certificate_id: int) -> Inspection | None:
    """The inspector's own row for this certificate (a form may not touch anyone else's)."""
    if not 0 < row_id < 2**31:
        return None
    row = db.get(Inspection, row_id)
    return row if row is not None and row.staff_id == staff_id and row.certificate_id == certificate_id else None
