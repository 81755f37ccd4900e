"""Migration 0017 (reminders, shared copies) steps down and up on both databases, keeping the holders."""

from __future__ import annotations

from datetime import date

from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect, text

from app.cli.db import alembic_config, downgrade, upgrade
from app.storage.db import Database
from app.storage.models import WechatUser
from tests.integration.notice_fixtures import bound_holder
from tests.integration.test_migrations import at_head_afterwards  # noqa: F401

NEW_TABLES = {"certificate_notices", "shared_copies", "shared_copy_views"}
REVISION = "0017_notices_and_copies"


def before_0017(database: Database) -> str:
    """The revision 0017 follows (whatever the order the branches were merged in)."""
    down = ScriptDirectory.from_config(alembic_config(database)).get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


def _schema(database: Database) -> tuple[set[str], set[str], set[str]]:
    with database.engine.connect() as conn:
        found = inspect(conn)
        return (set(found.get_table_names()) & NEW_TABLES,
                {c["name"] for c in found.get_columns("wechat_users")} & {"reminders"},
                {i["name"] for i in found.get_indexes("certificates")} & {"ix_cert_valid_until", "ix_cert_exam_passed"})


def test_0017_steps_down_and_up_and_everyone_bound_gets_reminders(app: Flask,
                                                                  at_head_afterwards: Database) -> None:  # noqa: F811
    database = at_head_afterwards
    holder = bound_holder(app, 31, reminders=False, valid_until=date(2030, 1, 1))
    downgrade(database, before_0017(database))
    assert _schema(database) == (set(), set(), set())
    with database.engine.connect() as conn:  # the holder and the binding are still there
        assert conn.scalar(text("SELECT person_id FROM wechat_users WHERE openid = :o"), {"o": holder.openid})
    upgrade(database)
    assert _schema(database) == (NEW_TABLES, {"reminders"}, {"ix_cert_valid_until", "ix_cert_exam_passed"})
    with database.session() as session:
        user = session.get(WechatUser, holder.openid)
        assert user is not None and user.reminders is True  # on by default for those bound before
