"""The Alembic scripts build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect

from app.cli.db import upgrade
from app.storage.db import Base, Database


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
