"""A shared copy (加注件) in headless Chromium: the holder makes it in WeChat, a recipient opens it in a
plain phone browser, the holder sees the opening and revokes the link, and the link stops."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.services.seed import showcase_holders
from app.storage.models import Person, WechatUser
from tests.browser.axe import assert_accessible
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
SCREENSHOTS = Path("var/screenshots")
OPENID = "o-browser-sharer"


def _bind_showcase_holder(live_server: LiveServer, index: int, openid: str) -> str:
    """Bind a demo holder to `openid` as a passed face check would; returns the holder's name."""
    app = live_server.app
    [(person, _labels)] = [showcase_holders(app.extensions["db"], app.extensions["pii"],
                                            app.extensions["clock"].today())[index]]
    with app.extensions["db"].session() as session:
        row = session.query(Person).filter(Person.name == person.name).one()
        now = datetime.now(UTC).replace(tzinfo=None)
        session.add(WechatUser(openid=openid, person_id=row.id, claimed_person_id=row.id, verified_at=now,
                               verified_method="face", bound_at=now))
    return person.name


def test_a_shared_copy_opens_is_revoked_and_stops(live_server: LiveServer, wechat_page, page) -> None:  # type: ignore[no-untyped-def]
    assert live_server.app.test_cli_runner().invoke(args=["keys", "generate", "--if-missing"]).exit_code == 0
    name = _bind_showcase_holder(live_server, 1, OPENID)  # the reissued certificate: version 2 is valid
    live_server.app.extensions["fake_wechat"].set_current_openid(OPENID)
    holder = wechat_page
    holder.goto(f"{live_server.url}/h5/my")
    holder.locator(".cert-card").first.click()
    holder.get_by_role("link", name="生成加注件").click()
    holder.get_by_label("用途").wait_for()
    assert_accessible(holder, "share-form")
    holder.get_by_label("用途").fill("入职审核")
    holder.get_by_label("提供给").fill("重庆长江化工有限公司")
    holder.get_by_label("有效期").select_option("30")
    holder.get_by_role("button", name="生成链接和PDF").click()
    link = holder.locator("#share-link").input_value(timeout=30_000)
    assert "/s/" in link and holder.locator("#share-state").inner_text() == "有效"
    assert_accessible(holder, "share-detail")

    recipient = page
    recipient.goto(link)
    recipient.get_by_role("heading", name="证书当前有效").wait_for()
    assert name in recipient.content() and "用于入职审核" in recipient.content()
    image = recipient.get_by_role("img", name="证书加注件图片：用于入职审核，提供给重庆长江化工有限公司")
    for _ in range(300):  # the copy is drawn on first request: allow the loaded machine time
        if image.evaluate("img => img.complete && img.naturalWidth > 0"):
            break
        recipient.wait_for_timeout(100)
    assert image.evaluate("img => img.naturalWidth") == 1080
    assert_accessible(recipient, "shared-page")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    recipient.screenshot(path=str(SCREENSHOTS / "shared-copy.png"), full_page=True)

    holder.reload()
    assert "打开记录（1次）" in holder.content() and "查看 · " in holder.content()
    holder.get_by_role("button", name="撤销此链接").click()
    holder.get_by_text("此链接已撤销").wait_for()
    assert holder.locator("#share-state").inner_text() == "已撤销"
    assert_accessible(holder, "share-detail-revoked")

    recipient.reload()
    recipient.get_by_role("heading", name="此链接已被撤销").wait_for()
    assert name not in recipient.content() and "重庆长江化工" not in recipient.content()
    assert_accessible(recipient, "shared-closed")
