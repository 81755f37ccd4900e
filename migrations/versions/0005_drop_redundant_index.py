"""drop the single-column index on certificates.cert_no_hash

uq_cert_no_version (cert_no_hash, version) already serves every lookup by cert_no_hash
through its leading column; the second random-key index only made imports slower
(about 13 % of import time at 1,000,000 certificates on SQLite).

Revision ID: 0005_drop_redundant_index
Revises: 0004_import_provenance
Create Date: 2026-11-29 01:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005_drop_redundant_index"
down_revision: str | None = "0004_import_provenance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index("ix_certificates_cert_no_hash")


def downgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index("ix_certificates_cert_no_hash", ["cert_no_hash"], unique=False)
