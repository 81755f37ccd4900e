"""The Alembic scripts build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import csv
import hashlib
import hmac
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, select, text

from app.cli.db import downgrade, upgrade
from app.domain.catalogue import Catalogue
from app.services import registry
from app.services.demo import HEADERS, generate_rows
from app.services.importer import ImportOptions, import_file
from app.services.registry import cert_lookup_hash, id_lookup_hash
from app.storage.db import Base, Database
from app.storage.models import FaceAttempt, HolderPreference, Person
from tests.integration.test_import import GOOD


def test_the_migrated_schema_matches_the_models(app: Flask) -> None:
    database: Database = app.extensions["db"]
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_is_idempotent_and_records_the_head_revision(app: Flask) -> None:
    database: Database = app.extensions["db"]
    upgrade(database)
    with database.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() is not None
        assert "certificates" in inspect(conn).get_table_names()


def test_upgrade_via_the_command_line_reports_the_head(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "head" in result.output


def test_0006_and_0007_keep_everyone_findable(app: Flask, tmp_path: Path) -> None:
    """A database written before 0006 (64 hex digits) finds its holders after 0006 (32 digits)
    and 0007 (16 bytes); 0007 also steps back down to hex text and up again."""
    database: Database = app.extensions["db"]
    pii = app.extensions["pii"]
    held = generate_rows(3, seed=4, several_items=False)  # one certificate each: what the schema before 0008 held
    rows = [{**row, "证书编号": row["证书编号"] or f"AQ{n}"} for n, row in enumerate(held)]
    path = tmp_path / "a.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADERS)
        writer.writeheader()
        writer.writerows(rows)
    import_file(path, database, pii, Catalogue.load_default(), ImportOptions())

    def full(*parts: str) -> str:  # what blind_index returned before 0006
        return hmac.new(pii._hash_key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()

    downgrade(database, "0006_short_blind_indexes")
    with database.engine.begin() as conn:
        assert set(conn.scalars(text("SELECT LENGTH(id_hash) FROM people"))) == {32}  # hex text again
        for row in rows:
            conn.execute(text("UPDATE people SET id_hash = :new WHERE id_hash = :old"),
                         {"new": full("id", row["证件号码"]), "old": id_lookup_hash(pii, row["证件号码"])})
            conn.execute(text("UPDATE certificates SET cert_no_hash = :new WHERE cert_no_hash = :old"),
                         {"new": full("cert", row["证书编号"].strip().upper()),
                          "old": cert_lookup_hash(pii, row["证书编号"])})
        conn.execute(text("UPDATE alembic_version SET version_num = '0005_drop_redundant_index'"))
    upgrade(database)
    with database.session() as session:
        assert {len(h) for h in session.scalars(select(Person.id_hash))} == {32}
        assert set(session.scalars(text("SELECT LENGTH(id_hash) FROM people"))) == {16}  # raw bytes
        assert set(session.scalars(text("SELECT LENGTH(cert_no_hash) FROM certificates"))) == {16}
        for row in rows:
            found = registry.find_by_number_and_name(session, pii, row["证件号码"], row["姓名"], date(2026, 11, 28))
            assert found, row["证件号码"]
            assert registry.find_by_number_and_name(session, pii, row["证书编号"], row["姓名"], date(2026, 11, 28))


OLD = "0007_binary_blind_indexes"


@pytest.fixture
def at_head_afterwards(app: Flask) -> Iterator[Database]:
    """The session's database, upgraded back to head whatever the test did (later tests need it)."""
    database: Database = app.extensions["db"]
    yield database
    upgrade(database)


