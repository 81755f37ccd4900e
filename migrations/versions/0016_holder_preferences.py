"""holders' display preferences (长辈模式), remembered per holder

`holder_preferences`: one row per holder who chose something (`large_text`: the larger-text,
higher-contrast mode of the worker pages). A new, empty table: instant on both databases.

Revision ID: 0016_holder_preferences
Revises: 0012_staff_security
Create Date: 2026-12-03 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_holder_preferences"
down_revision: str | None = "0012_staff_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "holder_preferences",
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("large_text", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("holder_preferences")
