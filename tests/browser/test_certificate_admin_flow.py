"""Headless Chromium, on SQLite and on MariaDB: certificate administration as a bureau does it.

Staff use a 1366×768 desktop, the holder a phone with WeChat's user agent. The served app's clock is
a FixedClock the test moves, so "on the end day, with no one acting" is checked for real.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask
from PIL import Image
from sqlalchemy import select

from app.clock import CHINA, FixedClock
from app.domain.keyring import from_jwks
from app.domain.qrtoken import ListedStatus, verify_status_list
from app.services import certificate_files
from app.storage.db import Database
from app.storage.models import Certificate
from tests.browser.axe import assert_accessible
from tests.browser.conftest import WECHAT_UA, LiveServer, serve_app
from tests.browser.staff_signin import sign_in
from tests.conftest import _truncate_all
from tests.integration.certadmin_fixtures import bind
from tests.integration.review_fixtures import SICHUAN, Holder, import_holder, make_staff

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
WAIT = 30_000  # milliseconds: the machine is shared and may be slow


@dataclass
class Served:
    live: LiveServer
    clock: FixedClock
    started: datetime


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app on the session's database (emptied first), with a clock the tests move."""
    database = Database(database_url)
    _truncate_all(database)
    database.engine.dispose()
    started = datetime.now(CHINA).replace(microsecond=0)
    clock = FixedClock(started)
    with serve_app(tmp_path_factory.mktemp("certadmin"), seed_count=None, database_url=database_url,
                   before_serving=lambda app: app.extensions.update(clock=clock)) as live:
        yield Served(live, clock, started)


@pytest.fixture
def live_app(served: Served) -> Iterator[Flask]:
    """The served app; its clock back at the start after each test."""
    yield served.live.app
    served.clock.moment = served.started


def _shot(page: object, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)  # type: ignore[attr-defined]


def _desktop(browser: object) -> object:
    context = browser.new_context(locale="zh-CN", viewport=DESKTOP)  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(WAIT)
    return page


def _phone(browser: object, served: Served, openid: str) -> object:
    served.live.app.extensions["fake_wechat"].set_current_openid(openid)
    context = browser.new_context(  # type: ignore[attr-defined]
        locale="zh-CN", viewport={"width": 390, "height": 844}, user_agent=WECHAT_UA)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    return page


def _sign_in(page: object, served: Served, username: str) -> None:
    sign_in(page, served.live.url, served.live.app, username)


def _public_id(app: Flask, holder: Holder) -> str:
    with app.extensions["db"].session() as session:
        return str(session.scalar(select(Certificate.public_id).where(Certificate.person_id == holder.person_id)))


def _verify_path(app: Flask, public_id: str) -> str:
    """The /V/… path of the certificate's printed QR code."""
    with app.app_context(), app.extensions["db"].session() as session:
        cert = session.scalars(select(Certificate).where(Certificate.public_id == public_id)).one()
        text = certificate_files.printed_qr_text(certificate_files.signing_context(app), session,
                                                 app.extensions["pii"], cert)
    return "/" + text.split("://", 1)[1].split("/", 1)[1]


def _listed(served: Served, public_id: str, version: int = 1) -> ListedStatus | None:
    """What /api/status-list says about the certificate, as an offline verifier reads it."""
    base = served.live.url
    keys = from_jwks(requests.get(f"{base}/.well-known/jwks.json", timeout=10).json())
    data = requests.get(f"{base}/api/status-list", timeout=30).content
    return verify_status_list(data, keys, int(served.clock.now().timestamp())).lookup(public_id, version)


def _open_certificate(page: object, served: Served, holder: Holder) -> None:
    """Search by ID number from the nav bar and open the result."""
    page.click(".bar-nav >> text=证书")  # type: ignore[attr-defined]
    page.fill("#q", holder.id_number)  # type: ignore[attr-defined]
    page.click("form.search button")  # type: ignore[attr-defined]
    page.click("#results a.btn-small")  # type: ignore[attr-defined]
    page.locator("#person-name").wait_for()  # type: ignore[attr-defined]


