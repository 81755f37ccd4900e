"""The reviewer's pages around a manual-review request: registry photo, full ID number on a reason, face
checks, a confirmation before approving, the 20-character warning, and the 已处理 list with filters."""

# Fixtures are imported explicitly from their modules, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from sqlalchemy import select

from app.clock import CHINA, FixedClock
from app.services import manual_review
from app.services.seed import DemoPerson
from app.storage.models import FaceAttempt, ManualReviewRequest, WechatUser
from tests.integration.certadmin_fixtures import audit_actions, person_id_of, post_form, staff_client
from tests.integration.review_fixtures import SICHUAN, import_holder, jpeg_bytes, staff_login
from tests.integration.verify_fixtures import VALID, keyed_app, showcase  # noqa: F401


def _request(app: Flask, person_id: int, openid: str, at: datetime | None = None) -> int:
    """A pending request from `openid`, which registered as the holder."""
    with app.extensions["db"].session() as session:
        if session.get(WechatUser, openid) is None:
            session.add(WechatUser(openid=openid, claimed_person_id=person_id))
            session.commit()
        sub = manual_review.Submission("重庆市应急管理局", "公安库中没有我的照片", {"holding_id": jpeg_bytes()})
        return manual_review.submit(session, app.extensions["pii"], person_id=person_id, openid=openid, sub=sub,
                                    now=at or app.extensions["clock"].now(), max_photo_bytes=5 * 1024 * 1024).id


def _state(app: Flask, request_id: int) -> str:
    with app.extensions["db"].session() as session:
        return str(session.scalar(select(ManualReviewRequest.state).where(ManualReviewRequest.id == request_id)))


def test_the_reviewer_sees_the_registry_photo_face_checks_and_the_full_number_only_on_a_reason(
        keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    holder = showcase[VALID]
    person_id = person_id_of(keyed_app, holder)
    request_id = _request(keyed_app, person_id, "o-asker")
    with keyed_app.extensions["db"].session() as session, session.begin():
        session.add_all([FaceAttempt(openid="o-asker", person_id=person_id, biz_token=f"biz-{n}", nonce="n",
                                     state="failed", err_code=code, sim=sim, day=date(2026, 11, 28))
                         for n, (code, sim) in enumerate(((2016, 41.5), (1002, None)))])
    reviewer = staff_client(keyed_app, "cq.reviewer", "reviewer")
    page = f"/admin/requests/{request_id}"
    html = reviewer.get(page).get_data(as_text=True)
    assert 'id="registry-figure"' in html and "相似度不足" in html and "41.5" in html and "活体检测未通过" in html
    assert reviewer.get(f"{page}/registry-photo").mimetype == "image/jpeg"
    assert holder.id_number not in html
    post_form(reviewer, page, "/admin/reveal", {"what": "id_number", "subject": f"person:{person_id}",
                                                "back": page, "reason": "照片上的号码看不清，核对"})
    assert f'id="full-id">{holder.id_number}<' in reviewer.get(page).get_data(as_text=True)
    [(action, actor, _)] = audit_actions(keyed_app, f"person:{person_id}")
    assert (action, actor) == ("pii.reveal_id_number", "staff:cq.reviewer")
    sichuan = staff_client(keyed_app, "sc.reviewer", "reviewer", SICHUAN)
    assert sichuan.get(f"{page}/registry-photo").status_code == 404


def test_approving_asks_for_a_confirmation_first(keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    request_id = _request(keyed_app, person_id_of(keyed_app, showcase[VALID]), "o-asker")
    reviewer = staff_client(keyed_app, "cq.reviewer", "reviewer")
    page = f"/admin/requests/{request_id}"
    asked = post_form(reviewer, page, f"{page}/decide", {"action": "approve"})
    assert asked.status_code == 200 and 'id="confirm-approve"' in asked.get_data(as_text=True)
    assert _state(keyed_app, request_id) == "pending"
    confirmed = post_form(reviewer, page, f"{page}/decide", {"action": "approve", "confirmed": "yes"})
    assert confirmed.status_code == 302 and _state(keyed_app, request_id) == "approved"


def test_a_long_rejection_reason_is_flagged_as_cut_in_the_wechat_notice(keyed_app: Flask) -> None:
    holder = import_holder(keyed_app)
    request_id = _request(keyed_app, holder.person_id, holder.openid)
    reviewer = staff_client(keyed_app, "cq.reviewer", "reviewer")
    page = f"/admin/requests/{request_id}"
    html = reviewer.get(page).get_data(as_text=True)
    assert 'data-notice-chars="20"' in html and 'id="notice-hint" hidden' in html
    reason = "手持身份证照片中证件号码被手指遮挡，请露出完整号码后重新拍摄提交"
    response = post_form(reviewer, page, f"{page}/decide", {"action": "reject", "reason": reason})
    assert response.status_code == 302
    assert "微信通知只显示理由的前20个字" in reviewer.get("/admin/queue").get_data(as_text=True)


def test_decided_requests_stay_reachable_and_filter_by_result_reviewer_and_day(
        keyed_app: Flask, clock: FixedClock) -> None:
    holders = [import_holder(keyed_app, seed=n) for n in (1, 2, 3)]
    ids = [_request(keyed_app, h.person_id, h.openid) for h in holders]
    first, second = staff_client(keyed_app, "cq.first", "reviewer"), staff_client(keyed_app, "cq.second", "reviewer")
    post_form(first, f"/admin/requests/{ids[0]}", f"/admin/requests/{ids[0]}/decide",
              {"action": "approve", "confirmed": "yes"})
    clock.moment = datetime(2026, 11, 30, 9, 0, tzinfo=CHINA)
    staff_login(second, "cq.second")
    post_form(second, f"/admin/requests/{ids[1]}", f"/admin/requests/{ids[1]}/decide",
              {"action": "reject", "reason": "照片不清晰"})

    def listed(**filters: str) -> set[int]:
        html = second.get("/admin/decided", query_string=filters).get_data(as_text=True)
        return {i for i in ids if f"#{i}<" in html}

    assert listed() == {ids[0], ids[1]}  # the pending one is in the queue, not here
    assert listed(state="rejected") == {ids[1]}
    with keyed_app.extensions["db"].session() as session:
        first_id = session.scalar(select(ManualReviewRequest.decided_by).where(ManualReviewRequest.id == ids[0]))
    assert listed(reviewer=str(first_id)) == {ids[0]}
    assert listed(since="2026-11-29") == {ids[1]} and listed(until="2026-11-28") == {ids[0]}
    assert listed(since="garbage", page="x") == {ids[0], ids[1]}
    assert second.get(f"/admin/requests/{ids[0]}").status_code == 200  # decided: still reachable
    sichuan = staff_client(keyed_app, "sc.reviewer", "reviewer", SICHUAN)
    html = sichuan.get("/admin/decided").get_data(as_text=True)
    assert not any(f"#{i}<" in html for i in ids) and "cq.first" not in html
