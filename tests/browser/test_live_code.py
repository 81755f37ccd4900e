"""亮证 in a phone-sized WeChat browser: a running clock, a countdown, a new code every minute,
and a frame that is green only for a valid certificate."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.services import accounts
from app.storage.models import Certificate, Person
from tests.browser.conftest import LiveServer
from tests.browser.test_my_certificates_flow import _shot, _wait_loaded

pytestmark = pytest.mark.browser
GREEN, RED = "rgb(7, 193, 96)", "rgb(250, 81, 81)"


def _bind_holder_of(server: LiveServer, openid: str, admin_state: str | None) -> str:
    """Bind `openid` (as a passed face check would) to a holder whose current certificate has this state."""
    app = server.app
    pii, now = app.extensions["pii"], datetime.now(UTC)
    with app.extensions["db"].session() as db:
        query = select(Certificate).where(Certificate.is_current, Certificate.kind == "special_ops")
        state = Certificate.admin_state
        query = query.where(state == admin_state if admin_state else state.is_(None))
        cert = db.scalars(query.where(Certificate.valid_until > now.date()).order_by(Certificate.id)).first()
        assert cert is not None
        person = db.get(Person, cert.person_id)
        assert person is not None
        number = pii.decrypt_text(person.id_number_enc, b"people.id_number")
        accounts.register(db, pii, openid, person.name, number, "13800138000", True, now)
        accounts.bind_verified(db, openid, person.id, "face", now, "test")
        db.commit()
        return str(cert.public_id)


def _open_live(server: LiveServer, page, openid: str, public_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Open the live page as `openid` with a controllable clock; returns the live.json requests seen."""
    server.app.extensions["fake_wechat"].set_current_openid(openid)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if "live.json" in request.url else None)
    page.clock.install()
    page.goto(f"{server.url}/h5/my/cert/{public_id}/live")
    _wait_loaded(page, "#live-qr")
    return requests


def _seconds(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator("#live-countdown").inner_text())


def test_the_live_code_shows_a_running_clock_and_changes_every_minute(
        live_server: LiveServer, wechat_page) -> None:  # type: ignore[no-untyped-def]
    page = wechat_page
    public_id = _bind_holder_of(live_server, "o-browser-live-valid", None)
    requests = _open_live(live_server, page, "o-browser-live-valid", public_id)
    assert page.locator("#live-frame").evaluate("e => getComputedStyle(e).borderTopColor") == GREEN
    assert "每60秒自动刷新，截图无效" in page.content()
    first_clock, first_code = page.locator("#live-clock").inner_text(), page.locator("#live-qr").get_attribute("src")
    first_seconds = _seconds(page)
    assert re.fullmatch(r"\d{2}:\d{2}:\d{2}", first_clock) and 55 <= first_seconds <= 60
    _shot(page, "h5-live-valid.png")

    page.clock.run_for(3_000)  # three seconds later the clock has moved on and the countdown down
    assert page.locator("#live-clock").inner_text() != first_clock and _seconds(page) <= first_seconds - 2

    page.wait_for_timeout(1_100)  # the server's clock is real: a code signed in the same second is the same
    page.clock.run_for(60_000)  # past the minute: a fresh code, and the countdown starts again
    for _ in range(50):
        if len(requests) >= 2 and page.locator("#live-qr").get_attribute("src") != first_code:
            break
        page.wait_for_timeout(100)
    assert len(requests) >= 2 and page.locator("#live-qr").get_attribute("src") != first_code
    assert _seconds(page) > 50


def test_a_revoked_certificate_shows_its_code_in_a_red_frame_with_its_status(
        live_server: LiveServer, wechat_page) -> None:  # type: ignore[no-untyped-def]
    page = wechat_page
    public_id = _bind_holder_of(live_server, "o-browser-live-revoked", "revoked")
    _open_live(live_server, page, "o-browser-live-revoked", public_id)
    assert page.locator("#live-frame").evaluate("e => getComputedStyle(e).borderTopColor") == RED
    assert page.get_by_role("alert").inner_text() == "本证书已撤销，不能作为有效证件使用"
    _shot(page, "h5-live-revoked.png")
