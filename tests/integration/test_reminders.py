"""The reminder job (`flask jobs run`): what is due reaches the bound holder once, however often it runs."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from app.clock import FixedClock
from app.config import Settings, WechatSettings
from app.services import reminders
from app.storage.models import CertificateNotice, Notification, WechatUser
from tests.integration.fakes_fixtures import FakeWeChat, fake_wechat, talking_to, wechat_settings  # noqa: F401
from tests.integration.notice_fixtures import BoundHolder, bound_holder
from tests.integration.review_fixtures import csrf_from, sign_in_worker

RANGE = ["--from", "2026-11-01", "--to", "2026-11-28"]  # the test clock's today is 2026-11-28


@pytest.fixture
def settings(settings: Settings, wechat_settings: WechatSettings) -> Settings:  # noqa: F811
    """The app talks to the loopback fake WeChat."""
    return talking_to(settings, wechat_settings, reminder_template_id="tpl-reminder")


@pytest.fixture
def holders(app: Flask) -> dict[str, BoundHolder]:
    """One holder per case; only the first three have a reminder due in November 2026."""
    return {
        "expiry_90": bound_holder(app, 1, valid_until=date(2027, 2, 20)),  # due 2026-11-22
        "expiry_30": bound_holder(app, 2, valid_until=date(2026, 12, 20)),  # due 2026-11-20
        # Exam Mon 2026-11-02: the 10th working day is Mon 2026-11-16.
        "published": bound_holder(app, 3, exam_passed_date=date(2026, 11, 2), valid_from=date(2026, 11, 16),
                                  first_issue_date=date(2026, 11, 16), valid_until=date(2032, 11, 15)),
        "not bound": bound_holder(app, 4, bound=False, valid_until=date(2027, 2, 20)),
        "reminders off": bound_holder(app, 5, reminders=False, valid_until=date(2027, 2, 20)),
        "revoked": bound_holder(app, 6, admin_state="revoked", valid_until=date(2027, 2, 20)),
        "expiry_90 in December": bound_holder(app, 7, valid_until=date(2027, 3, 10)),
    }


def _fields(message: object) -> dict[str, str]:
    return {key: item["value"] for key, item in message.payload["data"].items()}  # type: ignore[attr-defined]


def test_the_job_run_twice_over_a_month_tells_each_holder_once(
        runner: FlaskCliRunner, holders: dict[str, BoundHolder], fake_wechat: FakeWeChat) -> None:  # noqa: F811
    first = runner.invoke(args=["jobs", "run", *RANGE])
    assert first.exit_code == 0, first.output
    assert "3 queued, 0 queued before" in first.output and "sent 3" in first.output
    again = runner.invoke(args=["jobs", "run", *RANGE])
    assert "0 queued, 3 queued before" in again.output and "sent 0" in again.output
    told = {case: fake_wechat.state.messages_for(holder.openid) for case, holder in holders.items()}
    assert {case: len(messages) for case, messages in told.items()} == {
        "expiry_90": 1, "expiry_30": 1, "published": 1, "not bound": 0, "reminders off": 0, "revoked": 0,
        "expiry_90 in December": 0}
    [ninety], [thirty], [published] = told["expiry_90"], told["expiry_30"], told["published"]
    assert _fields(ninety) == {"thing1": "高压电工作业", "phrase2": "即将到期", "time3": "2027年2月20日",
                               "thing4": "请及时申请换证"}
    assert _fields(thirty)["time3"] == "2026年12月20日" and _fields(thirty)["thing4"] == "请尽快申请换证"
    assert _fields(published)["phrase2"] == "证书已发布" and _fields(published)["time3"] == "2026年11月16日"
    assert ninety.payload["template_id"] == "tpl-reminder"
    assert ninety.payload["url"] == f"http://localhost/h5/my/cert/{holders['expiry_90'].public_id}"


def test_each_reminder_is_recorded_with_its_key_and_outbox_row(
        app: Flask, runner: FlaskCliRunner, holders: dict[str, BoundHolder],
        fake_wechat: FakeWeChat) -> None:  # noqa: F811
    runner.invoke(args=["jobs", "run", *RANGE, "--send-limit", "0"])
    with app.extensions["db"].session() as session:
        keys = {(n.kind, n.due_on, n.openid) for n in session.scalars(select(CertificateNotice))}
        outbox = list(session.scalars(select(Notification)))
    assert keys == {("expiry_90", date(2026, 11, 22), holders["expiry_90"].openid),
                    ("expiry_30", date(2026, 11, 20), holders["expiry_30"].openid),
                    ("published", date(2026, 11, 16), holders["published"].openid)}
    assert [(row.kind, row.state) for row in outbox] == [("reminder", "pending")] * 3
    assert fake_wechat.state.messages_for() == []  # --send-limit 0: the outbox delivers them later
    assert "sent 3" in runner.invoke(args=["notify", "send-pending"]).output


def test_a_scheduled_run_makes_up_the_days_it_missed(
        app: Flask, runner: FlaskCliRunner, holders: dict[str, BoundHolder], clock: FixedClock,
        fake_wechat: FakeWeChat) -> None:  # noqa: F811
    clock.moment = datetime(2026, 11, 25, 7, 0, tzinfo=clock.moment.tzinfo)  # cron was down 11-20..11-24
    result = runner.invoke(args=["jobs", "run"])
    assert "reminders 2026-11-19..2026-11-25" in result.output and "2 queued" in result.output
    assert len(fake_wechat.state.messages_for(holders["expiry_30"].openid)) == 1


def test_a_reminder_of_the_old_review_rule(app: Flask, runner: FlaskCliRunner, clock: FixedClock,
                                           fake_wechat: FakeWeChat) -> None:  # noqa: F811
    clock.moment = datetime(2026, 3, 31, 7, 0, tzinfo=clock.moment.tzinfo)
    holder = bound_holder(app, 8, reviews=((date(2026, 5, 20), None),))  # window opens 2026-03-21
    done = bound_holder(app, 9, reviews=((date(2026, 5, 20), date(2026, 3, 1)),))
    assert "1 queued" in runner.invoke(args=["jobs", "run", "--from", "2026-03-01"]).output
    [message] = fake_wechat.state.messages_for(holder.openid)
    assert _fields(message)["phrase2"] == "需要复审" and _fields(message)["time3"] == "2026年5月20日"
    assert fake_wechat.state.messages_for(done.openid) == []


def test_two_runs_at_once_still_queue_each_reminder_once(app: Flask, holders: dict[str, BoundHolder],
                                                         clock: FixedClock) -> None:
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        reminders.queue_due(app.extensions["db"], date(2026, 11, 1), date(2026, 11, 28), clock.now(), batch_size=1)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(CertificateNotice)) == 3
        assert session.scalar(select(func.count()).select_from(Notification)) == 3


@pytest.mark.parametrize(("args", "error"), [
    (["--to", "2026-11-29"], "not before"),
    (["--from", "2026-11-20", "--to", "2026-11-10"], "must not be after --to"),
    (["--from", "2025-01-01"], "at most 366 days"),
    (["--from", "2026-13-01"], "does not match the format"),
])
def test_a_bad_range_is_refused_with_a_reason(runner: FlaskCliRunner, args: list[str], error: str) -> None:
    result = runner.invoke(args=["jobs", "run", *args])
    assert result.exit_code == 2 and error in result.output


def test_a_holder_turns_reminders_off_and_on_in_my_certificates(
        app: Flask, runner: FlaskCliRunner, holders: dict[str, BoundHolder],
        fake_wechat: FakeWeChat) -> None:  # noqa: F811
    worker = app.test_client()
    sign_in_worker(worker, holders["expiry_90"].openid)
    page = worker.get("/h5/my").text
    assert "证书提醒" in page and "已开启" in page
    turned_off = worker.post("/h5/my/reminders", data={"csrf_token": csrf_from(page), "reminders": "off"})
    assert turned_off.status_code == 302
    page = worker.get("/h5/my").text
    assert "已关闭" in page and "开启提醒" in page
    runner.invoke(args=["jobs", "run", *RANGE])
    assert fake_wechat.state.messages_for(holders["expiry_90"].openid) == []
    worker.post("/h5/my/reminders", data={"csrf_token": csrf_from(page), "reminders": "on"})
    assert "已开启" in worker.get("/h5/my").text
    runner.invoke(args=["jobs", "run", *RANGE])  # within the range again: the missed reminder now goes
    assert len(fake_wechat.state.messages_for(holders["expiry_90"].openid)) == 1


def test_only_a_bound_holder_has_a_reminder_switch(app: Flask, holders: dict[str, BoundHolder]) -> None:
    stranger = app.test_client()
    sign_in_worker(stranger, holders["not bound"].openid)  # registered, never verified
    token = csrf_from(stranger.get("/h5/register").text)
    assert stranger.post("/h5/my/reminders", data={"csrf_token": token, "reminders": "off"}).status_code == 404
    with app.extensions["db"].session() as session:
        assert session.get(WechatUser, holders["not bound"].openid).reminders is True  # type: ignore[union-attr]


def test_a_notification_of_an_unknown_kind_waits_instead_of_stopping_the_outbox(
        app: Flask, runner: FlaskCliRunner, holders: dict[str, BoundHolder], clock: FixedClock,
        fake_wechat: FakeWeChat) -> None:  # noqa: F811
    from app.services import notify

    with app.extensions["db"].session() as session:
        notify.enqueue(session, "o-someone", "not_yet_known", {}, clock.now())
    result = runner.invoke(args=["jobs", "run", *RANGE])
    assert "sent 3, retrying later 1" in result.output  # the reminders still go
    with app.extensions["db"].session() as session:
        row = session.scalars(select(Notification).where(Notification.kind == "not_yet_known")).one()
        assert row.state == "pending" and "no wording" in (row.last_error or "")
