"""The /v/ verification page in a real phone-sized browser: the verdict is the first thing seen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import create_app
from app.config import replace
from app.devtools.loopback import serve_in_thread
from app.integrations.kvstore import MemoryStore
from app.services import certificate_files
from app.services.registry import status_of
from app.storage.models import Certificate, Person
from tests.browser.conftest import WECHAT_UA, LiveServer

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _valid_certificate(live: LiveServer) -> tuple[str, str]:
    """(printed QR text, holder's ID number) of a currently valid demo certificate."""
    app = live.app
    pii, today = app.extensions["pii"], app.extensions["clock"].today()
    with app.app_context(), app.extensions["db"].session() as session:
        for cert in session.scalars(select(Certificate).where(Certificate.is_current).order_by(Certificate.id)):
            if status_of(session, cert, today).is_valid:
                person = session.get(Person, cert.person_id)
                assert person is not None
                text = certificate_files.printed_qr_text(certificate_files.signing_context(app), session, pii, cert)
                return text, pii.decrypt_text(person.id_number_enc, b"people.id_number")
    raise AssertionError("the demo data has no valid certificate")


def _verdict_box(page: Any) -> dict[str, float]:
    box = page.locator("#verdict").bounding_box()
    assert box is not None
    return box  # type: ignore[no-any-return]


@pytest.mark.parametrize("browser_kind", ["plain", "wechat"])
def test_a_genuine_code_shows_the_valid_verdict_above_the_fold(
        live_server: LiveServer, browser: Any, browser_kind: str) -> None:
    options: dict[str, Any] = {"locale": "zh-CN", "viewport": {"width": 390, "height": 844}}
    if browser_kind == "wechat":
        options["user_agent"] = WECHAT_UA
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(_valid_certificate(live_server)[0])
    assert page.locator("#verdict").inner_text() == "证书真实有效"
    box = _verdict_box(page)
    assert box["y"] + box["height"] <= 844 and page.locator("#verdict").is_visible()
    assert "官方核验网址" in page.content()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"verify-valid-{browser_kind}.png"), full_page=True)
    context.close()


def test_a_forged_code_shows_the_forgery_verdict_above_the_fold(live_server: LiveServer, page: Any) -> None:
    code = _valid_certificate(live_server)[0]
    forged = code[:-6] + ("AAAAAA" if not code.endswith("AAAAAA") else "BBBBBB")
    response = page.goto(forged)
    assert response.status == 200
    assert page.locator("#verdict").inner_text() == "伪造或被篡改的二维码"
    box = _verdict_box(page)
    assert box["y"] + box["height"] <= 844
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "verify-forged.png"), full_page=True)


def test_the_inspector_can_check_an_id_number_on_the_page(live_server: LiveServer, page: Any) -> None:
    code, id_number = _valid_certificate(live_server)
    page.goto(code)
    page.fill("input[name=id_number]", id_number)
    page.click("button[type=submit]")
    assert "一致：身份证号码与证书持证人相符" in page.locator("#id-check").inner_text()
    page.screenshot(path=str(SHOTS / "verify-id-check.png"), full_page=True)


class AsNginxForwards:
    """What nginx in front of the app adds: the client's address and that it came over https."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        environ["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"
        environ["HTTP_X_FORWARDED_PROTO"] = "https"
        return self.app(environ, start_response)


@pytest.fixture
def behind_https_proxy(live_server: LiveServer) -> Iterator[str]:
    """The live server's data served as production serves it: trusted_proxies = 1, TLS at the proxy."""
    settings = replace(live_server.app.config["SETTINGS"], server={"trusted_proxies": 1})
    app = create_app(settings, store=MemoryStore())
    with serve_in_thread(AsNginxForwards(app)) as server:
        yield server.url
    app.extensions["db"].engine.dispose()


def test_the_id_check_works_when_the_page_is_served_over_https(
        live_server: LiveServer, behind_https_proxy: str, page: Any) -> None:
    code, id_number = _valid_certificate(live_server)
    page.goto(behind_https_proxy + "/" + code.split("://", 1)[1].split("/", 1)[1])  # the code's path
    page.fill("input[name=id_number]", id_number)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.title() == "证书核验结果"  # not "页面已过期", the CSRF refusal
    assert "一致：身份证号码与证书持证人相符" in page.locator("#id-check").inner_text()
