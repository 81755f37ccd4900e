"""我的证书 in headless Chromium with WeChat's user agent: sign-in, registration, face check, certificates."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
HOLDER = ("500112196312092319", "陈燕建")  # the seeded showcase holder with a valid certificate
SCREENSHOTS = Path("var/screenshots")


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def _wait_loaded(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until an image has decoded (polled: the page's CSP forbids wait_for_function's eval)."""
    image = page.locator(selector)
    for _ in range(100):
        if image.evaluate("img => img.complete && img.naturalWidth > 0"):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector} did not load")


def test_a_worker_signs_in_registers_passes_the_face_check_and_opens_a_certificate(
        live_server: LiveServer, wechat_page) -> None:  # type: ignore[no-untyped-def]
    runner = live_server.app.test_cli_runner()
    assert runner.invoke(args=["keys", "generate", "--if-missing"]).exit_code == 0
    live_server.app.extensions["fake_wechat"].set_current_openid("o-browser-worker-0001")
    page = wechat_page

    page.goto(f"{live_server.url}/h5/my")  # WeChat authorisation (fake) happens silently
    page.get_by_role("heading", name="登记持证人信息").wait_for()
    page.fill("input[name=name]", HOLDER[1])
    page.fill("input[name=id_number]", HOLDER[0])
    page.fill("input[name=mobile]", "13800138000")
    page.get_by_role("button", name="提交并进行人脸核身").click()
    assert page.get_by_role("alert").inner_text().startswith("请阅读并勾选人脸核身授权")
    assert page.input_value("input[name=id_number]") == HOLDER[0]  # nothing typed is lost
    page.check("input[name=consent]")
    _shot(page, "h5-register.png")
    page.get_by_role("button", name="提交并进行人脸核身").click()

    page.get_by_role("button", name="开始人脸核身").wait_for()
    assert HOLDER[0] not in page.content()
    _shot(page, "h5-face-start.png")
    page.get_by_role("button", name="开始人脸核身").click()
    page.get_by_role("button", name="通过", exact=True).click()  # the fake liveness page
    page.get_by_role("heading", name="人脸核身通过").wait_for()

    page.get_by_role("link", name="查看我的证书").click()
    page.get_by_role("heading", name="我的证书").wait_for()
    assert "有效" in page.locator(".cert-card").first.inner_text()
    _shot(page, "h5-my.png")
    page.locator(".cert-card").first.click()
    page.get_by_role("link", name="亮证").wait_for()
    _wait_loaded(page, ".cert-image img")
    assert HOLDER[0] not in page.content()
    _shot(page, "h5-cert.png")

    page.get_by_role("link", name="亮证").click()
    _wait_loaded(page, "#live-qr")
    assert "动态码已刷新" in page.locator("#live-status").inner_text()
    _shot(page, "h5-live.png")


def test_outside_wechat_the_page_offers_the_dev_sign_in(live_server: LiveServer, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server.url}/h5/my")
    page.get_by_role("heading", name="请在微信中打开").wait_for()
    assert page.get_by_role("link", name="开发环境：以模拟器测试用户登录").count() == 1
