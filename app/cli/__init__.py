"""Command-line interface registered on the app (`flask --app app COMMAND`)."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach every command group to the app."""
    from app.cli import calendar, certs, db, demo

    for group in (db.group, certs.group, demo.group, calendar.group):
        app.cli.add_command(group)
    from app.cli import review, staff  # issue 4: staff accounts, photo purge, notification outbox

    for extra in (staff.group, review.group, review.notify_group):
        app.cli.add_command(extra)
    from app.cli import jobs, menu

    app.cli.add_command(menu.group)
    app.cli.add_command(jobs.group)
    from app.cli import keys, verify  # issue 5: signing keys and the offline verifier

    keys.register(app)
    verify.register(app)
    from app.cli import worker  # the import jobs started in the back office

    app.cli.add_command(worker.worker_command)
