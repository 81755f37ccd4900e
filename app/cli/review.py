"""`flask review purge` and `flask notify send-pending`: the manual-review housekeeping jobs (cron)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.services import corrections, notify
from app.services.manual_review import purge_photos

group = AppGroup("review", help="Manual review (人工审核) housekeeping.")
notify_group = AppGroup("notify", help="WeChat notification outbox.")


@group.command("purge")
@click.option("--days", type=int, default=None,
              help="Retention after the decision (default: [review] photo_retention_days).")
def purge_command(days: int | None) -> None:
    """Delete review photos and correction evidence a retention period after the request was decided."""
    settings = current_app.config["SETTINGS"]
    retention = settings.review.photo_retention_days if days is None else days
    if retention < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--days")
    now = current_app.extensions["clock"].now()
    with current_app.extensions["db"].session() as session:
        count = purge_photos(session, now, retention)
        evidence = corrections.purge_photos(session, now, retention)
    click.echo(f"deleted {count} photos of requests decided more than {retention} days ago")
    click.echo(f"deleted the evidence photos of {evidence} correction requests decided more than {retention} days ago")


@notify_group.command("send-pending")
@click.option("--limit", type=int, default=500, show_default=True)
def send_pending_command(limit: int) -> None:
    """Deliver due notifications; failures are rescheduled with backoff."""
    app = current_app
    sender = notify.sender_from(app.config["SETTINGS"], app.extensions["wechat_api"])
    with app.extensions["db"].session() as session:
        report = notify.send_pending(session, sender, app.extensions["clock"].now(), limit=limit)
    click.echo(f"sent {report.sent}, retrying later {report.retrying}, given up {report.given_up}")
