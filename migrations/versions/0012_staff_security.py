"""staff sign-in with a second factor, server-side sessions, lockout per username, verification counts

- `staff`: a TOTP secret (encrypted), when it was enabled and the last 30-second step used; a flag for
  a temporary password that must be changed. `failed_logins` and `locked_until` move to
  `login_failures`, keyed by a hash of the username, so unknown names lock like real ones (issue 12).
  Counts in progress are not carried over: everyone starts with a clean slate.
- `staff_sessions`: the back office's sessions (the cookie holds only a random token).
- `staff_recovery_codes`: single-use codes, kept as keyed hashes.
- `verification_counts`: daily counters of verifications for the dashboard (no personal data).
- `audit_log.actor` gets an index (the audit page filters by staff member).

Every existing account is asked to enrol an authenticator at its next sign-in.

Revision ID: 0012_staff_security
Revises: 0011_suspension_end
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0012_staff_security"
down_revision: str | None = "0011_suspension_end"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A keyed hash (app.storage.types.BlindIndex): 16 raw bytes.
BLIND_INDEX = sa.LargeBinary().with_variant(mysql.BINARY(16), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("totp_secret_enc", sa.LargeBinary(512), nullable=True))
        batch.add_column(sa.Column("totp_enabled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("second_factor_at", sa.DateTime(), nullable=True),
        sa.Column("address", sa.String(45), nullable=False),
        sa.Column("user_agent", sa.String(200), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", BLIND_INDEX, nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_recovery_codes_staff_id", "staff_recovery_codes", ["staff_id"])
    op.create_table(
        "login_failures",
        sa.Column("key", BLIND_INDEX, nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("last_failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_login_failures_last_failed_at", "login_failures", ["last_failed_at"])
    op.create_table(
        "verification_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("verdict", sa.String(10), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "channel", "verdict", "source"),
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["actor"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_actor", table_name="audit_log")
    # Dropping a table drops its indexes (MariaDB refuses to drop an index a foreign key needs first).
    for table in ("verification_counts", "login_failures", "staff_recovery_codes", "staff_sessions"):
        op.drop_table(table)
    # The old schema signs in with the password alone: the second factor is dropped with its columns.
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(), nullable=True))
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_enabled_at")
        batch.drop_column("totp_secret_enc")
        batch.drop_column("must_change_password")
