"""The reminder job on 1,000,000 certificates (MariaDB): one day, a week, a month; again (idempotent);
the query plan of one look-up; and how long migration 0017 takes to add its indexes.

A fifth of the holders are bound to a WeChat account (far more than a real deployment would see at
first). `python -m bench reminderbench`.
"""

from __future__ import annotations

import os
import time
from datetime import date, timedelta

from sqlalchemy import text

from bench.common import MILLION, Report
from bench.dataset import million_database

BOUND_EVERY = 5  # one holder in five is bound
RANGES = [("one day (a daily run)", 0), ("the default week", 6), ("30 days", 29)]


def _bind_holders(database: object) -> int:
    """Bind every BOUND_EVERY-th holder to an invented openid; forget earlier runs' reminders."""
    with database.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("DELETE FROM certificate_notices"))
        conn.execute(text("DELETE FROM notifications WHERE kind = 'reminder'"))
        conn.execute(text("DELETE FROM wechat_users WHERE openid LIKE 'o-bench-%'"))
        conn.execute(text(
            "INSERT INTO wechat_users (openid, person_id, claimed_person_id, verified_at, verified_method, "
            "bound_at, created_at, reminders) SELECT CONCAT('o-bench-', id), id, id, NOW(), 'face', NOW(), NOW(), 1 "
            f"FROM people WHERE id % {BOUND_EVERY} = 0 AND id NOT IN "
            "(SELECT person_id FROM wechat_users WHERE person_id IS NOT NULL)"))
        return int(conn.scalar(text("SELECT COUNT(*) FROM wechat_users WHERE openid LIKE 'o-bench-%'")) or 0)


def _plan(database: object, day: date) -> str:
    """MariaDB's plan for one look-up of the job (expiring in 90 days)."""
    with database.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(text(
            "EXPLAIN SELECT certificates.id, wechat_users.openid FROM certificates JOIN wechat_users "
            "ON wechat_users.person_id = certificates.person_id WHERE certificates.valid_until = :d "
            "AND certificates.is_current = 1 AND certificates.id > 0 AND wechat_users.verified_at IS NOT NULL "
            "AND wechat_users.reminders = 1 ORDER BY certificates.id LIMIT 1000"), {"d": day + timedelta(days=90)})
        return "; ".join(f"{r.table}: type {r.type}, key {r.key}, rows {r.rows}" for r in rows)


def _migration_seconds(database: object) -> float:
    """0017 down (drops its tables and indexes) and up again: the up step's time."""
    from alembic.script import ScriptDirectory

    from app.cli.db import alembic_config, downgrade, upgrade

    script = ScriptDirectory.from_config(alembic_config(database))  # type: ignore[arg-type]
    downgrade(database, script.get_revision("0017_notices_and_copies").down_revision)  # type: ignore[arg-type]
    started = time.perf_counter()
    upgrade(database)  # type: ignore[arg-type]
    return time.perf_counter() - started


def run(report: Report) -> None:
    """Days looked at, certificates read, reminders queued and seconds, first run and again."""
    from app.clock import SystemClock
    from app.services import reminders
    from app.storage.db import Database

    database = Database(os.environ.get("BENCH_REMINDER_DB") or million_database())
    migration = _migration_seconds(database)
    bound = _bind_holders(database)
    now = SystemClock().now()
    rows = []
    for label, back in RANGES:
        for attempt in ("first run", "again"):
            started = time.perf_counter()
            result = reminders.queue_due(database, now.date() - timedelta(days=back), now.date(), now)
            seconds = time.perf_counter() - started
            rows.append([label, attempt, result.days, f"{result.read:,}", f"{result.queued:,}",
                         f"{result.already:,}", f"{seconds:.2f}", f"{seconds / result.days * 1000:.0f}"])
    report.add(f"Reminder job, {MILLION:,} certificates, {bound:,} holders bound (MariaDB)", rows,
               ["days", "run", "days looked at", "certificates read", "queued", "queued before", "seconds",
                "ms per day"],
               f"Plan of one look-up: {_plan(database, now.date())}. Migration 0017 (three indexes on the "
               f"loaded tables, four new tables): {migration:.1f} s.")
