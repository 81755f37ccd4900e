"""Headless Chromium at 1366x768: two-factor enrolment and sign-in, the lockout, staff administration, the
audit log with its CSV, the calendar upload and its banner.

The back office is served with a clock fixed at 2026-12-03 09:30 (Beijing): the shipped holiday table
ends 28 days later, so the calendar banner shows, as it does on the real date of the issue.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest

from app.clock import CHINA, FixedClock
from tests.browser.conftest import LiveServer, serve_app
from tests.browser.staff_signin import WAIT, fits_the_width, sign_in
from tests.integration.review_fixtures import PASSWORD, make_staff

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
TODAY = datetime(2026, 12, 3, 9, 30, tzinfo=CHINA)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on its own port, no demo data, with the clock at 2026-12-03."""
    def fix_clock(app: Any) -> None:
        app.extensions["clock"] = FixedClock(TODAY)

    with serve_app(tmp_path_factory.mktemp("office"), seed_count=None, before_serving=fix_clock) as live:
        yield live


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    """A laptop-sized page (1366x768) that accepts downloads."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield page
    context.close()


def _submit(page: Any) -> None:
    page.click("form:has(input[name=code]) button[type=submit]")


def test_a_new_colleague_enrols_an_authenticator_then_signs_in_with_a_code(office: LiveServer, desk: Any) -> None:
    app, base, page = office.app, office.url, desk
    make_staff(app, "b.newcomer", enrolled=False)
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", "b.newcomer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/login/enrol", timeout=WAIT)
    assert page.locator(".qr svg").is_visible() and fits_the_width(page)
    page.screenshot(path=str(SHOTS / "admin-2fa-enrol.png"), full_page=True)
    secret = page.locator("#totp-secret").inner_text().strip()
    page.fill("input[name=code]", pyotp.TOTP(secret).at(TODAY))
    _submit(page)
    page.wait_for_selector("#recovery-codes", timeout=WAIT)
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    page.screenshot(path=str(SHOTS / "admin-2fa-recovery-codes.png"), full_page=True)
    page.click("#continue")
    page.wait_for_url(f"{base}/admin/", timeout=WAIT)
    page.click("button:has-text('退出')")
    page.wait_for_url(f"{base}/admin/login", timeout=WAIT)
    sign_in(page, base, app, "b.newcomer")  # the second time: password, then the code
    assert page.locator("#card-verifications").is_visible()


def test_wrong_codes_lock_the_account(office: LiveServer, desk: Any) -> None:
    app, base, page = office.app, office.url, desk
    make_staff(app, "b.unlucky")
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", "b.unlucky")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/login/code", timeout=WAIT)
    for attempt in range(5):
        page.fill("input[name=code]", "000000")
        _submit(page)
        page.wait_for_selector(".error", timeout=WAIT)
        text = page.locator(".error").inner_text()
        assert ("已锁定" in text) is (attempt == 4), text
    page.screenshot(path=str(SHOTS / "admin-2fa-locked.png"), full_page=True)
    page.goto(f"{base}/admin/login")
    page.fill("input[name=username]", "b.unlucky")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector(".error", timeout=WAIT)
    assert "已锁定" in page.locator(".error").inner_text()
    assert page.url == f"{base}/admin/login"


def test_an_admin_creates_an_account_and_finds_it_in_the_audit_log_and_its_csv(office: LiveServer,
                                                                              desk: Any) -> None:
    app, base, page = office.app, office.url, desk
    make_staff(app, "b.admin", role="admin", authority="*")
    sign_in(page, base, app, "b.admin")
    page.click("nav >> text=账号管理")
    page.wait_for_url(f"{base}/admin/staff", timeout=WAIT)
    page.fill("input[name=username]", "b.clerk")
    page.check("input[name=roles][value=reviewer]")
    page.check("input[name=roles][value=operator]")
    page.select_option("select[name=authority]", "重庆市应急管理局")
    assert fits_the_width(page)
    page.screenshot(path=str(SHOTS / "admin-staff-list.png"), full_page=True)
    page.click("#new-staff button[type=submit]")
    page.wait_for_selector("#temporary-password", timeout=WAIT)
    password = page.locator("#temporary-password").inner_text().strip()
    assert len(password) == 14
    page.screenshot(path=str(SHOTS / "admin-staff-created.png"), full_page=True)
    page.click("text=完成")
    page.wait_for_selector("#account-state", timeout=WAIT)
    assert "b.clerk" in page.locator("h1").inner_text()

    page.click("nav >> text=审计日志")
    page.select_option("select[name=action]", "staff.create")
    page.click("#audit-filters button[type=submit]")
    page.wait_for_url(re.compile(r".*action=staff\.create.*"), timeout=WAIT)
    rows = page.locator("#audit-entries tbody tr").all_inner_texts()
    assert len(rows) == 1 and "staff:b.clerk" in rows[0] and "新建账号" in rows[0]
    assert fits_the_width(page)
    page.screenshot(path=str(SHOTS / "admin-audit.png"), full_page=True)
    with page.expect_download(timeout=WAIT) as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["时间", "操作人", "操作", "对象", "详情"]
    assert [row[1:4] for row in table[1:]] == [["staff:b.admin", "新建账号", "staff:b.clerk"]]


def test_the_banner_shows_until_next_years_calendar_is_uploaded(office: LiveServer, desk: Any,
                                                                tmp_path: Path) -> None:
    app, base, page = office.app, office.url, desk
    make_staff(app, "b.operator", role="operator")
    sign_in(page, base, app, "b.operator")
    banner = page.locator("#calendar-banner")
    assert banner.is_visible() and "还剩 28 天" in banner.inner_text()
    page.screenshot(path=str(SHOTS / "admin-dashboard-cards.png"), full_page=True)
    assert fits_the_width(page)
    page.click("#calendar-banner >> text=去载入")
    page.wait_for_url(f"{base}/admin/calendar", timeout=WAIT)
    bad = tmp_path / "2027.json"
    bad.write_text('{"year": 2027, "holidays": ["2027-13-01"], "makeup_workdays": []}', encoding="utf-8")
    page.set_input_files("input[name=year_file]", str(bad))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("#upload-error", timeout=WAIT)
    assert "日期无效" in page.locator("#upload-error").inner_text()
    good = tmp_path / "2027-good.json"
    good.write_text(json.dumps({"year": 2027, "holidays": ["2027-01-01", "2027-02-08"],
                                "makeup_workdays": ["2027-02-20"]}), encoding="utf-8")
    page.set_input_files("input[name=year_file]", str(good))
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector(".flash", timeout=WAIT)
    assert "2027年节假日安排已载入" in page.locator(".flash").inner_text()
    assert page.locator("#calendar-banner").count() == 0
    assert "2027年12月31日" in page.locator("#covered-until").inner_text()
    page.screenshot(path=str(SHOTS / "admin-calendar.png"), full_page=True)
    page.goto(f"{base}/admin/")
    assert page.locator("#calendar-banner").count() == 0
