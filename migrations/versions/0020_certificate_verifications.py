"""genuine verifications counted per certificate

- `certificate_verification_counts`: genuine verifications of one version's code per China-time day
  and channel (page, api, scan), shown on the back office's certificate page. Forged and not-ours
  verdicts name no certificate and stay in `verification_counts` only. A new, empty table: the
  upgrade takes no time whatever the registry's size.

Revision ID: 0020_certificate_verifications
Revises: 0019_inspections
Create Date: 2026-12-03 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_certificate_verifications"
down_revision: str | None = "0019_inspections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificate_verification_counts",
        sa.Column("public_id", sa.String(24), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("channel", sa.String(8), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("certificate_verification_counts")
