"""`flask staff create|list|reset-2fa`: back-office accounts (passwords are prompted, never echoed or stored).

Admins do the same in the browser (/admin/staff); the command line stays for the first account and
for the admin who lost both the phone and the recovery codes.
"""

from __future__ import annotations

import getpass

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app.services import staff_admin
from app.services.staff import ROLES, StaffError, create_staff, list_staff
from app.services.timeutil import china_text
from app.storage.models import Staff

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
            second = ", 2FA" if staff.totp_enabled_at else ", no 2FA yet"
            last = f", last sign-in {china_text(staff.last_login_at)}" if staff.last_login_at else ""
            click.echo(f"{staff.username}\t{staff.roles}\t{staff.authority}\t{state}{second}{last}")


@group.command("reset-2fa")
@click.argument("username")
def reset_two_factor_command(username: str) -> None:
    """Forget an account's authenticator and end its sessions (e.g. the last admin lost the phone)."""
    clock = current_app.extensions["clock"]
    with current_app.extensions["db"].session() as session:
        staff = session.scalar(select(Staff).where(Staff.username == username))
        if staff is None:
            raise click.ClickException(f"no staff account {username!r}")
        staff_admin.forget_authenticator(session, staff, f"cli:{getpass.getuser()}", clock.now())
    click.echo(f"{username}: two-factor sign-in reset; an authenticator is enrolled at the next sign-in")
