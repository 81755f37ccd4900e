"""长辈模式: a switch on every worker page, remembered by the browser and, once bound, by the holder."""

# Fixtures are imported explicitly from h5_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from app.services.seed import DemoPerson
from tests.integration.h5_fixtures import (  # noqa: F401
    Worker,
    faceid_settings,
    fake_faceid,
    fake_wechat,
    h5_app,
    holders,
    wechat_settings,
    worker,
)


def _switch(someone: Worker, page: str, on: bool) -> str:
    """Press the switch on `page`; the page it comes back to."""
    token = someone.csrf(page)
    pressed = someone.client.post("/h5/prefs/large-text",
                                  data={"csrf_token": token, "on": "1" if on else "0", "next": page})
    assert pressed.status_code == 302 and pressed.headers["Location"] == page
    return someone.get(page).text


def _large(page: str) -> bool:
    return '<body class="large-text">' in page


def test_before_the_holder_is_bound_the_browser_remembers_the_choice(
        holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    register = alice.get("/h5/register").text
    assert not _large(register) and 'aria-pressed="false"' in register
    page = _switch(alice, "/h5/register", on=True)
    assert _large(page) and 'aria-pressed="true"' in page
    assert alice.register(holders[0]).status_code == 302
    assert _large(alice.get("/h5/face").text)
    assert not _large(_switch(alice, "/h5/face", on=False))


def test_a_bound_holders_choice_follows_him_to_another_phone(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    old_phone = worker("o-holder")
    old_phone.onboard(holders[0])
    assert _large(_switch(old_phone, "/h5/my", on=True))
    new_browser = worker("o-holder")  # the same WeChat account, a fresh browser without the cookie
    new_browser.sign_in()
    assert _large(new_browser.get("/h5/my").text)
    assert not _large(_switch(new_browser, "/h5/my", on=False))
    assert not _large(old_phone.get("/h5/my").text)  # the holder's choice wins over the old cookie


def test_the_switch_only_returns_to_pages_of_this_site(worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    token = alice.csrf("/h5/register")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        pressed = alice.client.post("/h5/prefs/large-text", data={"csrf_token": token, "on": "1", "next": evil})
        assert pressed.status_code == 302 and pressed.headers["Location"] == "/h5/my"


def test_the_switch_needs_its_csrf_token(worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    assert alice.client.post("/h5/prefs/large-text", data={"on": "1"}).status_code == 400