def _legacy_certificate(conn: Any, pii: Any, person_id: int, cert_no: str, version: int, current: bool,
                        kind: str, codes: tuple[str | None, ...], valid_from: str) -> str:
    """A certificate row written the way the schema before 0008 held it (versions chained by 证号)."""
    public_id = f"legacy{person_id}{version}{codes[1] or cert_no}"
    conn.execute(text(
        "INSERT INTO certificates (public_id, cert_no_hash, cert_no_enc, cert_no_masked, version, is_current, "
        "person_id, kind, category_code, item_code, personnel_type_code, industry_code, first_issue_date, "
        "valid_from, valid_until, issuing_authority, authority_code, fingerprint, created_at, updated_at) VALUES "
        "(:public_id, :hash, :enc, 'T***', :version, :current, :person, :kind, :c, :i, :p, :ind, :start, :start, "
        "'2031-01-01', '重庆市应急管理局', '500000', 'f', '2026-01-01', '2026-01-01')"),
        {"public_id": public_id, "hash": registry.cert_lookup_key(pii, cert_no),
         "enc": pii.encrypt(cert_no, b"certificates.cert_no"), "version": version, "current": current,
         "person": person_id, "kind": kind, "c": codes[0], "i": codes[1], "p": codes[2], "ind": codes[3],
         "start": valid_from})
    return public_id


def _legacy_person(conn: Any, pii: Any, id_number: str) -> int:
    conn.execute(text("INSERT INTO people (id_type, id_hash, id_number_enc, id_masked, name, gender, created_at, "
                      "updated_at) VALUES ('居民身份证', :hash, :enc, 'x', '张伟', '女', '2026-01-01', '2026-01-01')"),
                 {"hash": registry.id_lookup_key(pii, id_number), "enc": pii.encrypt(id_number, b"people.id_number")})
    return int(conn.execute(text("SELECT id FROM people WHERE id_hash = :h"),
                            {"h": registry.id_lookup_key(pii, id_number)}).scalar_one())


def _status(app: Flask, public_id: str) -> tuple[int, str]:
    with app.extensions["db"].session() as session:
        found = registry.find_by_public_id(session, public_id, date(2026, 11, 28))
        assert found is not None, public_id
        return found.certificate.version, found.status.label


def test_0008_separates_items_the_old_rule_chained_and_keeps_every_public_id_and_version(
        app: Flask, at_head_afterwards: Database) -> None:
    """Before 0008 a holder's second item could be stored as a 'reissue' of the first (one 证号): the
    first showed as superseded. After 0008 each item is its own certificate and current again."""
    database = at_head_afterwards
    pii = app.extensions["pii"]
    downgrade(database, OLD)
    with database.engine.begin() as conn:
        person = _legacy_person(conn, pii, "11010519491231002X")
        electric = _legacy_certificate(conn, pii, person, "T11010519491231002X", 1, False, "special_ops",
                                       ("01", "0102", None, None), "2022-03-01")
        welding = _legacy_certificate(conn, pii, person, "T11010519491231002X", 2, False, "special_ops",
                                      ("02", "0201", None, None), "2023-03-01")
        electric_v3 = _legacy_certificate(conn, pii, person, "T11010519491231002X", 3, True, "special_ops",
                                          ("01", "0102", None, None), "2024-03-01")
        # Two management certificates under two numbers, same type and industry, both version 1.
        older = _legacy_certificate(conn, pii, person, "AQ2019001", 1, True, "safety_mgmt",
                                    (None, None, "1", "01"), "2019-03-01")
        newer = _legacy_certificate(conn, pii, person, "AQ2022001", 1, True, "safety_mgmt",
                                    (None, None, "1", "01"), "2022-03-01")
    upgrade(database)
    assert _status(app, electric) == (1, "已被新版本取代")  # superseded by its own item's v3
    assert _status(app, electric_v3) == (3, "有效")
    assert _status(app, welding) == (2, "有效")  # no longer wrongly superseded
    assert _status(app, older)[1] == _status(app, newer)[1] == "有效"  # kept apart: no code changes meaning
    with database.session() as session:
        current = registry.certificates_of_person(session, person, date(2026, 11, 28))
        assert sorted(f.certificate.public_id for f in current) == sorted([welding, electric_v3, older, newer])
    downgrade(database, OLD)  # the data fits the old schema: it steps back, and up again
    upgrade(database)
    assert _status(app, welding) == (2, "有效") and _status(app, electric) == (1, "已被新版本取代")


