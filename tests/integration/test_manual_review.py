"""Manual review (人工审核), the worker's side: the request form, its checks and the status page."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select, update

from app.clock import FixedClock
from app.services import manual_review
from app.services.manual_review import PHOTO_CONTEXT
from app.storage.models import AuditEntry, ManualReviewRequest, ReviewPhoto, WechatUser
from tests.integration.review_fixtures import (
    CHONGQING,
    SECRETS_IN_METADATA,
    SICHUAN,
    Holder,
    add_certificate,
    csrf_from,
    import_holder,
    jpeg_bytes,
    jpeg_segments,
    jpeg_with_metadata,
    png_with_exif,
    sign_in_worker,
    submit_form,
)


@pytest.fixture
def worker(app: Flask, client: FlaskClient) -> Holder:
    """A registered (not yet verified) worker, signed in through WeChat."""
    holder = import_holder(app)
    sign_in_worker(client, holder.openid)
    return holder


def _requests(app: Flask) -> list[ManualReviewRequest]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(ManualReviewRequest)))


def _photos(app: Flask) -> list[ReviewPhoto]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(ReviewPhoto)))


def test_a_submitted_request_is_stored_before_the_worker_sees_submitted(app: Flask, client: FlaskClient,
                                                                        worker: Holder) -> None:
    status, location, _ = submit_form(client, photos={"holding_id": jpeg_bytes(), "id_front": jpeg_bytes()})
    assert status == 302 and location.endswith("/h5/review?submitted=1")
    [stored] = _requests(app)
    assert (stored.state, stored.authority, stored.openid) == ("pending", CHONGQING, worker.openid)
    assert sorted(p.kind for p in _photos(app)) == ["holding_id", "id_front"]
    page = client.get(location).get_data(as_text=True)
    assert "已提交" in page and "待审核" in page


def test_photos_are_encrypted_at_rest_and_readable_only_with_the_key(app: Flask, client: FlaskClient,
                                                                      worker: Holder) -> None:
    submit_form(client)
    [photo] = _photos(app)
    assert not photo.data_enc.startswith(b"\xff\xd8")  # not a JPEG in the clear
    plain = app.extensions["pii"].decrypt(photo.data_enc, PHOTO_CONTEXT)
    assert Image.open(io.BytesIO(plain)).format == "JPEG"


def test_the_form_offers_only_the_authorities_on_the_workers_certificates(app: Flask, client: FlaskClient,
                                                                          worker: Holder) -> None:
    add_certificate(app, worker, SICHUAN)
    page = client.get("/h5/review/new").get_data(as_text=True)
    assert CHONGQING in page and SICHUAN in page and "北京市应急管理局" not in page
    status, _, text = submit_form(client, authority="北京市应急管理局")
    assert status == 400 and "请选择您证书上的签发机关" in text
    assert _requests(app) == []


def test_a_second_request_while_one_is_open_is_refused(app: Flask, client: FlaskClient,
                                                        worker: Holder) -> None:
    submit_form(client)
    assert client.get("/h5/review/new").status_code == 302  # the form sends to the status page
    token = csrf_from(client.get("/admin/login").get_data(as_text=True))  # the token is per session
    response = client.post("/h5/review/new", content_type="multipart/form-data", data={
        "csrf_token": token, "authority": CHONGQING, "description": "再来一次",
        "holding_id": (io.BytesIO(jpeg_bytes()), "again.jpg")})
    assert response.status_code == 400
    assert "您已有一个待审核的申请" in response.get_data(as_text=True)
    assert len(_requests(app)) == 1


def test_the_service_itself_refuses_a_second_open_request(app: Flask, worker: Holder) -> None:
    sub = manual_review.Submission(CHONGQING, "再来一次", {"holding_id": jpeg_bytes()})
    pii, now = app.extensions["pii"], app.extensions["clock"].now()
    for expect_refusal in (False, True):
        with app.extensions["db"].session() as session:
            try:
                manual_review.submit(session, pii, person_id=worker.person_id, openid=worker.openid, sub=sub,
                                     now=now, max_photo_bytes=5 * 1024 * 1024)
            except manual_review.ReviewError as exc:
                assert expect_refusal and "已有一个待审核" in exc.message
    assert len(_requests(app)) == 1


def test_another_accounts_requests_neither_block_nor_show_on_the_holders_pages(
        app: Flask, client: FlaskClient, worker: Holder) -> None:
    """Someone who registered as this holder from another WeChat account files requests first."""
    with app.extensions["db"].session() as session:
        session.add(WechatUser(openid="o-intruder", claimed_person_id=worker.person_id))
    intruder = app.test_client()
    sign_in_worker(intruder, "o-intruder")
    assert submit_form(intruder)[0] == 302
    with app.extensions["db"].session() as session:
        session.execute(update(ManualReviewRequest).values(state="rejected", reason="照片与本人不符"))
    assert client.get("/h5/review").headers["Location"].endswith("/h5/review/new")  # nothing of his own
    assert submit_form(intruder)[0] == 302  # pending again
    status, location, _ = submit_form(client)
    assert status == 302 and location.endswith("/h5/review?submitted=1")
    page = client.get("/h5/review").get_data(as_text=True)
    assert "待审核" in page and "照片与本人不符" not in page
    assert sorted((r.openid, r.state) for r in _requests(app)) == [
        ("o-intruder", "pending"), ("o-intruder", "rejected"), (worker.openid, "pending")]


@pytest.mark.parametrize(("photos", "message"), [
    ({}, "请上传手持身份证的本人照片"),
    ({"holding_id": b"%PDF-1.7 not an image"}, "手持身份证照片：文件不是有效的 JPEG 或 PNG 图片"),
    ({"holding_id": b"GIF89a" + b"\x00" * 64}, "手持身份证照片："),
    ({"holding_id": jpeg_bytes(), "id_back": b"<script>alert(1)</script>"}, "身份证国徽面：文件不是有效的"),
])
def test_a_bad_upload_gets_a_clear_error_and_keeps_the_description(app: Flask, client: FlaskClient,
                                                                   worker: Holder, photos: dict[str, bytes],
                                                                   message: str) -> None:
    status, _, text = submit_form(client, description="我的脸和照片对不上，麻烦人工看一下", photos=photos)
    assert status == 400
    assert message in text
    assert "我的脸和照片对不上，麻烦人工看一下" in text  # what the worker typed is still there
    assert _requests(app) == [] and _photos(app) == []


def test_a_photo_over_the_size_limit_is_refused_with_the_limit_named(app: Flask, client: FlaskClient,
                                                                     worker: Holder) -> None:
    big = jpeg_bytes() + b"\x00" * (5 * 1024 * 1024)  # a JPEG padded past 5 MB
    status, _, text = submit_form(client, description="照片很大", photos={"holding_id": big})
    assert status == 400 and "图片超过5MB" in text and "照片很大" in text
    assert _requests(app) == []


def test_an_upload_larger_than_the_whole_form_allows_gets_a_chinese_page(app: Flask, client: FlaskClient,
                                                                         worker: Holder) -> None:
    huge = b"\x00" * (16 * 1024 * 1024)
    status, _, text = submit_form(client, photos={"holding_id": huge, "id_front": huge})
    assert status == 413 and "照片太大" in text
    assert _requests(app) == []


@pytest.mark.parametrize("make", [png_with_exif, jpeg_with_metadata])
def test_no_metadata_survives_the_upload(app: Flask, client: FlaskClient, worker: Holder,
                                         make: Callable[[], bytes]) -> None:
    original = make()
    assert b"SecretCam" in original
    status, _, _ = submit_form(client, photos={"holding_id": original})
    assert status == 302
    [photo] = _photos(app)
    plain = app.extensions["pii"].decrypt(photo.data_enc, PHOTO_CONTEXT)
    image = Image.open(io.BytesIO(plain))
    assert image.format == "JPEG" and not image.getexif()
    assert not [secret for secret in SECRETS_IN_METADATA if secret in plain]
    assert not [marker for marker, _ in jpeg_segments(plain) if marker == 0xFE or 0xE1 <= marker <= 0xEF]


def test_the_form_without_a_csrf_token_is_refused_and_nothing_is_stored(app: Flask, client: FlaskClient,
                                                                        worker: Holder) -> None:
    response = client.post("/h5/review/new", data={
        "authority": CHONGQING, "description": "x", "holding_id": (io.BytesIO(jpeg_bytes()), "a.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert _requests(app) == []


def test_a_visitor_not_signed_in_through_wechat_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/h5/review/new")
    assert response.status_code == 302 and "/h5/my" in response.headers["Location"]


def test_a_signed_in_visitor_who_has_not_registered_is_asked_to_register(client: FlaskClient) -> None:
    sign_in_worker(client, "o-stranger")
    response = client.get("/h5/review/new")
    assert response.status_code == 403 and "请先登记" in response.get_data(as_text=True)


def test_the_status_page_shows_how_long_reviews_usually_take(app: Flask, client: FlaskClient,
                                                             worker: Holder, clock: FixedClock) -> None:
    now = clock.now()
    with app.extensions["db"].session() as session:  # three earlier decisions: 2 h, 4 h, 30 h
        for hours in (2, 4, 30):
            created = now.replace(tzinfo=None) - timedelta(days=3)
            session.add(ManualReviewRequest(person_id=worker.person_id, openid="o-old", authority=CHONGQING,
                                            description="旧申请", state="approved", created_at=created,
                                            decided_at=created + timedelta(hours=hours)))
    submit_form(client)
    page = client.get("/h5/review").get_data(as_text=True)
    assert "约 4 小时" in page


def test_submissions_are_audited_without_personal_data(app: Flask, client: FlaskClient,
                                                        worker: Holder) -> None:
    submit_form(client)
    with app.extensions["db"].session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "manual_review.submit"))
        assert entry is not None and worker.id_number not in entry.detail
        assert session.scalar(select(func.count()).select_from(AuditEntry)) >= 1
