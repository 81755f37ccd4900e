"""Registering a WeChat user as a certificate holder: validation, the neutral refusal, consent, limits."""

# Fixtures are imported explicitly from h5_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from app.services.accounts import CONSENT_TEXT, NOT_FOUND_MESSAGE, REGISTRATIONS
from app.services.seed import DemoPerson
from app.storage.models import AuditEntry, WechatUser
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


def _user(app: Flask, openid: str) -> WechatUser | None:
    with app.extensions["db"].session() as db:
        return db.get(WechatUser, openid)


def test_a_holder_registers_and_is_sent_to_the_face_check(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    response = alice.register(holders[0], mobile="138 0013 8000")
    assert response.status_code == 302 and response.headers["Location"].endswith("/h5/face")
    page = alice.get("/h5/face")
    assert holders[0].name in page.text and "开始人脸核身" in page.text
    assert holders[0].id_number not in page.text  # masked: first 4 and last 4 only
    user = _user(h5_app, "o-alice")
    assert user is not None and user.claimed_person_id is not None
    assert user.person_id is None and user.verified_at is None  # bound only after verification
    assert user.consent_text == CONSENT_TEXT and user.consent_at is not None
    assert user.mobile_enc is not None and b"13800138000" not in user.mobile_enc
    assert h5_app.extensions["pii"].decrypt_text(user.mobile_enc, b"wechat_users.mobile") == "13800138000"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "", "姓名不能为空"),
    ("name", "张三3", "姓名不能包含数字"),
    ("id_number", "110105194912310021", "校验"),
    ("id_number", "12345", "证件号码"),
    ("mobile", "12800138000", "11位手机号码"),
    ("mobile", "1380013800", "11位手机号码"),
    ("mobile", "<script>", "11位手机号码"),
])
def test_a_bad_field_is_named_and_everything_typed_is_kept(
        holders: list[DemoPerson], worker: Callable[[str], Worker], field: str, value: str,
        message: str) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    response = alice.register(holders[0], **{field: value})
    assert response.status_code == 400
    assert message in response.text
    kept = {"name": holders[0].name, "id_number": holders[0].id_number, "mobile": "13800138000", field: value}
    for key, typed in kept.items():
        if typed and key != field:
            assert f'value="{typed}"' in response.text
    assert "<script>" not in response.text


def test_without_the_consent_box_nothing_is_registered(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    response = alice.register(holders[0], consent=False)
    assert response.status_code == 400 and "人脸核身授权" in response.text
    assert _user(h5_app, "o-alice") is None


def test_people_without_a_certificate_all_get_the_same_neutral_message(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    wrong_name = alice.register(holders[0], name="王某某")
    unknown_number = alice.register(holders[0], id_number="440524188001010014")
    for response in (wrong_name, unknown_number):
        assert response.status_code == 400
        assert NOT_FOUND_MESSAGE in response.text
    assert _user(h5_app, "o-alice") is None


def test_registration_lookups_are_rate_limited_per_user(
        holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    for _ in range(REGISTRATIONS.limit):
        assert NOT_FOUND_MESSAGE in alice.register(holders[0], name="王某某").text
    blocked = alice.register(holders[0])
    assert blocked.status_code == 400 and "提交次数过多" in blocked.text


def test_a_form_without_its_csrf_token_is_refused(holders: list[DemoPerson],
                                                  worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.sign_in()
    response = alice.client.post("/h5/register", data={"name": holders[0].name, "id_number": holders[0].id_number,
                                                       "mobile": "13800138000", "consent": "yes"})
    assert response.status_code == 400 and "页面已过期" in response.text


def test_registering_requires_signing_in_first(holders: list[DemoPerson], h5_app: Flask) -> None:
    response = h5_app.test_client().post("/h5/register", data={"name": holders[0].name})
    assert response.status_code in (302, 400)
    assert _user(h5_app, "o-dev-worker-0001") is None


def test_a_holder_bound_to_another_wechat_moves_only_after_a_new_face_check_and_is_audited(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    old_phone, new_phone = worker("o-old-phone"), worker("o-new-phone")
    assert "人脸核身通过" in old_phone.onboard(holders[0]).text
    new_phone.sign_in()
    response = new_phone.register(holders[0])
    assert response.headers["Location"].endswith("/h5/face")
    still_bound = _user(h5_app, "o-old-phone")
    assert still_bound is not None and still_bound.person_id is not None  # nothing moves before the face check
    assert "人脸核身通过" in new_phone.verify_face("pass").text
    old, new = _user(h5_app, "o-old-phone"), _user(h5_app, "o-new-phone")
    assert old is not None and old.person_id is None and old.verified_at is None
    assert new is not None and new.person_id == still_bound.person_id and new.verified_method == "face"
    with h5_app.extensions["db"].session() as db:
        moves = db.scalars(select(AuditEntry).where(AuditEntry.action == "wechat.rebind")).all()
    assert len(moves) == 1
    assert json.loads(moves[0].detail) == {"from_openid": "o-old-phone", "to_openid": "o-new-phone",
                                           "method": "face"}
    assert holders[0].id_number not in moves[0].detail
    assert old_phone.get("/h5/my").headers["Location"].endswith("/h5/register")


def test_registering_as_a_bound_holder_looks_the_same_as_as_an_unbound_one(
        holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    """A stranger who types a name and ID number must not learn whether that person uses the service."""
    worker("o-owner").onboard(holders[0])
    pages = []
    for openid, holder in (("o-stranger-1", holders[0]), ("o-stranger-2", holders[8])):
        stranger = worker(openid)
        stranger.sign_in()
        response = stranger.register(holder)
        assert response.status_code == 302 and response.headers["Location"] == "/h5/face"
        page = stranger.get("/h5/face").text
        pages.append(_without_the_holders_details(page, holder))
    assert pages[0] == pages[1]


def _without_the_holders_details(page: str, holder: DemoPerson) -> str:
    """The face-check page with the holder's own name, masked number and the form token taken out."""
    masked = holder.id_number[:4] + "*" * 10 + holder.id_number[-4:]
    page = re.sub(r'name="csrf_token" value="[^"]+"', "", page)
    return page.replace(holder.name, "NAME").replace(masked, "ID")


def test_a_failed_face_check_leaves_the_existing_binding_alone(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    old_phone, intruder = worker("o-old-phone"), worker("o-intruder")
    old_phone.onboard(holders[0])
    intruder.sign_in()
    intruder.register(holders[0])
    assert "人脸核身未完成" in intruder.verify_face("low_similarity").text
    old = _user(h5_app, "o-old-phone")
    assert old is not None and old.person_id is not None and old.verified_at is not None
    assert intruder.get("/h5/my").headers["Location"].endswith("/h5/face")
