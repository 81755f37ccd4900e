"""The development simulator in headless Chromium: 输入查询 with a demo holder and a pasted scan."""

from __future__ import annotations

from pathlib import Path

import pytest

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
