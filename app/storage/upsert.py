"""Insert-or-keep and insert-or-add, each one statement on SQLite and on MySQL/MariaDB.

Two writers that both find no row and both insert would collide on the key; these statements let
the database settle it (SQLite's ON CONFLICT, MySQL's ON DUPLICATE KEY UPDATE).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.orm import Session

from app.storage.db import Base


def insert_missing(session: Session, model: type[Base], values: Mapping[str, Any]) -> None:
    """Insert the row unless one with its primary key exists (then leave that one as it is)."""
    table = cast(Table, model.__table__)
    if _is_sqlite(session):
        session.execute(sqlite.insert(table).values(**values).on_conflict_do_nothing())
        return
    first_key = table.primary_key.columns.values()[0]
    session.execute(mysql.insert(table).values(**values).on_duplicate_key_update({first_key.name: first_key}))


def add_to(session: Session, model: type[Base], keys: Mapping[str, Any], column: str, amount: int) -> None:
    """Add `amount` to `column` of the row with these primary-key values, creating it at `amount`."""
    table = cast(Table, model.__table__)
    values = {**keys, column: amount}
    target = table.c[column]
    if _is_sqlite(session):
        statement = sqlite.insert(table).values(**values)
        session.execute(statement.on_conflict_do_update(index_elements=list(keys),
                                                        set_={column: target + statement.excluded[column]}))
        return
    statement_my = mysql.insert(table).values(**values)
    session.execute(statement_my.on_duplicate_key_update({column: target + statement_my.inserted[column]}))


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"
