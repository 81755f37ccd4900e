"""Headless Chromium: a reviewer signs in to the back office and approves a worker's request."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import select

from app.services import manual_review
from app.storage.models import ManualReviewRequest, WechatUser
from tests.browser.conftest import LiveServer
from tests.browser.staff_signin import sign_in
from tests.integration.review_fixtures import Holder, import_holder, make_staff

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _holding_id_photo() -> bytes:
    """A stand-in for 人证合一照片: a face-like oval beside a card-like rectangle."""
    image = Image.new("RGB", (480, 360), "#d9e2ec")
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 60, 200, 240), fill="#f0c8a0")
    draw.rectangle((240, 150, 440, 280), fill="#ffffff", outline="#3a6ea5", width=4)
    draw.rectangle((255, 170, 300, 225), fill="#b0c4de")
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def request_to_review(live_server: LiveServer) -> Iterator[tuple[Holder, int]]:
    """A reviewer account and one pending request, made through the services on the served app."""
    app = live_server.app
    holder = import_holder(app, seed=4242, openid="o-browser-worker")
    make_staff(app, "browser.reviewer")
    with app.extensions["db"].session() as session:
        sub = manual_review.Submission("重庆市应急管理局", "人脸核身提示公安库中没有我的照片，申请人工审核。",
                                       {"holding_id": _holding_id_photo(), "id_front": _holding_id_photo()})
        item = manual_review.submit(session, app.extensions["pii"], person_id=holder.person_id,
                                    openid=holder.openid, sub=sub, now=app.extensions["clock"].now(),
                                    max_photo_bytes=5 * 1024 * 1024)
        yield holder, item.id


def test_a_reviewer_logs_in_and_approves_a_request(live_server: LiveServer, browser: object,
                                                   request_to_review: tuple[Holder, int]) -> None:
    holder, request_id = request_to_review
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})  # type: ignore[attr-defined]
    page = context.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/admin/")
    assert page.url.endswith("/admin/login")
    sign_in(page, live_server.url, live_server.app, "browser.reviewer")
    assert page.locator("#daily-chart").is_visible()
    page.screenshot(path=str(SHOTS / "admin-dashboard.png"), full_page=True)

    page.click("text=待审核 >> nth=0")
    page.click(f"#queue tr:has-text('#{request_id}') a.btn-small")
    assert page.locator("#person-name").inner_text() == holder.name
    page.wait_for_function("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=str(SHOTS / "admin-request.png"), full_page=True)

    page.click("button[value=approve]")
    page.wait_for_url(f"{live_server.url}/admin/queue")
    assert f"申请 #{request_id} 已通过" in page.locator(".flash").inner_text()
    page.screenshot(path=str(SHOTS / "admin-after-approve.png"), full_page=True)
    context.close()

    with live_server.app.extensions["db"].session() as session:
        assert session.scalar(select(ManualReviewRequest.state).where(ManualReviewRequest.id == request_id)) \
            == "approved"
        user = session.get(WechatUser, holder.openid)
        assert user is not None and user.verified_method == "manual" and user.person_id == holder.person_id
    [message] = live_server.app.extensions["fake_wechat"].messages_for(holder.openid)
    assert message.kind == "template"


def test_a_worker_asks_for_review_from_a_phone_and_sees_it_pending(live_server: LiveServer,
                                                                  wechat_page: object, tmp_path: Path) -> None:
    holder = import_holder(live_server.app, seed=5151, openid="o-browser-worker-2")
    live_server.app.extensions["fake_wechat"].set_current_openid(holder.openid)
    photo = tmp_path / "holding.jpg"
    photo.write_bytes(_holding_id_photo())
    page = wechat_page
    page.goto(f"{live_server.url}/h5/review/new")  # type: ignore[attr-defined]
    assert page.url.startswith(f"{live_server.url}/h5/review/new")  # type: ignore[attr-defined]
    page.fill("textarea[name=description]", "人脸核身一直提示相似度不足")  # type: ignore[attr-defined]
    page.set_input_files("input[name=holding_id]", str(photo))  # type: ignore[attr-defined]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "h5-review-form.png"), full_page=True)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]
    page.wait_for_url(f"{live_server.url}/h5/review?submitted=1")  # type: ignore[attr-defined]
    assert page.locator("#review-state").inner_text() == "待审核"  # type: ignore[attr-defined]
    page.screenshot(path=str(SHOTS / "h5-review-status.png"), full_page=True)  # type: ignore[attr-defined]
