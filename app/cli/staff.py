"""`flask staff create|list`: back-office accounts (passwords are prompted, never echoed or stored)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.services.staff import ROLES, StaffError, create_staff, list_staff
from app.services.timeutil import china_text

group = AppGroup("staff", help="Back-office staff accounts.")


@group.command("create")
@click.argument("username")
@click.option("--role", "roles", type=click.Choice(ROLES), required=True, multiple=True,
              help="Repeat for several: reviewer (人工审核, corrections), operator (imports, certificate "
                   "administration), admin (staff, settings, approvals), inspector (执法人员).")
@click.option("--authority", required=True,
              help="签发机关 the account is scoped to, e.g. 重庆市应急管理局; '*' for all (the city bureau's admins).")
@click.password_option("--password", prompt="Password", confirmation_prompt="Repeat the password",
                       help="Prompted twice when omitted (prefer the prompt: shell history keeps options).")
def create_command(username: str, roles: tuple[str, ...], authority: str, password: str) -> None:
    """Create a staff account."""
    database = current_app.extensions["db"]
    try:
        with database.session() as session:
            staff = create_staff(session, username, password, roles, authority,
                                 current_app.extensions["clock"].now())
            click.echo(f"created {staff.username} ({staff.roles}, {staff.authority})")
    except StaffError as exc:
        raise click.ClickException(str(exc)) from exc


@group.command("list")
def list_command() -> None:
    """List staff accounts (no password data)."""
    with current_app.extensions["db"].session() as session:
        for staff in list_staff(session):
            state = "active" if staff.active else "disabled"
            locked = f", locked until {china_text(staff.locked_until)}" if staff.locked_until else ""
            click.echo(f"{staff.username}\t{staff.roles}\t{staff.authority}\t{state}{locked}")
