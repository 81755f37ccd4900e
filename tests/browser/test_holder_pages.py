"""The holder's pages in Chromium (phone viewport, WeChat's user agent): each fixed dead end walked, and
an axe-core audit of every H5 page, in both the usual look and 长辈模式, with no serious violation."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from app.services import certificate_files
from app.services.registry import status_of
from app.storage.models import Certificate, Person
from app.web.query_pages import make_link
from tests.browser.axe import assert_accessible, violations
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WAIT = 30_000  # ms: the machine is shared and loaded


@dataclass(frozen=True)
class DemoHolder:
    id_number: str
    name: str
    public_id: str


def _holder(live: LiveServer, code: str, skip: int = 0) -> DemoHolder:
    """A demo holder whose current certificate has this status (the `skip`-th such holder)."""
    app = live.app
    pii, today = app.extensions["pii"], app.extensions["clock"].today()
    with app.app_context(), app.extensions["db"].session() as session:
        for cert in session.scalars(select(Certificate).where(Certificate.is_current).order_by(Certificate.id)):
            if status_of(session, cert, today).code.value != code:
                continue
            if skip:
                skip -= 1
                continue
            person = session.get(Person, cert.person_id)
            assert person is not None
            return DemoHolder(pii.decrypt_text(person.id_number_enc, b"people.id_number"), person.name, cert.public_id)
    raise AssertionError(f"the demo data has no {code} certificate")


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def _audit(page: Any, name: str) -> None:
    """No serious or critical axe-core violation on this page; a screenshot for people to look at."""
    _shot(page, f"a11y-{name}.png")
    assert_accessible(page, name)


def _sign_in(live: LiveServer, page: Any, openid: str) -> None:
    live.app.extensions["fake_wechat"].set_current_openid(openid)
    page.goto(f"{live.url}/h5/my")


def _fill_registration(page: Any, holder: DemoHolder) -> None:
    page.get_by_role("heading", name="登记持证人信息").wait_for(timeout=WAIT)
    page.get_by_role("textbox", name="姓名", exact=True).fill(holder.name)
    page.get_by_role("textbox", name="身份证号", exact=True).fill(holder.id_number)
    page.get_by_role("textbox", name="手机号", exact=True).fill("13800138000")


def _phone_photo() -> bytes:
    """A 4000x3000 photo of about 5.6 MB, as a phone takes it: over the server's 5 MB limit."""
    noise = Image.effect_noise((4000, 3000), 30)
    gradient = Image.linear_gradient("L").resize((4000, 3000))
    out = io.BytesIO()
    Image.merge("RGB", (noise, gradient, Image.blend(noise, gradient, 0.5))).save(out, "JPEG", quality=92)
    return out.getvalue()


def _switch_large_text(page: Any) -> None:
    """Press the 长辈模式 switch and wait for the page to come back in the other look."""
    was_on = page.locator("body.large-text").count() == 1
    page.get_by_role("button", name="长辈模式").click()
    page.wait_for_load_state()
    assert (page.locator("body.large-text").count() == 1) != was_on


def test_the_audit_finds_a_control_without_a_label(live_server: LiveServer, page: Any) -> None:
    """The audit itself can fail: an unlabelled input added to a page is reported."""
    page.goto(f"{live_server.url}/v/not-a-token")
    page.evaluate("document.querySelector('main').append(document.createElement('input'))")
    assert "label" in [v["id"] for v in violations(page)]


