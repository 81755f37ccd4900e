"""Migration 0019 (inspectors' WeChat binding, the inspection log) steps down and up on both databases,
keeping the staff accounts."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect, text

from app.cli.db import alembic_config, downgrade, upgrade
from app.storage.db import Database
from tests.integration.review_fixtures import CHONGQING, make_staff
from tests.integration.test_migrations import at_head_afterwards  # noqa: F401

REVISION = "0019_inspections"


def _before(database: Database) -> str:
    """The revision 0019 follows (whatever the order the branches were merged in)."""
    down = ScriptDirectory.from_config(alembic_config(database)).get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


def _schema(database: Database) -> tuple[bool, set[str]]:
    with database.engine.connect() as conn:
        found = inspect(conn)
        return ("inspections" in found.get_table_names(),
                {c["name"] for c in found.get_columns("staff")} & {"wechat_openid", "wechat_bound_at"})


def test_0019_steps_down_and_up_and_keeps_the_staff(app: Flask, at_head_afterwards: Database) -> None:  # noqa: F811
    database = at_head_afterwards
    make_staff(app, "cq.inspector", role="inspector", authority=CHONGQING, enrolled=False)
    downgrade(database, _before(database))
    assert _schema(database) == (False, set())
    upgrade(database)
    assert _schema(database) == (True, {"wechat_openid", "wechat_bound_at"})
    with database.engine.connect() as conn:
        assert conn.scalar(text("SELECT wechat_openid FROM staff WHERE username = 'cq.inspector'")) is None
