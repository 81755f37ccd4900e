"""blind indexes stored as 16 raw bytes

The holder, certificate-number and photo keys (HMAC-SHA256 cut to 128 bits since 0006) were
stored as 32 hex digits in utf8mb4 VARCHAR(64) columns. They become BINARY(16) on MySQL/MariaDB
and BLOB on SQLite; Python still sees 32 hex digits (app.storage.types.BlindIndex).

Why: these three unique indexes take random keys, so an import touches all of their pages.
At 1,000,000 certificates the hex indexes outgrew MariaDB's default 128 MB buffer pool and the
import spent its second half waiting for the disk (docs/benchmarks.md, run 8).

MySQL/MariaDB: the column goes VARCHAR -> VARBINARY (same bytes) -> UNHEX -> BINARY(16), keeping
its indexes. SQLite cannot alter a column type: the values are converted in place (a column keeps
the BLOBs it is given whatever its declared type) and the table is rebuilt with foreign keys
off (app.cli.db.upgrade does that, and checks them before committing).

Both rebuild the three tables. With 1,000,000 certificates: upgrade 52 s on MariaDB, 39 s on
SQLite; downgrade 68 s and 48 s (2-core benchmark machine), every holder still found afterwards.

Revision ID: 0007_binary_blind_indexes
Revises: 0006_short_blind_indexes
Create Date: 2026-11-30 17:10:00
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007_binary_blind_indexes"
down_revision: str | None = "0006_short_blind_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("people", "id_hash"), ("certificates", "cert_no_hash"), ("photos", "digest"))


def upgrade() -> None:
    _retype(to_bytes=True)


def downgrade() -> None:
    _retype(to_bytes=False)


def _retype(to_bytes: bool) -> None:
    """Hex text <-> 16 raw bytes, for every blind-index column."""
    if op.get_bind().dialect.name != "sqlite":
        convert, final = ("UNHEX({})", "BINARY(16)") if to_bytes else ("LOWER(HEX({}))", "VARCHAR(64)")
        for table, column in COLUMNS:
            op.execute(f"ALTER TABLE {table} MODIFY {column} VARBINARY(64) NOT NULL")
            op.execute(f"UPDATE {table} SET {column} = {convert.format(column)}")  # noqa: S608 (names are ours)
            op.execute(f"ALTER TABLE {table} MODIFY {column} {final} NOT NULL")
        return
    old, new = (sa.String(64), sa.LargeBinary()) if to_bytes else (sa.LargeBinary(), sa.String(64))
    for table, column in COLUMNS:
        _convert_sqlite(table, column, bytes.fromhex if to_bytes else bytes.hex)
        with op.batch_alter_table(table, recreate="always") as batch:
            batch.alter_column(column, type_=new, existing_type=old, existing_nullable=False)


def _convert_sqlite(table: str, column: str, convert: Callable[[Any], object]) -> None:
    """Rewrite every value of the column in place (SQLite 3.40 has no UNHEX)."""
    bind = op.get_bind()
    rows = bind.exec_driver_sql(f"SELECT rowid, {column} FROM {table}").fetchall()  # noqa: S608 (names are ours)
    if rows:
        bind.exec_driver_sql(f"UPDATE {table} SET {column} = ? WHERE rowid = ?",  # noqa: S608
                             [(convert(value), rowid) for rowid, value in rows])
