"""administrative actions on certificates and holders' correction requests

`certificate_actions`: every 暂扣, 解除暂扣, 撤销, 注销 and 更正 with its reason and legal basis; 撤销
and 注销 wait there as proposals until an admin approves them. `correction_requests`: a holder's
report of a wrong field (信息更正) with an encrypted evidence photo. Two new tables: instant.

Revision ID: 0014_certificate_actions
Revises: 0016_holder_preferences
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0014_certificate_actions"
down_revision: str | None = "0016_holder_preferences"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BLOB = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mariadb").with_variant(mysql.LONGBLOB(), "mysql")


def upgrade() -> None:
    op.create_table(
        "correction_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("authority", sa.String(length=100), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("photo_type", sa.String(length=32), nullable=True),
        sa.Column("photo_enc", BLOB, nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("photo_purged_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["certificate_id"], ["certificates.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["staff.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("correction_requests") as batch:
        for column in ("authority", "certificate_id", "created_at", "openid", "person_id", "state"):
            batch.create_index(f"ix_correction_requests_{column}", [column], unique=False)
    op.create_table(
        "certificate_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("authority", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("basis", sa.String(length=32), nullable=False),
        sa.Column("basis_text", sa.String(length=300), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("field", sa.String(length=32), nullable=True),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("correction_id", sa.Integer(), nullable=True),
        sa.Column("proposed_by", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["certificate_id"], ["certificates.id"]),
        sa.ForeignKeyConstraint(["correction_id"], ["correction_requests.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["staff.id"]),
        sa.ForeignKeyConstraint(["proposed_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("certificate_actions") as batch:
        for column in ("authority", "certificate_id", "state"):
            batch.create_index(f"ix_certificate_actions_{column}", [column], unique=False)


def downgrade() -> None:
    op.drop_table("certificate_actions")
    op.drop_table("correction_requests")
