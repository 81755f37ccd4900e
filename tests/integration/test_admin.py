"""The back office: staff accounts, sign-in with lockout, the queue per 签发机关, decisions, purge."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from app.clock import FixedClock
from app.config import Settings, replace
from app.storage.models import AuditEntry, ManualReviewRequest, ReviewPhoto, Staff
from tests.integration.review_fixtures import (
    PASSWORD,
    SICHUAN,
    Holder,
    csrf_from,
    import_holder,
    jpeg_bytes,
    make_staff,
    sign_in_worker,
    staff_login,
    submit_form,
    wechat_user,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """WeChat pointed at a closed port: notification delivery is test_notify's subject, not this one's."""
    return replace(settings, wechat={"api_base_url": "http://127.0.0.1:9/", "timeout": 0.5})


@pytest.fixture
def pending(app: Flask) -> tuple[Holder, int]:
    """A Chongqing worker's pending request, submitted through the form."""
    holder = import_holder(app)
    worker = app.test_client()
    sign_in_worker(worker, holder.openid)
    status, _, _ = submit_form(worker, photos={"holding_id": jpeg_bytes(), "id_front": jpeg_bytes()})
    assert status == 302
    with app.extensions["db"].session() as session:
        request_id = session.scalar(select(ManualReviewRequest.id))
    assert request_id is not None
    return holder, request_id


@pytest.fixture
def reviewer(app: Flask, client: FlaskClient) -> FlaskClient:
    """A Chongqing reviewer, signed in."""
    make_staff(app, "cq.reviewer")
    staff_login(client, "cq.reviewer")
    return client


def _decide(client: FlaskClient, request_id: int, action: str, reason: str = "") -> tuple[int, str]:
    page = client.get(f"/admin/requests/{request_id}")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post(f"/admin/requests/{request_id}/decide",
                           data={"csrf_token": token, "action": action, "reason": reason})
    return response.status_code, response.get_data(as_text=True)


def _request(app: Flask, request_id: int) -> ManualReviewRequest:
    with app.extensions["db"].session() as session:
        item = session.get(ManualReviewRequest, request_id)
        assert item is not None
        return item


def _audit(app: Flask, action: str) -> list[AuditEntry]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# ---- staff accounts ---------------------------------------------------------------------------

