"""我的证书 without dead ends: manual review without consent, attempts left, a way back, pending requests."""

# Fixtures are imported explicitly from h5_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask

from app.services.accounts import CONSENT_MISSING
from app.services.seed import DemoPerson
from tests.integration.h5_fixtures import (  # noqa: F401
    Worker,
    faceid_settings,
    fake_faceid,
    fake_wechat,
    h5_app,
    holders,
    wechat_settings,
    worker,
)
from tests.integration.review_fixtures import submit_form, wechat_user


def _left(page: str) -> str:
    found = re.search(r'id="face-left">([^<]*(?:<strong>\d+</strong>[^<]*)?)', page)
    assert found, page
    return re.sub(r"</?strong>", "", found.group(1))


def test_a_worker_who_will_not_consent_registers_for_manual_review_instead(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    form = alice.get("/h5/register").text
    assert "不同意人脸核身，改为人工审核" in form
    response = alice.register(holders[0], consent=False, method="manual")
    assert response.status_code == 302 and response.headers["Location"].endswith("/h5/review/new")
    user = wechat_user(h5_app, "o-alice")
    assert user is not None and user.claimed_person_id is not None and user.consent_at is None
    assert "申请人工审核" in alice.get("/h5/review/new").text


def test_the_face_check_later_asks_for_the_consent_it_was_never_given(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    alice.register(holders[0], consent=False, method="manual")
    page = alice.get("/h5/face").text
    assert 'name="consent"' in page
    refused = alice.start_face()
    assert refused.status_code == 400 and CONSENT_MISSING in refused.text
    token = alice.csrf("/h5/face")
    started = alice.client.post("/h5/face/start", data={"csrf_token": token, "consent": "yes"})
    assert started.status_code == 302
    user = wechat_user(h5_app, "o-alice")
    assert user is not None and user.consent_at is not None and user.consent_text


def test_the_face_check_page_says_how_many_attempts_are_left_today(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    cap = h5_app.config["SETTINGS"].faceid.daily_attempts
    alice = worker("o-alice")
    alice.sign_in()
    alice.register(holders[0])
    assert _left(alice.get("/h5/face").text) == f"今天还可以进行 {cap} 次人脸核身。"
    failed = alice.verify_face("liveness_failed").text
    assert _left(failed) == f"今天还可以再试 {cap - 1} 次。" and "重新核身" in failed
    assert _left(alice.get("/h5/face").text) == f"今天还可以进行 {cap - 1} 次人脸核身。"
    for _ in range(cap - 1):
        last = alice.verify_face("liveness_failed").text
    assert _left(last) == "今天的人脸核身次数已用完。" and "重新核身" not in last
    used_up = alice.get("/h5/face").text
    assert "今天的人脸核身次数已用完" in used_up and "开始人脸核身" not in used_up and "申请人工审核" in used_up


def test_a_name_and_id_mismatch_links_back_to_registration(
        holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    alice.register(holders[0])
    page = alice.verify_face("name_id_mismatch").text
    assert "核对并修改登记信息" in page and 'href="/h5/register"' in page
    assert "申请人工审核" in page


def test_a_pending_review_request_is_shown_on_my_certificates_with_its_number_and_state(
        holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    alice.register(holders[0], consent=False, method="manual")
    status, _location, _text = submit_form(alice.client)
    assert status == 302
    mine = alice.get("/h5/my")
    assert mine.status_code == 200  # not sent to the face check again
    number = re.search(r'id="review-number">(\d+)<', mine.text)
    assert number and "待审核" in mine.text and "重庆市应急管理局" in mine.text
    assert "查看审核进度" in mine.text and "改用人脸核身" in mine.text
    assert f'id="review-number">{number.group(1)}<' in alice.get("/h5/review").text


def test_the_status_page_says_in_a_sentence_that_there_is_no_estimate_yet(
        holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    alice.register(holders[0], consent=False, method="manual")
    submit_form(alice.client)
    page = alice.get("/h5/review").text
    assert "暂无数据" not in page and "暂时无法估计审核需要多长时间" in page


def test_required_fields_are_marked(holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    register = alice.get("/h5/register").text
    assert "的是必填项" in register and register.count('aria-required="true"') == 3
    alice.register(holders[0])
    review = alice.get("/h5/review/new").text
    assert "的是必填项" in review and review.count('class="req"') >= 3
