"""a suspension (暂扣) may end on a given day

`certificates.suspended_until`: from this day on the certificate is what its dates make it again, with
no one acting (app.domain.status). NULL: suspended until lifted.

Revision ID: 0011_suspension_end
Revises: 0010_staff_roles
Create Date: 2026-12-03 12:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_suspension_end"
down_revision: str | None = "0010_staff_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("suspended_until", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("suspended_until")
