"""`flask jobs run`: the scheduled jobs (cron, daily): reminders to holders, then the outbox."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask import current_app
from flask.cli import AppGroup

from app.services import notify, reminders

group = AppGroup("jobs", help="Scheduled jobs: reminders to holders (run daily from cron or the worker).")
DAY = click.DateTime(formats=["%Y-%m-%d"])


@group.command("run")
@click.option("--from", "start", type=DAY, help="First day to look at (default: six days ago, so days the "
                                                "job did not run are made up).")
@click.option("--to", "end", type=DAY, help="Last day to look at (default: today).")
@click.option("--send-limit", type=click.IntRange(min=0), default=500, show_default=True,
              help="Notifications delivered now; `flask notify send-pending` delivers the rest.")
def run_command(start: datetime | None, end: datetime | None, send_limit: int) -> None:
    """Queue the reminders due (published, expiring in 90/30 days, review due) and deliver them.

    Safe to run again over the same days: a reminder is queued once per certificate, kind and day.
    """
    app = current_app
    now = app.extensions["clock"].now()
    first, last = _days(start, end, now.date())
    report = reminders.queue_due(app.extensions["db"], first, last, now)
    click.echo(f"reminders {first}..{last}: {report.read} certificates read, {report.queued} queued, "
               f"{report.already} queued before")
    if send_limit:
        sender = notify.sender_from(app.config["SETTINGS"], app.extensions["wechat_api"])
        with app.extensions["db"].session() as session:
            sent = notify.send_pending(session, sender, now, limit=send_limit)
        click.echo(f"sent {sent.sent}, retrying later {sent.retrying}, given up {sent.given_up}")


def _days(start: datetime | None, end: datetime | None, today: date) -> tuple[date, date]:
    """The range asked for, checked: never a day after today, never backwards, at most a year."""
    default_first, default_last = reminders.default_range(today)
    last = end.date() if end else default_last
    first = start.date() if start else min(default_first, last)
    if last > today:
        raise click.BadParameter("a reminder is sent on its day, not before: use today or earlier",
                                 param_hint="--to")
    if first > last:
        raise click.BadParameter("must not be after --to", param_hint="--from")
    if (last - first).days >= reminders.MAX_RANGE_DAYS:
        raise click.BadParameter(f"at most {reminders.MAX_RANGE_DAYS} days at once", param_hint="--from")
    return first, last
