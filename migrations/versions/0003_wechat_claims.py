"""wechat user claims: the holder an openid registered as, before verification binds it

Revision ID: 0003_wechat_claims
Revises: 0002_accounts_reviews
Create Date: 2026-11-29 09:00:00

`wechat_users.person_id` is unique (one openid <-> one holder) and is set only when a face check
or a manual review passes. Registration records the claimed holder here first, so a holder already
bound to another openid can be claimed without breaking the unique binding until verification.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_wechat_claims"
down_revision: str | None = "0002_accounts_reviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("wechat_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_person_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_wechat_users_claimed_person_id", ["claimed_person_id"])
        batch_op.create_foreign_key("fk_wechat_users_claimed_person", "people", ["claimed_person_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("wechat_users", schema=None) as batch_op:
        batch_op.drop_constraint("fk_wechat_users_claimed_person", type_="foreignkey")
        batch_op.drop_index("ix_wechat_users_claimed_person_id")
        batch_op.drop_column("claimed_person_id")
