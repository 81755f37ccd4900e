"""The development simulator in headless Chromium: 输入查询 with a demo holder and a pasted scan."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.services import notify
from app.services.seed import showcase_holders
from app.storage.models import Certificate, WechatUser
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
HOLDER = ("500112196312092319", "陈燕建")  # the seeded showcase holder with a valid certificate
SCREENSHOTS = Path("var/screenshots")


def test_a_developer_queries_a_demo_holder_and_scans_a_pasted_code(live_server: LiveServer, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/dev/simulator")
    assert page.locator(".menu-btn").all_inner_texts() == ["输入查询", "扫码查询", "我的证书"]

    page.get_by_role("button", name="输入查询").click()
    page.locator(".msg.them .bubble").filter(has_text="例如").wait_for()
    page.fill("#text", f"{HOLDER[0]} {HOLDER[1]}")
    page.get_by_role("button", name="发送").click()
    answer = page.locator(".msg.them .bubble").filter(has_text="查询到2张证书")  # electrician and welder
    answer.wait_for()
    assert answer.inner_text().count("状态：有效") == 2 and HOLDER[0] not in answer.inner_text()
    assert "熔化焊接与热切割作业" in answer.inner_text()
    assert answer.get_by_role("link", name="查看证书详情").count() == 2

    page.get_by_role("button", name="扫码查询").click()
    page.fill("#scan-text", "https://cx.example.gov.cn.fake-check.example/v/123")
    page.get_by_role("button", name="扫描").click()
    warning = page.locator(".msg.them .bubble").filter(has_text="谨防假冒")
    warning.wait_for()
    assert "正确的核验方法" in warning.inner_text()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "simulator.png"), full_page=True)


def test_the_detail_link_from_the_simulator_opens_the_masked_certificate(live_server: LiveServer, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/dev/simulator")
    page.fill("#openid", "o-browser-detail")
    page.fill("#text", f"{HOLDER[1]}，{HOLDER[0]}")
    page.get_by_role("button", name="发送").click()
    link = page.get_by_role("link", name="查看证书详情").first
    link.wait_for()
    page.goto(link.get_attribute("href"))
    assert "有效" in page.locator(".status").inner_text()
    assert HOLDER[0] not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "query-detail.png"), full_page=True)


def test_the_simulators_openid_is_who_signs_in_and_who_its_messages_reach(live_server: LiveServer, page) -> None:  # type: ignore[no-untyped-def]
    """我的证书 opened from the simulator signs in the typed openid; a reminder sent to it shows with the
    template's field names, and its 详情 link opens the certificate as that user."""
    app = live_server.app
    assert app.test_cli_runner().invoke(args=["keys", "generate", "--if-missing"]).exit_code == 0
    [(person, _labels)] = [showcase_holders(app.extensions["db"], app.extensions["pii"],
                                            app.extensions["clock"].today())[8]]  # a management certificate
    page.goto(f"{live_server.url}/dev/simulator")
    page.fill("#openid", "o-sim-browser-1")
    page.press("#openid", "Tab")
    with page.expect_popup() as opened:
        page.get_by_role("button", name="我的证书").click()
    h5 = opened.value
    h5.get_by_role("heading", name="登记持证人信息").wait_for(timeout=30_000)
    h5.fill("input[name=name]", person.name)
    h5.fill("input[name=id_number]", person.id_number)
    h5.fill("input[name=mobile]", "13800138000")
    h5.check("input[name=consent]")
    h5.get_by_role("button", name="提交并进行人脸核身").click()
    h5.get_by_role("button", name="开始人脸核身").click()
    h5.get_by_role("button", name="通过", exact=True).click()
    h5.get_by_role("heading", name="人脸核身通过").wait_for()
    with app.extensions["db"].session() as session:
        user = session.get(WechatUser, "o-sim-browser-1")
        assert user is not None and user.verified_at is not None  # the simulator's openid, nobody else's
        public_id = session.scalars(select(Certificate.public_id).where(Certificate.person_id == user.person_id,
                                                                         Certificate.is_current.is_(True))).first()
        notify.enqueue(session, "o-sim-browser-1", notify.REMINDER, {
            "notice": "expiry_90", "public_id": public_id, "title": "安全生产管理人员合格证",
            "about": "2027-03-01", "authority": "重庆市应急管理局"}, datetime.now(UTC))
    assert "sent 1" in app.test_cli_runner().invoke(args=["notify", "send-pending"]).output

    reminder = page.locator(".msg.them .bubble").filter(has_text="证书名称：安全生产管理人员合格证")
    reminder.wait_for(timeout=30_000)
    for line in ("提醒事项：即将到期", "日期：2027年3月1日", "温馨提示：请及时申请换证"):
        assert line in reminder.inner_text()
    with page.expect_popup() as detail:
        reminder.get_by_role("link", name="详情").click()
    detail.value.get_by_role("heading", name="安全生产知识和管理能力考核合格证").wait_for(timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "simulator-reminder.png"), full_page=True)
