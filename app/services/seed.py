"""Demo data: a few hundred certificates with every status represented."""

from __future__ import annotations

import hashlib
import random
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from app.domain.catalogue import Catalogue
from app.domain.pii import PiiCipher
from app.render.portrait import placeholder_portrait
from app.services import registry
from app.services.demo import HEADERS, certificate_row, generate_rows, item_row
from app.services.importer import ImportOptions, ImportSummary, import_source
from app.services.importsource import Source
from app.services.registry import id_lookup_hash
from app.storage.db import Database
from app.storage.models import Certificate, Person

SHOWCASE_SEED = 42  # the showcase holders are a function of this seed alone, whatever the day


@dataclass(frozen=True)
class DemoPerson:
    """A demo holder whose number and name the README shows."""

    name: str
    id_number: str
    note: str


def is_empty(database: Database) -> bool:
    """Whether the registry holds no certificate yet."""
    with database.session() as session:
        return not session.scalar(select(func.count()).select_from(Certificate))


def seed(database: Database, pii: PiiCipher, today: date, count: int = 300) -> tuple[ImportSummary,
                                                                                      list[DemoPerson]]:
    """Import `count` generated rows plus showcase rows, then give some certificates special states."""
    rng = random.Random(SHOWCASE_SEED)
    catalogue = Catalogue.load_default()
    rows, showcase = _showcase_rows(rng, catalogue, today)
    rows += list(generate_rows(count, seed=7, today=today))
    with tempfile.TemporaryDirectory(prefix="demo-portraits-") as folder:
        _add_portraits(rows, Path(folder))
        summary = _import(database, pii, catalogue, rows, Path(folder))
        _reissue(database, pii, catalogue, rows[1], today, Path(folder))
    _set_admin_states(database, pii, rows, today)
    return summary, showcase


def showcase_holders(database: Database, pii: PiiCipher, today: date) -> list[tuple[DemoPerson, list[str]]]:
    """The showcase holders present in this database, each with the status of their certificates today."""
    people = _showcase_rows(random.Random(SHOWCASE_SEED), Catalogue.load_default(), today)[1]
    with database.session() as session:
        found = [(person, registry.find_by_id_and_name(session, pii, person.id_number, person.name, today))
                 for person in people]
    return [(person, [f.status.label for f in certs]) for person, certs in found if certs]


def _showcase_rows(rng: random.Random, catalogue: Catalogue, today: date) -> tuple[list[dict[str, Any]],
                                                                                    list[DemoPerson]]:
    """One holder per status, fixed so that demos are repeatable."""
    specs = [
        ("有效（特种作业，低压电工）", today - timedelta(days=400), None, "special_ops"),  # + a welding item
        ("将被换发（旧版本显示为已被新版本取代）", today - timedelta(days=2000), None, "special_ops"),
        ("暂扣", today - timedelta(days=300), None, "special_ops"),
        ("已撤销", today - timedelta(days=900), None, "special_ops"),
        ("已注销", today - timedelta(days=1200), None, "safety_mgmt"),
        ("已过期", today - timedelta(days=6 * 365 + 30), None, "special_ops"),
        ("失效（逾期未复审，2025年应复审未复审）", date(2022, 3, 10), "overdue", "special_ops"),
        ("未发布（刚考试合格）", today + timedelta(days=10), "recent_exam", "special_ops"),
        ("有效（安管人员）", today - timedelta(days=200), None, "safety_mgmt"),
        ("2026-05-01时为待复审（19号令前）", date(2023, 5, 20), "due_in_may", "special_ops"),
    ]
    rows, people = [], []
    for serial, (note, start, flavour, kind) in enumerate(specs):
        row = certificate_row(rng, catalogue, 90000000 + serial, start, kind=kind)
        if flavour == "overdue":
            row.pop("实际复审日期", None)
        if flavour == "due_in_may":
            row["应复审日期"] = "2026-05-20"
            row.pop("实际复审日期", None)
        if flavour == "recent_exam":
            row["考试合格日期"] = (today - timedelta(days=3)).isoformat()
        rows.append(row)
        people.append(DemoPerson(row["姓名"], row["证件号码"], note))
    rows[0].update({"作业类别": "电工作业", "操作项目": "低压电工作业"})
    # The same holder also welds: a second certificate under the same 证号 (one per 操作项目).
    welding = item_row(rng, catalogue, 90000100, today - timedelta(days=700), rows[0]["证件号码"], "special_ops")
    welding.update({"作业类别": "焊接与热切割作业", "操作项目": "熔化焊接与热切割作业"})
    rows.append({**{k: rows[0][k] for k in ("姓名", "性别", "证件号码")}, **welding})
    return rows, people


def _add_portraits(rows: list[dict[str, Any]], folder: Path) -> None:
    """A drawn placeholder portrait per holder (never a real face), named in the 照片 column."""
    for row in rows:
        name = f"{hashlib.sha256(row['证件号码'].encode()).hexdigest()[:16]}.jpg"
        (folder / name).write_bytes(placeholder_portrait(int(name[:8], 16)))
        row["照片"] = name


def _import(database: Database, pii: PiiCipher, catalogue: Catalogue, rows: list[dict[str, Any]],
            photos: Path) -> ImportSummary:
    """Through the real import path, photos included."""
    numbered = ((i + 2, row) for i, row in enumerate(rows))
    source = Source([*HEADERS, "照片"], numbered, len(rows), "demo")
    return import_source(source, "demo-seed", "demo", database, pii, catalogue, ImportOptions(photos_dir=photos))


def _reissue(database: Database, pii: PiiCipher, catalogue: Catalogue, row: dict[str, Any], today: date,
             photos: Path) -> None:
    """A second version of the showcase row: the first becomes 已被新版本取代."""
    renewed = dict(row)
    start = today - timedelta(days=30)
    renewed.update({"有效期开始日期": start.isoformat(),
                    "有效期结束日期": start.replace(year=start.year + 6).isoformat(),
                    "考试合格日期": (start - timedelta(days=20)).isoformat()})
    renewed.pop("应复审日期", None)
    renewed.pop("实际复审日期", None)
    _import(database, pii, catalogue, [renewed], photos)


def _set_admin_states(database: Database, pii: PiiCipher, rows: list[dict[str, Any]], today: date) -> None:
    half_year = today + timedelta(days=182)  # the suspension ends by itself (status.py, suspended_until)
    states = {2: ("suspended", "违章作业，暂扣6个月", half_year), 3: ("revoked", "以欺骗手段取得", None),
              4: ("cancelled", "持证人申请注销", None)}
    with database.session() as session:
        for index, (state, reason, until) in states.items():
            holder = select(Person.id).where(Person.id_hash == id_lookup_hash(pii, rows[index]["证件号码"]))
            session.execute(update(Certificate).where(
                Certificate.person_id.in_(holder.scalar_subquery()),  # showcase holders hold one item
                Certificate.is_current.is_(True)).values(admin_state=state, admin_reason=reason, suspended_until=until))
