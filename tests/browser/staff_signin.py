"""Signing a staff member in through the real pages: password, then the authenticator's code."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.integration.review_fixtures import PASSWORD
from tests.integration.staff_fixtures import code_for, secret_of

WAIT = 20_000  # ms: the machine is shared


def sign_in(page: Any, base_url: str, app: Flask, username: str, password: str = PASSWORD) -> None:
    """Log in as a staff member whose authenticator is enrolled (make_staff does that by default)."""
    page.goto(f"{base_url}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/login/code", timeout=WAIT)
    page.fill("input[name=code]", code_for(app, secret_of(app, username), username))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin/", timeout=WAIT)


def fits_the_width(page: Any) -> bool:
    """Nothing sticks out sideways (the back office is used at 1366x768)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))
