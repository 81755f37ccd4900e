"""Command-line interface registered on the app (`flask --app app COMMAND`)."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach every command group to the app."""
    from app.cli import calendar, certs, db, demo

    for group in (db.group, certs.group, demo.group, calendar.group):
        app.cli.add_command(group)
