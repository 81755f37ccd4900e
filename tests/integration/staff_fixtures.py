"""Staff accounts with a second factor for tests: an enrolled authenticator and its next good code."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from flask import Flask
from sqlalchemy import select

from app.clock import FixedClock
from app.services import twofactor
from app.services.timeutil import utc_naive
from app.storage.models import Staff


def enrol(app: Flask, username: str) -> str:
    """Give the account an enabled authenticator; returns its secret."""
    pii = app.extensions["pii"]
    with app.extensions["db"].session() as session:
        staff = session.scalar(select(Staff).where(Staff.username == username))
        assert staff is not None
        twofactor.pending_secret(staff, pii)
        staff.totp_enabled_at = utc_naive(app.extensions["clock"].now())
        return twofactor.secret_of(staff, pii)


def secret_of(app: Flask, username: str) -> str:
    with app.extensions["db"].session() as session:
        staff = session.scalar(select(Staff).where(Staff.username == username))
        assert staff is not None
        return twofactor.secret_of(staff, app.extensions["pii"])


def code_for(app: Flask, secret: str, username: str) -> str:
    """A code the server will take now: each 30-second step is good once, and one step of drift is
    allowed, so a fixed clock gives three sign-ins before it is moved on by a step."""
    clock = app.extensions["clock"]
    totp = pyotp.TOTP(secret)
    with app.extensions["db"].session() as session:
        last = session.scalar(select(Staff.totp_last_step).where(Staff.username == username))
    for _ in range(3):
        now = clock.now()
        for offset in (-1, 0, 1):
            if last is None or totp.timecode(now) + offset > last:
                return totp.at(now, counter_offset=offset)
        if not isinstance(clock, FixedClock):
            break
        clock.moment += timedelta(seconds=30)
    raise AssertionError("no unused TOTP step: move the clock on")


def account(app: Flask, username: str) -> Staff:
    """The staff row as stored now, detached."""
    with app.extensions["db"].session() as session:
        staff = session.scalar(select(Staff).where(Staff.username == username))
        assert staff is not None
        session.expunge(staff)
        return staff