def test_an_operator_suspends_until_a_day_and_on_that_day_it_is_valid_again(
        live_app: Flask, served: Served, browser: object) -> None:
    app = live_app
    holder = import_holder(app, seed=7101, openid="o-browser-suspended")
    bind(app, holder.person_id, holder.openid)
    make_staff(app, "op.browser", "operator")
    public_id, until = _public_id(app, holder), (served.started.date() + timedelta(days=90))
    page = _desktop(browser)
    _sign_in(page, served, "op.browser")
    assert _listed(served, public_id) is None  # the list is built and cached before the action
    _open_certificate(page, served, holder)
    page.click("#form-suspend summary")  # type: ignore[attr-defined]
    page.fill("#form-suspend input[name=until]", until.isoformat())  # type: ignore[attr-defined]
    page.select_option("#form-suspend select[name=basis]", "xcf-9-3")  # type: ignore[attr-defined]
    page.fill("#form-suspend textarea[name=reason]", "在作业现场违章作业，依法暂扣特种作业操作证三个月")  # type: ignore[attr-defined]
    assert page.locator("#form-suspend .notice-hint").is_visible()  # type: ignore[attr-defined]
    assert_accessible(page, "certificate detail (back office)")
    _shot(page, "admin-cert-suspend-form.png")
    page.click("#form-suspend button[type=submit]")  # type: ignore[attr-defined]
    assert f"已暂扣，{until.isoformat()}起自动恢复，已通知持证人" in page.locator(".flash").inner_text()  # type: ignore[attr-defined]
    assert page.locator("#cert-status").inner_text() == "暂扣"  # type: ignore[attr-defined]
    assert "暂扣" in page.locator("#audit").inner_text() and "staff:op.browser" in page.locator(  # type: ignore[attr-defined]
        "#audit").inner_text()
    _shot(page, "admin-cert-suspended.png")

    scanner = _phone(browser, served, "o-somebody")
    scanner.goto(served.live.url + _verify_path(app, public_id))  # type: ignore[attr-defined]
    assert scanner.locator("#verdict").inner_text() == "证书真实，但已暂扣"  # type: ignore[attr-defined]
    day = f"{until.year}年{until.month}月{until.day}日起恢复"
    assert day in scanner.content()  # type: ignore[attr-defined]
    assert _listed(served, public_id) == ListedStatus.SUSPENDED
    [message] = app.extensions["fake_wechat"].messages_for(holder.openid)
    assert message.kind == "template" and message.payload["data"]["phrase2"]["value"] == "已暂扣"

    phone = _phone(browser, served, holder.openid)
    phone.goto(f"{served.live.url}/h5/my")  # type: ignore[attr-defined]
    phone.locator(".cert-card").first.click()  # type: ignore[attr-defined]
    step = phone.locator(".next-step").inner_text()  # type: ignore[attr-defined]
    assert f"{until.year}年{until.month}月{until.day}日起自动恢复" in step and "违章作业" in step
    assert "违章作业" in phone.locator("#cert-actions").inner_text()  # type: ignore[attr-defined]
    assert_accessible(phone, "a suspended certificate (holder)")
    _shot(phone, "h5-cert-suspended.png")

    served.clock.moment = datetime.combine(until, datetime.min.time(), CHINA) + timedelta(hours=8)
    scanner.reload()  # type: ignore[attr-defined]
    assert scanner.locator("#verdict").inner_text() == "证书真实有效"  # type: ignore[attr-defined]
    phone.reload()  # type: ignore[attr-defined]
    assert phone.locator(".next-step").count() == 0  # type: ignore[attr-defined]
    assert "有效" in phone.locator(".badge").first.inner_text()  # type: ignore[attr-defined]


def test_an_operator_proposes_revocation_an_admin_approves_and_another_authoritys_admin_never_sees_it(
        live_app: Flask, served: Served, browser: object) -> None:
    app = live_app
    holder = import_holder(app, seed=7202, openid="o-browser-revoked")
    make_staff(app, "op.revoke", "operator")
    make_staff(app, "admin.cq", "admin")
    make_staff(app, "admin.sc", "admin", authority=SICHUAN)
    public_id = _public_id(app, holder)
    page = _desktop(browser)
    _sign_in(page, served, "op.revoke")
    _open_certificate(page, served, holder)
    page.click("#form-revoke summary")  # type: ignore[attr-defined]
    page.select_option("#form-revoke select[name=basis]", "30-30-3")  # type: ignore[attr-defined]
    page.fill("#form-revoke textarea[name=reason]", "对2026年11月的生产安全事故负有责任")  # type: ignore[attr-defined]
    page.click("#form-revoke button[type=submit]")  # type: ignore[attr-defined]
    assert "须由另一名管理员审批后生效" in page.locator(".flash").inner_text()  # type: ignore[attr-defined]
    assert page.locator("#cert-status").inner_text() == "有效"  # type: ignore[attr-defined]
    proposal = page.locator("#pending-proposal a").get_attribute("href")  # type: ignore[attr-defined]

    other = _desktop(browser)
    _sign_in(other, served, "admin.sc")
    other.click(".bar-nav >> text=撤销/注销审批")  # type: ignore[attr-defined]
    assert "没有待审批的申请" in other.locator("main").inner_text()  # type: ignore[attr-defined]
    assert other.goto(f"{served.live.url}{proposal}").status == 404  # type: ignore[attr-defined]

    admin = _desktop(browser)
    _sign_in(admin, served, "admin.cq")
    admin.click(".bar-nav >> text=撤销/注销审批")  # type: ignore[attr-defined]
    admin.click("#proposals a.btn-small")  # type: ignore[attr-defined]
    admin.check("input[name=confirm]")  # type: ignore[attr-defined]
    assert_accessible(admin, "a proposal (back office)")
    _shot(admin, "admin-proposal.png")
    admin.click("text=批准撤销")  # type: ignore[attr-defined]
    assert "已批准撤销，即时生效" in admin.locator(".flash").inner_text()  # type: ignore[attr-defined]
    assert admin.locator("#cert-status").inner_text() == "已撤销"  # type: ignore[attr-defined]
    audit = admin.locator("#audit").inner_text()  # type: ignore[attr-defined]
    assert "提出撤销" in audit and "staff:op.revoke" in audit and "批准撤销" in audit and "staff:admin.cq" in audit
    _shot(admin, "admin-cert-revoked.png")
    scanner = _phone(browser, served, "o-somebody")
    scanner.goto(served.live.url + _verify_path(app, public_id))  # type: ignore[attr-defined]
    assert scanner.locator("#verdict").inner_text() == "证书真实，但已撤销"  # type: ignore[attr-defined]
    assert _listed(served, public_id) == ListedStatus.REVOKED


