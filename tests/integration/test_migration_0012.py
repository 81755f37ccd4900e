"""Migration 0012 (second factor, server-side sessions, lockout per username, verification counts), both ways."""

from __future__ import annotations

from datetime import date

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect, text

from app.cli.db import downgrade, upgrade
from app.storage.db import Base, Database
from tests.integration.review_fixtures import make_staff, staff_login
from tests.integration.test_migrations import at_head_afterwards  # noqa: F401 - fixture


def test_0012_steps_down_to_password_only_sign_in_and_back_up(app: Flask,
                                                             at_head_afterwards: Database) -> None:  # noqa: F811
    database = at_head_afterwards
    make_staff(app, "cq.reviewer")
    staff_login(app.test_client(), "cq.reviewer")
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO verification_counts (day, channel, verdict, source, count) "
                          "VALUES (:day, 'page', 'forged', '', 3)"), {"day": date(2026, 11, 28)})
    downgrade(database, "0011_suspension_end")
    with database.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert not tables & {"staff_sessions", "staff_recovery_codes", "login_failures", "verification_counts"}
        columns = {c["name"] for c in inspect(conn).get_columns("staff")}
        assert {"failed_logins", "locked_until"} <= columns and "totp_secret_enc" not in columns
        assert list(conn.execute(text("SELECT username, failed_logins FROM staff"))) == [("cq.reviewer", 0)]
    upgrade(database)
    with database.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata) == []
        assert list(conn.execute(text("SELECT must_change_password, totp_enabled_at FROM staff"))) == [(0, None)]
    client = app.test_client()  # the account is asked to enrol an authenticator again
    staff_login(client, "cq.reviewer")
    assert client.get("/admin/").status_code == 200
