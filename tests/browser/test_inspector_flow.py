"""Issue 14, done when: in headless Chromium, on SQLite and MariaDB with real Redis and the fake WeChat,
an inspector binds their WeChat account, scans a certificate in the simulator, sees the photo and full
name, types a wrong ID number and sees the red verdict in the first screen; the holder's 查验记录 and
the back office list the check; an anonymous scan of the same code shows the masked view, no photo."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.integrations.redisstore import RedisStore
from app.services import certificate_files
from app.services.registry import find_person
from app.storage.db import Database
from app.storage.models import Certificate
from tests.browser.axe import assert_accessible
from tests.browser.conftest import WECHAT_UA, LiveServer, serve_app
from tests.browser.staff_signin import sign_in
from tests.conftest import _truncate_all
from tests.integration.certadmin_fixtures import bind
from tests.integration.fakes_fixtures import require_redis
from tests.integration.review_fixtures import CHONGQING, make_staff

pytestmark = pytest.mark.browser
HOLDER = ("500112196312092319", "陈燕建")  # the seeded showcase holder with a valid certificate
WRONG_ID = "11010519491231002X"
PHONE = {"width": 390, "height": 844}
WAIT = 30_000  # ms: the machine is shared
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The app on the session's database (emptied, then seeded) with a real Redis store."""
    client = require_redis()
    prefix = f"test:{uuid.uuid4().hex[:12]}:"
    database = Database(database_url)
    _truncate_all(database)
    database.engine.dispose()
    with serve_app(tmp_path, seed_count=0, database_url=database_url,
                   before_serving=lambda app: app.extensions.update(store=RedisStore(client, prefix=prefix))) as live:
        yield live
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)


def _printed_code(app: Flask) -> tuple[int, str]:
    """(the holder's person id, the QR text printed on their first certificate)."""
    with app.app_context(), app.extensions["db"].session() as session:
        person = find_person(session, app.extensions["pii"], HOLDER[0])
        assert person is not None
        cert = session.scalars(select(Certificate).where(Certificate.person_id == person.id, Certificate.is_current)
                               .order_by(Certificate.id).limit(1)).one()
        return person.id, certificate_files.printed_qr_text(certificate_files.signing_context(app), session,
                                                            app.extensions["pii"], cert)


def _page(browser: Any, **options: Any) -> Any:
    page = browser.new_context(locale="zh-CN", **options).new_page()
    page.set_default_timeout(WAIT)
    return page


def _scan_and_open(sim: Any, openid: str, code: str, link_name: str) -> Any:
    """Scan `code` in the simulator as `openid` and open the reply's link (a new tab, as WeChat does)."""
    sim.fill("#openid", openid)
    sim.dispatch_event("#openid", "change")
    sim.get_by_role("button", name="扫码查询").click()
    sim.fill("#scan-text", code)
    sim.get_by_role("button", name="扫描").click()
    link = sim.locator(".msg.them .bubble").last.get_by_role("link", name=link_name)
    with sim.context.expect_page() as opened:
        link.click()
    page = opened.value
    page.set_default_timeout(WAIT)
    page.locator("#verdict").wait_for()
    return page


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=False)


def test_an_inspector_binds_scans_sees_the_holder_and_a_wrong_id_turns_the_banner_red(
        served: LiveServer, browser: Any) -> None:
    app = served.app
    make_staff(app, "city.admin", role="admin", authority="*")
    inspector_id = make_staff(app, "cq.inspector", role="inspector", authority=CHONGQING)
    person_id, code = _printed_code(app)

    admin = _page(browser, viewport={"width": 1366, "height": 768})
    sign_in(admin, served.url, app, "city.admin")
    admin.goto(f"{served.url}/admin/staff/{inspector_id}")
    admin.click("#make-bind-code")
    bind_text = admin.locator("#bind-code").inner_text()
    assert admin.locator("#inspector-wechat svg").count() == 1  # the QR code to scan instead

    sim = _page(browser, viewport=PHONE)
    sim.goto(f"{served.url}/dev/simulator")
    sim.fill("#openid", "o-sim-inspector")
    sim.dispatch_event("#openid", "change")
    sim.fill("#text", bind_text)
    sim.get_by_role("button", name="发送").click()
    sim.locator(".msg.them .bubble").filter(has_text="绑定成功").wait_for()

    view = _scan_and_open(sim, "o-sim-inspector", code, "打开执法核查页面")
    assert view.locator("#full-name").inner_text() == HOLDER[1]
    photo = view.locator("#holder-photo")
    photo.wait_for()
    assert photo.evaluate("img => img.complete && img.naturalWidth > 0")
    view.fill("input[name=id_number]", WRONG_ID)
    view.fill("input[name=site]", "某某隧道工地")
    view.get_by_role("button", name="核对").click()
    view.locator("#id-check-result").wait_for()
    assert view.locator("#verdict").inner_text() == "身份证号码与持证人不符"
    assert "verdict-bad" in (view.locator("#verdict-banner").get_attribute("class") or "")
    box = view.locator("#id-check-result").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]  # in the first screen
    assert view.input_value("input[name=id_number]") == WRONG_ID
    assert_accessible(view, "the inspector view")
    _shot(view, "inspector-mismatch.png")

    bind(app, person_id, "o-holder-valid")
    app.extensions["fake_wechat"].set_current_openid("o-holder-valid")
    holder = _page(browser, viewport=PHONE, user_agent=WECHAT_UA)
    holder.goto(f"{served.url}/h5/my")
    records = holder.locator("#inspections")
    records.wait_for()
    assert "执法人员 cq.inspector" in records.inner_text() and "不一致" in records.inner_text()
    assert_accessible(holder, "我的证书 with 查验记录")

    admin.goto(f"{served.url}/admin/inspections")
    row = admin.locator("#inspection-rows tbody tr").first
    assert "cq.inspector" in row.inner_text() and "不一致" in row.inner_text() and "某某隧道工地" in row.inner_text()

    sim.reload()  # signing in on the opened page started a new session: the simulator needs a fresh CSRF token
    public = _scan_and_open(sim, "o-sim-passer-by", code, "打开核验页面")
    assert HOLDER[1] not in public.content() and public.locator("img").count() == 0
    assert "证书真实有效" in public.locator("#verdict").inner_text()
    assert public.url.startswith(f"{served.url}/v/") or public.url.startswith(f"{served.url}/V/")
    _shot(public, "inspector-anonymous.png")
