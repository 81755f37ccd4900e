"""staff accounts hold several roles and are scoped to one authority or to all

`staff.role` (reviewer | admin) becomes `staff.roles`, a sorted comma-separated set of reviewer,
operator, admin and inspector. Scope no longer follows from the role: `staff.authority` is the
canonical 签发机关 or "*" (all, for the city bureau's admins). Admins created before saw every
authority, so they get "*" and keep seeing what they saw.

Revision ID: 0010_staff_roles
Revises: 0009_face_attempt_reservations
Create Date: 2026-12-03 12:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_staff_roles"
down_revision: str | None = "0009_face_attempt_reservations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("roles", sa.String(64), nullable=True))
    op.execute("UPDATE staff SET roles = role")
    op.execute("UPDATE staff SET authority = '*' WHERE role = 'admin'")
    with op.batch_alter_table("staff") as batch:
        batch.alter_column("roles", existing_type=sa.String(64), nullable=False)
        batch.drop_column("role")


def downgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=True))
    # The old schema knew one role: an admin stays an admin (who saw every authority, so "*" does no
    # harm there), anyone else becomes a reviewer.
    op.execute("UPDATE staff SET role = CASE WHEN roles LIKE '%admin%' OR authority = '*' "
               "THEN 'admin' ELSE 'reviewer' END")
    with op.batch_alter_table("staff") as batch:
        batch.alter_column("role", existing_type=sa.String(16), nullable=False)
        batch.drop_column("roles")