def test_0008_downgrade_refuses_what_the_old_schema_cannot_hold(app: Flask, tmp_path: Path,
                                                                at_head_afterwards: Database) -> None:
    database = at_head_afterwards
    welding = {**GOOD, "作业类别": "焊接与热切割作业", "操作项目": "熔化焊接与热切割作业"}
    path = tmp_path / "a.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(GOOD))
        writer.writeheader()
        writer.writerows([GOOD, welding])
    import_file(path, database, app.extensions["pii"], Catalogue.load_default(), ImportOptions())
    downgrade(database, "0008_certificate_identity")  # the later revisions step back on their own
    with pytest.raises(RuntimeError, match="cannot downgrade below 0008"):
        downgrade(database, OLD)
    with database.engine.connect() as conn:  # nothing was changed
        assert MigrationContext.configure(conn).get_current_revision() == "0008_certificate_identity"
    upgrade(database)
    with database.session() as session:
        assert len(registry.find_by_id_and_name(session, app.extensions["pii"], GOOD["证件号码"], "张伟",
                                                date(2026, 11, 28))) == 2


def _person(session: Any, byte: str) -> Person:
    """A holder row written directly (the migration tests need one to point at)."""
    person = Person(id_hash=byte * 16, id_number_enc=b"x", id_masked="1101**********002X", name="张伟", gender="男")
    session.add(person)
    session.flush()
    return person


def test_0009_lets_a_face_attempt_wait_for_its_biztoken_and_steps_back_down(
        at_head_afterwards: Database) -> None:
    """Up: a reserved attempt has no BizToken yet. Down: reservations that never started are dropped."""
    database = at_head_afterwards
    with database.session() as session:
        person = _person(session, "ab")
        for token, state in ((None, "reserved"), ("BIZ-1", "started")):
            session.add(FaceAttempt(openid="o-1", person_id=person.id, biz_token=token, nonce="n", state=state,
                                    day=date(2026, 11, 28)))
    downgrade(database, "0008_certificate_identity")
    with database.engine.connect() as conn:
        assert list(conn.execute(text("SELECT biz_token, state FROM face_attempts"))) == [("BIZ-1", "started")]
        [column] = [c for c in inspect(conn).get_columns("face_attempts") if c["name"] == "biz_token"]
        assert column["nullable"] is False
    upgrade(database)
    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    with database.session() as session:
        session.add(FaceAttempt(openid="o-2", person_id=person.id, biz_token=None, nonce="m", state="reserved",
                                day=date(2026, 11, 28)))


def test_0016_keeps_holders_display_choices_and_steps_back_down(at_head_afterwards: Database) -> None:
    """Up: a holder's 长辈模式 choice has its table. Down (to the revision before 0016): the table goes."""
    database = at_head_afterwards
    with database.session() as session:
        person = _person(session, "cd")
        session.add(HolderPreference(person_id=person.id, large_text=True))
        session.commit()
    downgrade(database, "0016_holder_preferences-1")
    with database.engine.connect() as conn:
        assert "holder_preferences" not in inspect(conn).get_table_names()
    upgrade(database)
    with database.engine.connect() as conn:
        assert "holder_preferences" in inspect(conn).get_table_names()
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_0014_adds_the_action_and_correction_tables_and_steps_back_down(at_head_afterwards: Database) -> None:
    database = at_head_afterwards
    downgrade(database, "0016_holder_preferences")
    with database.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    assert not {"certificate_actions", "correction_requests"} & tables
    upgrade(database)
    with database.engine.connect() as conn:
        assert {"certificate_actions", "correction_requests"} <= set(inspect(conn).get_table_names())
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
