"""Telling the worker the result: template message, customer-service fallback, retries that lose nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.clock import FixedClock
from app.config import Settings, WechatSettings
from app.services.notify import backoff, template_data
from app.storage.models import ManualReviewRequest, Notification
from tests.integration.fakes_fixtures import FakeWeChat, fake_wechat, talking_to, wechat_settings  # noqa: F401
from tests.integration.review_fixtures import (
    Holder,
    csrf_from,
    import_holder,
    make_staff,
    sign_in_worker,
    staff_login,
    submit_form,
    wechat_user,
)

TEMPLATE = "/cgi-bin/message/template/send"
CUSTOM = "/cgi-bin/message/custom/send"


@pytest.fixture
def settings(settings: Settings, wechat_settings: WechatSettings) -> Settings:  # noqa: F811
    """The app talks to the loopback fake WeChat."""
    return talking_to(settings, wechat_settings, review_template_id="tpl-review-result")


@pytest.fixture
def holder(app: Flask) -> Holder:
    """A worker with a pending request."""
    holder = import_holder(app)
    worker = app.test_client()
    sign_in_worker(worker, holder.openid)
    assert submit_form(worker)[0] == 302
    return holder


@pytest.fixture
def reviewer(app: Flask, client: FlaskClient) -> FlaskClient:
    make_staff(app, "cq.reviewer")
    staff_login(client, "cq.reviewer")
    return client


def _decide(app: Flask, client: FlaskClient, action: str, reason: str = "") -> str:
    with app.extensions["db"].session() as session:
        request_id = session.scalar(select(ManualReviewRequest.id))
    token = csrf_from(client.get(f"/admin/requests/{request_id}").get_data(as_text=True))
    response = client.post(f"/admin/requests/{request_id}/decide",
                           data={"csrf_token": token, "action": action, "reason": reason, "confirmed": "yes"})
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _notifications(app: Flask) -> list[Notification]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(Notification)))


def test_an_approval_reaches_the_worker_as_a_template_message(app: Flask, reviewer: FlaskClient, holder: Holder,
                                                              fake_wechat: FakeWeChat) -> None:  # noqa: F811
    page = _decide(app, reviewer, "approve")
    assert "已通知申请人" in page
    [message] = fake_wechat.state.messages_for(holder.openid)
    assert message.kind == "template" and message.payload["template_id"] == "tpl-review-result"
    data = {key: item["value"] for key, item in message.payload["data"].items()}
    assert data["phrase2"] == "已通过" and data["time3"] == "2026-11-28 10:00"
    assert "first" not in data and "remark" not in data
    assert message.payload["url"].endswith("/h5/review")
    [row] = _notifications(app)
    assert row.state == "sent" and row.attempts == 1


def test_a_rejection_carries_the_reason_within_twenty_characters(app: Flask, reviewer: FlaskClient,
                                                                 holder: Holder,
                                                                 fake_wechat: FakeWeChat) -> None:  # noqa: F811
    reason = "手持身份证照片中证件号码被手指遮挡，无法核对，请重新拍摄后再提交"
    _decide(app, reviewer, "reject", reason)
    [message] = fake_wechat.state.messages_for(holder.openid)
    data = {key: item["value"] for key, item in message.payload["data"].items()}
    assert data["phrase2"] == "已驳回"
    assert all(len(value) <= 20 for value in data.values())
    assert data["thing4"].startswith("手持身份证照片中证件号码") and data["thing4"].endswith("…")


def test_when_the_template_fails_the_customer_service_message_is_used(app: Flask, reviewer: FlaskClient,
                                                                      holder: Holder,
                                                                      fake_wechat: FakeWeChat,  # noqa: F811
                                                                      ) -> None:
    fake_wechat.state.fail_next(TEMPLATE, 40037)  # e.g. the template id was deleted in the console
    reason = "照片模糊，请在光线充足处重新拍摄"
    _decide(app, reviewer, "reject", reason)
    [message] = fake_wechat.state.messages_for(holder.openid)
    assert message.kind == "text"
    assert reason in message.payload["text"]["content"]  # the full reason, not clipped
    assert _notifications(app)[0].state == "sent"


def test_with_both_channels_down_the_notification_waits_and_a_later_run_delivers_it(
        app: Flask, reviewer: FlaskClient, runner: FlaskCliRunner, holder: Holder, clock: FixedClock,
        fake_wechat: FakeWeChat) -> None:  # noqa: F811
    fake_wechat.state.fail_next(TEMPLATE, "500")
    fake_wechat.state.fail_next(CUSTOM, "500")
    page = _decide(app, reviewer, "approve")
    assert "通知将稍后自动重试发送" in page
    assert fake_wechat.state.messages_for(holder.openid) == []
    [row] = _notifications(app)
    assert (row.state, row.attempts) == ("pending", 1) and row.last_error == (
        "template: message/template/send: HTTP error; text: message/custom/send: HTTP error")
    user = wechat_user(app, holder.openid)
    assert user is not None and user.verified_method == "manual"  # the decision stands

    assert "sent 0" in runner.invoke(args=["notify", "send-pending"]).output  # not due yet: backoff
    clock.moment += timedelta(minutes=2)
    assert "sent 1" in runner.invoke(args=["notify", "send-pending"]).output
    [message] = fake_wechat.state.messages_for(holder.openid)
    assert message.kind == "template"
    [row] = _notifications(app)
    assert (row.state, row.attempts) == ("sent", 2)
    assert "sent 0" in runner.invoke(args=["notify", "send-pending"]).output  # never twice


def test_a_timeout_does_not_hold_the_decision_hostage(app: Flask, reviewer: FlaskClient, holder: Holder,
                                                      fake_wechat: FakeWeChat) -> None:  # noqa: F811
    fake_wechat.state.fail_next(TEMPLATE, "timeout")
    fake_wechat.state.fail_next(CUSTOM, "timeout")
    _decide(app, reviewer, "approve")
    with app.extensions["db"].session() as session:
        assert session.scalar(select(ManualReviewRequest.state)) == "approved"
    assert _notifications(app)[0].state == "pending"


def test_retries_back_off_and_finally_stop_without_losing_the_row(app: Flask, reviewer: FlaskClient,
                                                                  runner: FlaskCliRunner, holder: Holder,
                                                                  clock: FixedClock,
                                                                  fake_wechat: FakeWeChat) -> None:  # noqa: F811
    fake_wechat.state.fail_next(TEMPLATE, 40037, times=100)
    fake_wechat.state.closed_windows.add(holder.openid)  # customer-service window closed: 45015
    _decide(app, reviewer, "approve")
    for _ in range(11):
        clock.moment = clock.moment + timedelta(hours=7)
        runner.invoke(args=["notify", "send-pending"])
    [row] = _notifications(app)
    assert (row.state, row.attempts) == ("failed", 12) and "45015" in (row.last_error or "")
    assert json.loads(row.payload)["result"] == "approved"


def test_retries_wait_longer_each_time_up_to_six_hours() -> None:
    minutes = [backoff(n).total_seconds() / 60 for n in range(1, 13)]
    assert minutes[:5] == [1, 2, 4, 8, 16] and max(minutes) == 360
    assert minutes == sorted(minutes)


def test_template_fields_never_exceed_wechats_limit() -> None:
    payload = {"result": "rejected", "reason": "理" * 300, "decided_at": "2026-11-28 10:00"}
    assert all(len(v) <= 20 for v in template_data(payload).values())
