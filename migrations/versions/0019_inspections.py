"""inspectors' WeChat binding and the inspection log (执法检查记录)

- `staff.wechat_openid` (unique) and `staff.wechat_bound_at`: the WeChat account an inspector bound
  with a one-time code, so their scans and /v/ pages show the inspector view.
- `inspections`: one row per inspector check (inspector, time, certificate and version, verdict,
  ID-number check, site), read by the holder's 查验记录 and the back office's list and CSV.
Both are additions: instant on MariaDB and SQLite (the `staff` table is small; SQLite rebuilds it).

Revision ID: 0019_inspections
Revises: 0018_import_jobs
Create Date: 2026-12-03 13:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_inspections"
down_revision: str | None = "0018_import_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("wechat_openid", sa.String(64), nullable=True))
        batch.add_column(sa.Column("wechat_bound_at", sa.DateTime(), nullable=True))
        batch.create_unique_constraint("uq_staff_wechat_openid", ["wechat_openid"])
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("inspector", sa.String(64), nullable=False),
        sa.Column("authority", sa.String(100), nullable=False),
        sa.Column("certificate_id", sa.Integer(), sa.ForeignKey("certificates.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("id_check", sa.String(8), nullable=True),
        sa.Column("site", sa.String(100), nullable=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_inspections_staff_at", "inspections", ["staff_id", "at"])
    op.create_index("ix_inspections_authority_day", "inspections", ["authority", "day"])
    op.create_index("ix_inspections_day", "inspections", ["day"])
    op.create_index("ix_inspections_certificate_id", "inspections", ["certificate_id"])


def downgrade() -> None:
    op.drop_table("inspections")
    with op.batch_alter_table("staff") as batch:
        batch.drop_constraint("uq_staff_wechat_openid", type_="unique")
        batch.drop_column("wechat_bound_at")
        batch.drop_column("wechat_openid")
