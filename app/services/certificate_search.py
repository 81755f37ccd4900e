"""Finding certificates in the back office: by ID number, 证号, name + ID number, public id or employer.

Results are masked (describe) and limited to the staff member's 签发机关: another authority's
certificate is not in the list, whatever was typed. What the typed text is meant as is decided by
`classify`, a pure function (tests/unit/test_certificate_search.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlalchemy.orm import Session

from app.domain.idnumber import IdNumberError, normalize_id_number
from app.domain.names import PersonNameError
from app.domain.pii import PiiCipher
from app.services import audit, registry
from app.services.registry import Found, id_candidate
from app.services.staff import StaffView

MAX_RESULTS = 50
MAX_QUERY = 100
_PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{8,24}")
_CERT_NUMBER = re.compile(r"[A-Za-z0-9-]{4,32}")


@dataclass(frozen=True)
class Query:
    """What the typed text is taken to be."""

    kind: Literal["id_number", "name_and_id", "cert_no", "text"]
    number: str = ""  # an ID number or a 证号
    name: str = ""
    text: str = ""  # a public id, a management certificate number or part of an employer's name


def classify(raw: str) -> Query | None:
    """`110105…` an ID number, `T110105…` a special-operations 证号, `张伟 110105…` (either order) a name
    and ID number; anything else is tried as a public id, a 证号 and an employer."""
    tokens = raw.strip()[:MAX_QUERY].split()
    if not tokens:
        return None
    if len(tokens) == 2:
        ids = [t for t in tokens if id_candidate(t) is not None]
        if len(ids) == 1:  # a "T" number is the ID number with a T in front
            name = tokens[1] if tokens[0] == ids[0] else tokens[0]
            return Query("name_and_id", number=id_candidate(ids[0]) or "", name=name)
    if len(tokens) == 1 and (candidate := id_candidate(tokens[0])) is not None:
        if tokens[0].upper().startswith("T"):
            return Query("cert_no", number=tokens[0])
        return Query("id_number", number=candidate)
    return Query("text", text=" ".join(tokens))


@dataclass
class Results:
    """What a search found (in scope only), or why it could not search."""

    items: list[Found] = field(default_factory=list)
    hint: str | None = None
    truncated: bool = False


def search(session: Session, pii: PiiCipher, staff: StaffView, raw: str, now: datetime) -> Results:
    """Every current certificate (any version for a public id) that matches and is in scope."""
    query = classify(raw)
    if query is None:
        return Results(hint="请输入身份证号码、证书编号、姓名+身份证号码、证书标识或单位名称")
    try:
        found = _lookup(session, pii, staff, query, now)
    except (IdNumberError, PersonNameError) as exc:
        return Results(hint=exc.message)
    visible = [f for f in found if staff.sees(f.certificate.issuing_authority)]
    audit.record(session, audit.staff_actor(staff.username), "certificate.search", "search",
                   {"kind": query.kind, "results": len(visible), "staff_id": staff.id}, now)
    session.commit()
    return Results(visible[:MAX_RESULTS], truncated=len(visible) > MAX_RESULTS)


def _lookup(session: Session, pii: PiiCipher, staff: StaffView, query: Query, now: datetime) -> list[Found]:
    today = now.date()
    if query.kind == "name_and_id":
        return registry.find_by_id_and_name(session, pii, query.number, query.name, today)
    if query.kind == "cert_no":
        return registry.find_by_cert_no(session, pii, query.number, today)
    if query.kind == "id_number":
        person = registry.find_person(session, pii, normalize_id_number(query.number))
        return registry.certificates_of_person(session, person.id, today) if person else []
    return _text(session, pii, staff, query.text, today)


def _text(session: Session, pii: PiiCipher, staff: StaffView, text: str, today: date) -> list[Found]:
    """A public id, a management 证号 or part of an employer's name: every kind that matches."""
    found: dict[int, Found] = {}
    if _PUBLIC_ID.fullmatch(text) and (one := registry.find_by_public_id(session, text, today)):
        found[one.certificate.id] = one
    if _CERT_NUMBER.fullmatch(text):
        found.update((f.certificate.id, f) for f in registry.find_by_cert_no(session, pii, text, today))
    if len(text) >= 2:
        authority = None if staff.all_authorities else staff.authority
        found.update((f.certificate.id, f) for f in registry.find_by_employer(
            session, text, today, authority, MAX_RESULTS + 1))
    return list(found.values())
