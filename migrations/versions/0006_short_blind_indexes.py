"""blind indexes cut to 128 bits (32 hex digits)

`PiiCipher.blind_index` now keeps the first 32 hex digits of its HMAC-SHA256. The stored keys
are cut the same way, so every existing holder, certificate and photo is still found. Only the
data changes: the columns stay VARCHAR(64), because narrowing them would rebuild the tables
(SQLite cannot alter a column, and would have to drop `people` while certificates point at it).

The three random-key indexes (holder, certificate number, photo digest) shrink by about 40 %:
at 1,000,000 certificates SQLite imported about 15 % faster.

Revision ID: 0006_short_blind_indexes
Revises: 0005_drop_redundant_index
Create Date: 2026-11-30 15:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006_short_blind_indexes"
down_revision: str | None = "0005_drop_redundant_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("people", "id_hash"), ("certificates", "cert_no_hash"), ("photos", "digest"))


def upgrade() -> None:
    for table, column in COLUMNS:
        op.execute(f"UPDATE {table} SET {column} = SUBSTR({column}, 1, 32) WHERE LENGTH({column}) > 32")  # noqa: S608


def downgrade() -> None:
    raise RuntimeError(
        "0006 cannot be undone: the cut digits are gone. Restore a backup taken before 0006, or keep "
        "this revision (earlier code would not find anyone by the 32-digit keys).")
