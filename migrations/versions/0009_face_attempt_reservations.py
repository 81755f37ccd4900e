"""face attempts are reserved before DetectAuth: face_attempts.biz_token may be empty

The daily caps are checked and the attempt row inserted in one short transaction under the
holder's row lock (app/storage/locks.py); the BizToken arrives afterwards, from a DetectAuth call
made outside the lock. Until then the row is `reserved` and has no BizToken. face_attempts holds
a few rows per person per day at most, so any rebuild either database does for this is quick.

Revision ID: 0009_face_attempt_reservations
Revises: 0008_certificate_identity
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_face_attempt_reservations"
down_revision: str | None = "0008_certificate_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("face_attempts", schema=None) as batch_op:
        batch_op.alter_column("biz_token", existing_type=sa.String(length=128), nullable=True)


def downgrade() -> None:
    # A reservation whose DetectAuth never answered has no BizToken and nothing to finish.
    op.execute(sa.text("DELETE FROM face_attempts WHERE biz_token IS NULL"))
    with op.batch_alter_table("face_attempts", schema=None) as batch_op:
        batch_op.alter_column("biz_token", existing_type=sa.String(length=128), nullable=False)
