"""`flask db upgrade|downgrade|current|revision`: Alembic driven by the app's configuration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import Connection

from app.storage.db import Database

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
group = AppGroup("db", help="Database schema migrations.")


def alembic_config(database: Database) -> Config:
    """An Alembic config bound to the app's engine."""
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database.engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (used by the CLI, tests and start-up)."""
    cfg = alembic_config(database)
    with migrating(database) as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def downgrade(database: Database, revision: str) -> None:
    """Step the schema back to `revision`."""
    cfg = alembic_config(database)
    with migrating(database) as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, revision)


@contextmanager
def migrating(database: Database) -> Iterator[Connection]:
    """A connection whose transaction holds the whole migration.

    On SQLite, foreign keys are off meanwhile: a migration that changes a column type rebuilds the
    table (copy, drop, rename), and dropping a table that others point at would fail or cascade.
    This is SQLite's documented procedure for schema changes; `foreign_key_check` runs before the
    commit, so a migration that broke a reference is rolled back.
    """
    with database.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # takes effect only outside a transaction
            connection.commit()
        try:
            with connection.begin():
                yield connection
                if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                    raise RuntimeError(f"migration left {len(broken)} broken references, first: {broken[0]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


@group.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Create or upgrade the schema."""
    upgrade(current_app.extensions["db"].for_jobs(), revision)  # a table rebuild may take minutes
    click.echo(f"database at {revision}")


@group.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Step the schema back to REVISION."""
    downgrade(current_app.extensions["db"].for_jobs(), revision)


@group.command("current")
def current_command() -> None:
    """Show the schema revision."""
    database = current_app.extensions["db"]
    cfg = alembic_config(database)
    with database.engine.connect() as connection:
        cfg.attributes["connection"] = connection
        command.current(cfg)


@group.command("revision")
@click.option("-m", "--message", required=True)
def revision_command(message: str) -> None:
    """Autogenerate a migration from the models (review it before committing)."""
    database = current_app.extensions["db"]
    cfg = alembic_config(database)
    with database.engine.connect() as connection:
        cfg.attributes["connection"] = connection
        command.revision(cfg, message=message, autogenerate=True)