def _evidence(tmp: Path) -> Path:
    path = tmp / "evidence.jpg"
    out = io.BytesIO()
    Image.new("RGB", (480, 320), "#d9e2ec").save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_a_holder_files_a_correction_a_reviewer_approves_and_the_history_keeps_the_old_value(
        live_app: Flask, served: Served, browser: object, tmp_path: Path) -> None:
    app = live_app
    holder = import_holder(app, seed=7303, openid="o-browser-correction")
    bind(app, holder.person_id, holder.openid)
    make_staff(app, "rv.browser", "reviewer")
    phone = _phone(browser, served, holder.openid)
    phone.goto(f"{served.live.url}/h5/my")  # type: ignore[attr-defined]
    phone.locator(".cert-card").first.click()  # type: ignore[attr-defined]
    phone.click("#correction-link")  # type: ignore[attr-defined]
    phone.select_option("select[name=field]", "first_issue_date")  # type: ignore[attr-defined]
    phone.fill("input[name=value]", "2023-09-01")  # type: ignore[attr-defined]
    phone.fill("textarea[name=note]", "初领日期应为2023年9月1日，附原纸质证书照片")  # type: ignore[attr-defined]
    phone.set_input_files("input[name=photo]", str(_evidence(tmp_path)))  # type: ignore[attr-defined]
    assert_accessible(phone, "the correction form (holder)")
    _shot(phone, "h5-correction-form.png")
    phone.click("button[type=submit]")  # type: ignore[attr-defined]
    assert phone.locator("#correction-state").inner_text() == "待处理"  # type: ignore[attr-defined]
    assert_accessible(phone, "a correction request (holder)")
    _shot(phone, "h5-correction-status.png")

    page = _desktop(browser)
    _sign_in(page, served, "rv.browser")
    page.click(".bar-nav >> text=信息更正")  # type: ignore[attr-defined]
    assert "剩余" in page.locator("#corrections .countdown").first.inner_text()  # type: ignore[attr-defined]
    page.click("#corrections a.btn-small")  # type: ignore[attr-defined]
    assert page.locator("#requested-value").inner_text() == "2023-09-01"  # type: ignore[attr-defined]
    assert_accessible(page, "a correction request (back office)")
    _shot(page, "admin-correction.png")
    page.click("button[value=approve]")  # type: ignore[attr-defined]
    assert "已同意更正，已通知申请人" in page.locator(".flash").inner_text()  # type: ignore[attr-defined]

    _open_certificate(page, served, holder)
    history = page.locator(".change").first.inner_text()  # type: ignore[attr-defined]
    assert "初领日期：2024-03-01 → 2023-09-01" in history and "持证人申请更正" in history
    audit = page.locator("#audit").inner_text()  # type: ignore[attr-defined]
    assert "同意更正" in audit and "staff:rv.browser" in audit and f"openid:{holder.openid}" in audit
    _shot(page, "admin-cert-corrected.png")
    phone.reload()  # type: ignore[attr-defined]
    assert phone.locator("#correction-state").inner_text() == "已更正"  # type: ignore[attr-defined]
    [message] = app.extensions["fake_wechat"].messages_for(holder.openid)
    assert message.payload["data"]["phrase2"]["value"] == "已通过"
    with app.extensions["db"].session() as session:
        first = session.scalar(select(Certificate.first_issue_date).where(Certificate.person_id == holder.person_id))
    assert first == date(2023, 9, 1)