def test_a_worker_who_will_not_use_the_face_check_asks_for_manual_review_with_a_phone_photo(
        live_server: LiveServer, wechat_page: Any) -> None:
    page, holder = wechat_page, _holder(live_server, "expired")
    _sign_in(live_server, page, "o-a11y-manual")
    _fill_registration(page, holder)
    _audit(page, "register")
    page.get_by_role("button", name="提交并进行人脸核身").click()  # without ticking the consent
    page.get_by_role("alert").wait_for(timeout=WAIT)
    assert "不同意人脸核身，改为人工审核" in page.get_by_role("alert").inner_text()
    _audit(page, "register-error")
    page.get_by_role("button", name="不同意人脸核身，改为人工审核").click()

    page.get_by_role("heading", name="申请人工审核").wait_for(timeout=WAIT)
    _audit(page, "review-form")
    page.get_by_label("问题说明").fill("我不想刷脸，申请人工审核。")
    original = _phone_photo()
    page.get_by_label("手持身份证照片").set_input_files(
        {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": original})
    status = page.locator(".photo-status")
    status.filter(has_text="已压缩").wait_for(timeout=WAIT)
    sent = page.locator("#photo-holding_id").evaluate("i => ({size: i.files[0].size, type: i.files[0].type})")
    assert sent["type"] == "image/jpeg" and sent["size"] < min(len(original), 1_500_000)
    preview = page.locator(".photo-preview")
    preview.wait_for(timeout=WAIT)
    assert preview.evaluate("img => img.complete && img.naturalWidth > 0")
    _audit(page, "review-form-preview")
    page.get_by_role("button", name="提交申请").click()

    page.locator("#review-number").wait_for(timeout=WAIT)
    number = page.locator("#review-number").inner_text()
    typical = page.locator("#review-typical").inner_text()
    assert "暂无数据" not in typical and typical.endswith("请勿重复提交。")
    _audit(page, "review-status")
    page.goto(f"{live_server.url}/h5/my")  # 我的证书 shows the request instead of the face check
    page.get_by_role("heading", name="我的证书").wait_for(timeout=WAIT)
    assert page.locator("#review-number").inner_text() == number
    assert page.locator("#review-state").inner_text() == "待审核"
    _audit(page, "my-pending")


def test_a_refused_upload_keeps_what_the_worker_typed(live_server: LiveServer, wechat_page: Any) -> None:
    page, holder = wechat_page, _holder(live_server, "expired", skip=1)
    _sign_in(live_server, page, "o-a11y-refused")
    _fill_registration(page, holder)
    page.get_by_role("button", name="不同意人脸核身，改为人工审核").click()
    page.get_by_role("heading", name="申请人工审核").wait_for(timeout=WAIT)
    typed = "公安库里没有我的照片，请人工审核。"
    page.get_by_label("问题说明").fill(typed)
    page.get_by_label("手持身份证照片").set_input_files(
        {"name": "photo.jpg", "mimeType": "text/plain", "buffer": b"not a photo"})
    page.get_by_role("button", name="提交申请").click()
    page.get_by_role("alert").wait_for(timeout=WAIT)
    assert "不是有效的 JPEG 或 PNG" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("问题说明").input_value() == typed
    _audit(page, "review-form-error")

    page.get_by_label("手持身份证照片").set_input_files(  # too large even to read: the server answers 413
        {"name": "huge.jpg", "mimeType": "application/octet-stream", "buffer": b"\0" * (17 * 1024 * 1024)})
    page.get_by_role("button", name="提交申请").click()
    page.get_by_role("heading", name="照片太大，未能提交").wait_for(timeout=WAIT)
    _audit(page, "review-too-large")
    page.get_by_role("link", name="重新填写").click()
    page.get_by_role("heading", name="申请人工审核").wait_for(timeout=WAIT)
    assert page.get_by_label("问题说明").input_value() == typed  # kept in the tab (form-keep.js)


def test_the_face_check_says_what_is_left_and_a_mismatch_leads_back_to_registration(
        live_server: LiveServer, wechat_page: Any) -> None:
    page, holder = wechat_page, _holder(live_server, "valid", skip=3)
    _sign_in(live_server, page, "o-a11y-face")
    _fill_registration(page, holder)
    page.get_by_label("人脸核身授权").check()
    page.get_by_role("button", name="提交并进行人脸核身").click()
    page.get_by_role("button", name="开始人脸核身").wait_for(timeout=WAIT)
    assert page.locator("#face-left").inner_text() == "今天还可以进行 5 次人脸核身。"
    _audit(page, "face-start")
    page.get_by_role("button", name="开始人脸核身").click()
    page.get_by_role("button", name="姓名与身份证号不一致").click()  # the fake Tencent page
    page.get_by_role("heading", name="人脸核身未完成").wait_for(timeout=WAIT)
    assert page.locator("#face-left").inner_text() == "今天还可以再试 4 次。"
    _audit(page, "face-result-failed")
    page.get_by_role("link", name="核对并修改登记信息").click()
    page.get_by_role("heading", name="登记持证人信息").wait_for(timeout=WAIT)


def test_a_suspended_holder_is_told_what_to_do_on_every_page_in_both_looks(
        live_server: LiveServer, wechat_page: Any) -> None:
    page, holder = wechat_page, _holder(live_server, "suspended")
    _sign_in(live_server, page, "o-a11y-suspended")
    _fill_registration(page, holder)
    page.get_by_label("人脸核身授权").check()
    page.get_by_role("button", name="提交并进行人脸核身").click()
    page.get_by_role("button", name="开始人脸核身").click()
    page.get_by_role("button", name="通过", exact=True).click()
    page.get_by_role("heading", name="人脸核身通过").wait_for(timeout=WAIT)
    _audit(page, "face-result-passed")
    page.get_by_role("link", name="查看我的证书").click()
    page.get_by_role("heading", name="我的证书").wait_for(timeout=WAIT)
    assert "暂扣中" in page.locator(".cert-next").first.inner_text()
    _audit(page, "my")
    page.locator(".cert-card").first.click()
    step = page.locator(".next-step")
    step.wait_for(timeout=WAIT)
    assert "暂扣原因：" in step.inner_text() and "起自动恢复" in step.inner_text()
    assert page.get_by_role("link", name="023-67611082").get_attribute("href") == "tel:023-67611082"
    _audit(page, "cert-detail")
    page.get_by_role("link", name="亮证").click()
    page.locator("#live-qr").wait_for(timeout=WAIT)
    page.locator("#live-status").filter(has_text="动态码已刷新").wait_for(timeout=WAIT)
    _audit(page, "live")

    _switch_large_text(page)  # 长辈模式, remembered for the holder
    _audit(page, "live-large")
    page.goto(f"{live_server.url}/h5/my")
    assert page.locator("body.large-text").count() == 1
    _audit(page, "my-large")
    page.locator(".cert-card").first.click()
    page.locator(".next-step").wait_for(timeout=WAIT)
    _audit(page, "cert-detail-large")
    _switch_large_text(page)


def test_notice_pages_are_accessible(live_server: LiveServer, page: Any, wechat_page: Any) -> None:
    page.goto(f"{live_server.url}/h5/my")  # outside WeChat
    page.get_by_role("heading", name="请在微信中打开").wait_for(timeout=WAIT)
    _audit(page, "notice-open-in-wechat")
    _sign_in(live_server, wechat_page, "o-a11y-notices")
    wechat_page.get_by_role("heading", name="登记持证人信息").wait_for(timeout=WAIT)
    wechat_page.goto(f"{live_server.url}/h5/review/new")
    wechat_page.get_by_role("heading", name="请先登记持证人信息").wait_for(timeout=WAIT)
    _audit(wechat_page, "review-not-registered")
    wechat_page.goto(f"{live_server.url}/h5/my/cert/no-such-certificate")
    wechat_page.get_by_role("heading", name="页面不存在").wait_for(timeout=WAIT)
    _audit(wechat_page, "notice-not-found")


def test_the_query_result_page_says_what_to_do_next_in_both_looks(live_server: LiveServer, wechat_page: Any) -> None:
    holder = _holder(live_server, "review_overdue")
    link = make_link(live_server.app.config["SETTINGS"], [holder.public_id])
    wechat_page.goto(link)
    step = wechat_page.locator(".next-step")
    step.wait_for(timeout=WAIT)
    assert "办理复审" in step.inner_text() and "023-67611082" in step.inner_text()
    _audit(wechat_page, "query-detail")
    _switch_large_text(wechat_page)
    assert wechat_page.url == link
    _audit(wechat_page, "query-detail-large")
    wechat_page.goto(f"{live_server.url}/h5/certs?t=forged")
    _audit(wechat_page, "query-detail-expired")


def _printed(live: LiveServer, public_id: str) -> str:
    app = live.app
    with app.app_context(), app.extensions["db"].session() as session:
        cert = session.scalar(select(Certificate).where(Certificate.public_id == public_id))
        assert cert is not None
        return certificate_files.printed_qr_text(certificate_files.signing_context(app), session,
                                                 app.extensions["pii"], cert)


@pytest.mark.parametrize("large", [False, True])
def test_the_verification_page_is_accessible_for_every_kind_of_verdict(
        live_server: LiveServer, browser: Any, large: bool) -> None:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    if large:  # a browser where 长辈模式 was switched on (the page itself sets no cookie)
        context.add_cookies([{"name": "large_text", "value": "1", "url": live_server.url}])
    page = context.new_page()
    suffix = "-large" if large else ""
    for code in ("valid", "suspended", "revoked"):
        printed = _printed(live_server, _holder(live_server, code).public_id)
        page.goto(f"{live_server.url}/V/{printed.rsplit('/', 1)[1]}")
        page.locator("#verdict").wait_for(timeout=WAIT)
        assert page.locator("body.large-text").count() == int(large)
        _audit(page, f"verify-{code}{suffix}")
    page.goto(f"{live_server.url}/v/forged-token")
    _audit(page, f"verify-forged{suffix}")
    context.close()
