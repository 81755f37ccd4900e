"""我的证书: only the verified, bound holder sees, downloads and shows (亮证) their certificates."""

# Fixtures are imported explicitly from h5_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from app.services.seed import DemoPerson
from app.storage.models import Certificate, DownloadLog, Person
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

_CERT_LINK = re.compile(r'href="/h5/my/cert/([A-Za-z0-9_-]+)"')


def _public_ids(app: Flask, person: DemoPerson) -> list[str]:
    """Every certificate version of a demo holder, current or not."""
    pii = app.extensions["pii"]
    with app.extensions["db"].session() as db:
        owner = db.scalar(select(Person).where(Person.id_hash == pii.blind_index("id", person.id_number)))
        assert owner is not None
        return list(db.scalars(select(Certificate.public_id).where(Certificate.person_id == owner.id)))


@pytest.fixture
def signing_key(h5_app: Flask) -> None:
    """The signing key the e-certificate files and live codes need (`flask keys generate`)."""
    result = h5_app.test_cli_runner().invoke(args=["keys", "generate"])
    assert result.exit_code == 0, result.output


def _downloads(app: Flask) -> list[DownloadLog]:
    with app.extensions["db"].session() as db:
        return list(db.scalars(select(DownloadLog)))


def test_a_verified_holder_sees_their_current_certificates_with_status(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.onboard(holders[1])  # reissued: version 1 superseded, version 2 current
    page = alice.get("/h5/my")
    assert page.status_code == 200
    assert "我的证书" in page.text and "特种作业操作证" in page.text and "有效" in page.text
    assert holders[1].id_number not in page.text
    listed = _CERT_LINK.findall(page.text)
    assert len(listed) == 1 and listed[0] in _public_ids(h5_app, holders[1])
    detail = alice.get(f"/h5/my/cert/{listed[0]}")
    assert detail.status_code == 200
    for label in ("亮证", "下载图片", "下载PDF", "签发机关", "有效期"):
        assert label in detail.text
    assert holders[1].id_number not in detail.text
    assert detail.headers["Cache-Control"] == "no-store"


def test_a_holder_with_two_items_sees_one_entry_each_with_its_own_status(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.onboard(holders[0])  # an electrician who also welds: two certificates, one 证号
    page = alice.get("/h5/my")
    listed = _CERT_LINK.findall(page.text)
    assert len(set(listed)) == 2 and set(listed) == set(_public_ids(h5_app, holders[0]))
    assert "低压电工作业" in page.text and "熔化焊接与热切割作业" in page.text
    for public_id in set(listed):
        assert alice.get(f"/h5/my/cert/{public_id}").status_code == 200


def test_an_unpublished_certificate_shows_the_date_it_will_be_published(
        holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.onboard(holders[7])
    page = alice.get("/h5/my")
    assert "未发布" in page.text and "预计" in page.text
    [public_id] = _CERT_LINK.findall(page.text)
    detail = alice.get(f"/h5/my/cert/{public_id}")
    assert re.search(r"电子证书将于\d{4}年\d+月\d+日发布（考试合格后第10个工作日）", detail.text)
    assert "签发机关：" in detail.text
    assert "下载图片" not in detail.text and f"/h5/my/cert/{public_id}/live" not in detail.text
    for path in ("image.png", "download.png", "download.pdf", "live", "live.json"):
        assert alice.get(f"/h5/my/cert/{public_id}/{path}").status_code == 404


def test_another_wechat_user_guessing_ids_and_urls_gets_404(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice, mallory = worker("o-alice"), worker("o-mallory")
    alice.onboard(holders[0])
    mallory.onboard(holders[8])  # a verified holder too, of other certificates
    victim_ids = _public_ids(h5_app, holders[0])
    for public_id in [*victim_ids, "nonexistent0", "x" * 25, "%00", "..%2F..%2Fetc"]:
        for suffix in ("", "/image.png", "/download.png", "/download.pdf", "/download.exe", "/live",
                       "/live.json"):
            response = mallory.get(f"/h5/my/cert/{public_id}{suffix}")
            assert response.status_code == 404, (public_id, suffix)
            assert holders[0].name not in response.text
    assert _downloads(h5_app) == []


def test_a_registered_but_unverified_user_sees_no_certificate(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    bob = worker("o-bob")
    bob.sign_in()
    bob.register(holders[0])
    assert bob.get("/h5/my").headers["Location"].endswith("/h5/face")
    for public_id in _public_ids(h5_app, holders[0]):
        assert bob.get(f"/h5/my/cert/{public_id}").status_code == 404


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(
        h5_app: Flask, holders: list[DemoPerson]) -> None:
    public_id = _public_ids(h5_app, holders[0])[0]
    response = h5_app.test_client().get(f"/h5/my/cert/{public_id}/download.pdf")
    assert response.status_code == 302 and "/h5/my?next=" in response.headers["Location"]


def test_downloads_are_logged_and_served_as_files(
        h5_app: Flask, holders: list[DemoPerson], worker: Callable[[str], Worker], signing_key: None) -> None:
    alice = worker("o-alice")
    alice.onboard(holders[0])
    public_id = _CERT_LINK.findall(alice.get("/h5/my").text)[0]
    png = alice.get(f"/h5/my/cert/{public_id}/download.png")
    pdf = alice.get(f"/h5/my/cert/{public_id}/download.pdf")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG") and png.mimetype == "image/png"
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and "attachment" in pdf.headers[
        "Content-Disposition"]
    logged = _downloads(h5_app)
    assert sorted(d.fmt for d in logged) == ["pdf", "png"]
    assert {d.openid for d in logged} == {"o-alice"} and {d.purpose for d in logged} == {"download"}


def test_the_live_code_endpoint_gives_a_fresh_qr_with_its_expiry(
        holders: list[DemoPerson], worker: Callable[[str], Worker], signing_key: None) -> None:
    alice = worker("o-alice")
    alice.onboard(holders[0])
    public_id = _CERT_LINK.findall(alice.get("/h5/my").text)[0]
    page = alice.get(f"/h5/my/cert/{public_id}/live")
    assert page.status_code == 200 and "动态码每60秒自动刷新" in page.text
    code = alice.get(f"/h5/my/cert/{public_id}/live.json").get_json()
    assert code["qr_png"].startswith("data:image/png;base64,")
    assert code["refresh_seconds"] == 60 and code["expires_at"]


def test_without_a_signing_key_the_holder_gets_a_clear_message_not_an_error(
        holders: list[DemoPerson], worker: Callable[[str], Worker]) -> None:
    alice = worker("o-alice")
    alice.onboard(holders[0])
    public_id = _CERT_LINK.findall(alice.get("/h5/my").text)[0]
    response = alice.get(f"/h5/my/cert/{public_id}/download.pdf")
    assert response.status_code == 503 and "电子证书暂时无法生成" in response.text