def test_staff_create_prompts_twice_and_stores_only_a_scrypt_hash(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["staff", "create", "li.reviewer", "--role", "reviewer",
                                 "--authority", "重庆市应急管理局"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # never echoed
    with app.extensions["db"].session() as session:
        staff = session.scalar(select(Staff).where(Staff.username == "li.reviewer"))
        assert staff is not None and staff.password_hash.startswith("scrypt:")
        assert PASSWORD not in staff.password_hash
    listed = runner.invoke(args=["staff", "list"])
    assert "li.reviewer\treviewer\t重庆市应急管理局" in listed.output


def test_staff_create_refuses_mismatched_passwords_and_unknown_authorities(runner: FlaskCliRunner) -> None:
    mismatch = runner.invoke(args=["staff", "create", "a.b.c", "--role", "reviewer", "--authority",
                                   "重庆市应急管理局"], input=f"{PASSWORD}\nsomething-else-1\n{PASSWORD}\n{PASSWORD}\n")
    assert "do not match" in mismatch.output.lower() or "match" in mismatch.output
    unknown = runner.invoke(args=["staff", "create", "x.y.z", "--role", "reviewer", "--authority",
                                  "火星应急管理局"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert unknown.exit_code != 0 and "unknown issuing authority" in unknown.output
    short = runner.invoke(args=["staff", "create", "x.y.w", "--role", "admin", "--authority",
                                "重庆市应急管理局"], input="short\nshort\n")
    assert short.exit_code != 0 and "at least" in short.output


# ---- sign-in ----------------------------------------------------------------------------------

def test_pages_need_a_signed_in_staff_member(client: FlaskClient, pending: tuple[Holder, int]) -> None:
    for path in ("/admin/", "/admin/queue", f"/admin/requests/{pending[1]}"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/admin/login")


def test_a_wrong_password_is_refused_with_one_neutral_message(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "cq.reviewer")
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    for username in ("cq.reviewer", "nobody"):
        response = client.post("/admin/login", data={"username": username, "password": "wrong-password",
                                                     "csrf_token": token})
        assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(app: Flask, client: FlaskClient,
                                                                  clock: FixedClock) -> None:
    make_staff(app, "cq.reviewer")
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))
    attempt = lambda pw: client.post("/admin/login", data={  # noqa: E731
        "username": "cq.reviewer", "password": pw, "csrf_token": token})
    for _ in range(4):
        assert "用户名或密码错误" in attempt("wrong-password").get_data(as_text=True)
    assert "已锁定" in attempt("wrong-password").get_data(as_text=True)
    locked = attempt(PASSWORD)  # even the right password, while locked
    assert locked.status_code == 401 and "已锁定" in locked.get_data(as_text=True)
    clock.moment += timedelta(minutes=16)
    assert attempt(PASSWORD).status_code == 302


def test_the_login_form_without_a_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    make_staff(app, "cq.reviewer")
    response = client.post("/admin/login", data={"username": "cq.reviewer", "password": PASSWORD})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not signed in


def test_an_idle_session_times_out(reviewer: FlaskClient, clock: FixedClock) -> None:
    assert reviewer.get("/admin/").status_code == 200
    clock.moment += timedelta(minutes=31)
    response = reviewer.get("/admin/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/login")
    assert "登录已超时" in reviewer.get("/admin/login").get_data(as_text=True)


# ---- the queue and one request ----------------------------------------------------------------

def test_a_reviewer_sees_the_request_with_masked_data_and_photos(reviewer: FlaskClient,
                                                                  pending: tuple[Holder, int]) -> None:
    holder, request_id = pending
    queue = reviewer.get("/admin/queue").get_data(as_text=True)
    assert f"#{request_id}" in queue and holder.name in queue
    page = reviewer.get(f"/admin/requests/{request_id}")
    text = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert holder.id_number not in text and holder.id_number[:4] + "**********" + holder.id_number[-4:] in text
    assert "公安库里没有我的照片" in text and "特种作业操作证" in text
    photo_urls = [line.split('src="')[1].split('"')[0] for line in text.splitlines() if "/photos/" in line
                  and "src=" in line]
    assert len(photo_urls) == 2
    photo = reviewer.get(photo_urls[0])
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert photo.headers["Cache-Control"] == "no-store" and photo.data.startswith(b"\xff\xd8")


def test_a_reviewer_of_another_authority_gets_404_for_the_request_and_its_photos(
        app: Flask, client: FlaskClient, pending: tuple[Holder, int]) -> None:
    _, request_id = pending
    make_staff(app, "sc.reviewer", authority=SICHUAN)
    staff_login(client, "sc.reviewer")
    assert f"#{request_id}" not in client.get("/admin/queue").get_data(as_text=True)
    assert client.get(f"/admin/requests/{request_id}").status_code == 404
    with app.extensions["db"].session() as session:
        photo_id = session.scalar(select(ReviewPhoto.id))
    assert client.get(f"/admin/requests/{request_id}/photos/{photo_id}").status_code == 404
    token = csrf_from(client.get("/admin/queue").get_data(as_text=True))
    status = client.post(f"/admin/requests/{request_id}/decide",
                         data={"csrf_token": token, "action": "approve"}).status_code
    assert status == 404
    assert _request(app, request_id).state == "pending"


def test_an_account_of_all_authorities_sees_every_request(app: Flask, client: FlaskClient,
                                                          pending: tuple[Holder, int]) -> None:
    make_staff(app, "boss", role="reviewer,admin", authority="*")
    staff_login(client, "boss")
    assert client.get(f"/admin/requests/{pending[1]}").status_code == 200


def test_an_admin_of_another_authority_does_not(app: Flask, client: FlaskClient,
                                                pending: tuple[Holder, int]) -> None:
    make_staff(app, "sichuan.boss", role="reviewer,admin", authority=SICHUAN)
    staff_login(client, "sichuan.boss")
    assert client.get(f"/admin/requests/{pending[1]}").status_code == 404


def test_an_account_without_the_reviewer_role_cannot_open_the_queue(app: Flask, client: FlaskClient,
                                                                  pending: tuple[Holder, int]) -> None:
    make_staff(app, "operator.li", role="operator")
    staff_login(client, "operator.li")
    assert client.get("/admin/queue").status_code == 403
    assert client.get(f"/admin/requests/{pending[1]}").status_code == 403
    assert client.get("/admin/").status_code == 200


def test_photos_are_not_served_to_anyone_signed_out(app: Flask, client: FlaskClient,
                                                    pending: tuple[Holder, int]) -> None:
    with app.extensions["db"].session() as session:
        photo_id = session.scalar(select(ReviewPhoto.id))
    response = client.get(f"/admin/requests/{pending[1]}/photos/{photo_id}")
    assert response.status_code == 302


# ---- decisions --------------------------------------------------------------------------------

def test_approval_verifies_and_binds_the_worker_and_is_audited(app: Flask, reviewer: FlaskClient,
                                                                pending: tuple[Holder, int]) -> None:
    holder, request_id = pending
    status, _ = _decide(reviewer, request_id, "approve")
    assert status == 302
    item = _request(app, request_id)
    assert item.state == "approved" and item.decided_at is not None and item.decided_by is not None
    user = wechat_user(app, holder.openid)
    assert user is not None
    assert (user.person_id, user.verified_method) == (holder.person_id, "manual")
    assert user.verified_at is not None
    [entry] = _audit(app, "manual_review.approved")
    assert entry.actor == "staff:cq.reviewer" and entry.subject == f"manual_review:{request_id}"
    assert "没有待审核的申请" in reviewer.get("/admin/queue").get_data(as_text=True)


def test_rejection_needs_a_reason_and_shows_it_to_the_worker(app: Flask, reviewer: FlaskClient,
                                                              pending: tuple[Holder, int]) -> None:
    holder, request_id = pending
    status, text = _decide(reviewer, request_id, "reject", reason="  ")
    assert status == 400 and "驳回时请填写理由" in text
    assert _request(app, request_id).state == "pending"
    status, _ = _decide(reviewer, request_id, "reject", reason="照片中身份证号码看不清，请重新拍摄")
    assert status == 302
    assert wechat_user(app, holder.openid).verified_at is None  # type: ignore[union-attr]
    worker = app.test_client()
    sign_in_worker(worker, holder.openid)
    page = worker.get("/h5/review").get_data(as_text=True)
    assert "已驳回" in page and "照片中身份证号码看不清，请重新拍摄" in page
    assert worker.get("/h5/review/new").status_code == 200  # may ask again
    [entry] = _audit(app, "manual_review.rejected")
    assert json.loads(entry.detail)["reason"] == "照片中身份证号码看不清，请重新拍摄"


def test_a_request_cannot_be_decided_twice(app: Flask, reviewer: FlaskClient,
                                           pending: tuple[Holder, int]) -> None:
    _, request_id = pending
    page = reviewer.get(f"/admin/requests/{request_id}").get_data(as_text=True)
    token = csrf_from(page)
    first = reviewer.post(f"/admin/requests/{request_id}/decide", data={"csrf_token": token, "action": "approve"})
    second = reviewer.post(f"/admin/requests/{request_id}/decide",
                           data={"csrf_token": token, "action": "reject", "reason": "晚了"})
    assert first.status_code == 302 and second.status_code == 400
    assert "已经处理过了" in second.get_data(as_text=True)
    assert _request(app, request_id).state == "approved"


def test_a_decision_without_a_csrf_token_is_refused(app: Flask, reviewer: FlaskClient,
                                                    pending: tuple[Holder, int]) -> None:
    response = reviewer.post(f"/admin/requests/{pending[1]}/decide", data={"action": "approve"})
    assert response.status_code == 400
    assert _request(app, pending[1]).state == "pending"


def test_approval_moves_a_binding_held_by_another_openid(app: Flask, reviewer: FlaskClient,
                                                         pending: tuple[Holder, int]) -> None:
    holder, request_id = pending
    from app.storage.models import WechatUser

    with app.extensions["db"].session() as session:
        session.add(WechatUser(openid="o-old-phone", person_id=holder.person_id,
                               claimed_person_id=holder.person_id))
    assert _decide(reviewer, request_id, "approve")[0] == 302
    assert wechat_user(app, "o-old-phone").person_id is None  # type: ignore[union-attr]
    assert wechat_user(app, holder.openid).person_id == holder.person_id  # type: ignore[union-attr]
    assert _audit(app, "wechat.rebind")


# ---- dashboard and housekeeping ---------------------------------------------------------------

def test_the_dashboard_draws_the_last_14_days_as_an_svg_chart(reviewer: FlaskClient,
                                                              pending: tuple[Holder, int]) -> None:
    page = reviewer.get("/admin/").get_data(as_text=True)
    chart = page[page.index('id="daily-chart"'):]
    chart = chart[:chart.index("</svg>")]
    assert chart.count("<rect ") == 1  # today's one pending request
    assert "11-28 待审核 1" in page and "11-15" in page  # 14 days: 11-15 … 11-28
    assert 'id="pending-count">1<' in page


def test_responses_carry_security_headers(client: FlaskClient) -> None:
    response = client.get("/admin/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "http" not in csp and "unsafe-inline" not in csp


def test_purge_deletes_photos_only_after_the_retention_period(app: Flask, runner: FlaskCliRunner,
                                                              reviewer: FlaskClient, clock: FixedClock,
                                                              pending: tuple[Holder, int]) -> None:
    _, request_id = pending
    _decide(reviewer, request_id, "approve")
    clock.moment += timedelta(days=89)
    assert "deleted 0 photos" in runner.invoke(args=["review", "purge"]).output
    clock.moment += timedelta(days=2)
    assert "deleted 2 photos" in runner.invoke(args=["review", "purge"]).output
    item = _request(app, request_id)
    assert item.state == "approved" and item.photos_purged_at is not None  # the decision stays
    staff_login(reviewer, "cq.reviewer")  # 91 days later the session has long timed out
    page = reviewer.get(f"/admin/requests/{request_id}").get_data(as_text=True)
    assert "按保存期限删除" in page


def test_purge_keeps_the_photos_of_pending_requests(app: Flask, runner: FlaskCliRunner, clock: FixedClock,
                                                    pending: tuple[Holder, int]) -> None:
    clock.moment += timedelta(days=400)
    assert "deleted 0 photos" in runner.invoke(args=["review", "purge"]).output
    with app.extensions["db"].session() as session:
        assert len(list(session.scalars(select(ReviewPhoto)))) == 2


def test_hostile_ids_and_inputs_never_cause_a_server_error(reviewer: FlaskClient,
                                                           pending: tuple[Holder, int]) -> None:
    for path in ("/admin/requests/999999", "/admin/requests/-1", "/admin/requests/1/photos/999999",
                 "/admin/requests/abc", "/admin/requests/99999999999999999999999"):
        assert reviewer.get(path).status_code == 404
    token = csrf_from(reviewer.get("/admin/queue").get_data(as_text=True))
    response = reviewer.post(f"/admin/requests/{pending[1]}/decide",
                             data={"csrf_token": token, "action": "drop table", "reason": "x" * 5000})
    assert response.status_code == 400
