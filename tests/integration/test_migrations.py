"""The Alembic scripts build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import csv
import hashlib
import hmac
from datetime import date
from pathlib import Path

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
from app.storage.models import FaceAttempt, Person


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
    rows = list(generate_rows(3, seed=4))
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


def test_0008_lets_a_face_attempt_wait_for_its_biztoken_and_steps_back_down(app: Flask) -> None:
    """Up: a reserved attempt has no BizToken yet. Down: reservations that never started are dropped."""
    database: Database = app.extensions["db"]
    with database.session() as session:
        person = Person(id_hash="ab" * 16, id_number_enc=b"x", id_masked="1101**********002X", name="张伟",
                        gender="男")
        session.add(person)
        session.flush()
        for token, state in ((None, "reserved"), ("BIZ-1", "started")):
            session.add(FaceAttempt(openid="o-1", person_id=person.id, biz_token=token, nonce="n", state=state,
                                    day=date(2026, 11, 28)))
    downgrade(database, "0007_binary_blind_indexes")
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
