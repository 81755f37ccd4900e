"""Shared copies (加注件): made by the holder, opened by anyone with the link until it expires or is revoked."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date, timedelta

import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from app.clock import FixedClock
from app.services import shares
from app.services.verification import GENUINE
from app.storage.models import SharedCopy
from app.web import deps
from app.web.shared import MISSES, OPENS
from tests.integration.notice_fixtures import BoundHolder, bound_holder
from tests.integration.review_fixtures import csrf_from, sign_in_worker

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
_LINK = re.compile(r'value="http://localhost(/s/[A-Za-z0-9_-]+)"')


@pytest.fixture
def holder(app: Flask) -> BoundHolder:
    result = app.test_cli_runner().invoke(args=["keys", "generate"])
    assert result.exit_code == 0, result.output
    return bound_holder(app, 21, valid_until=date(2030, 2, 28))


@pytest.fixture
def worker(app: Flask, holder: BoundHolder) -> FlaskClient:
    """The holder's WeChat browser, signed in."""
    client = app.test_client()
    sign_in_worker(client, holder.openid)
    return client


def make_copy(worker: FlaskClient, public_id: str, purpose: str = "入职审核", recipient: str = "重庆长江化工有限公司",
              days: str = "30") -> str:
    """Fill in the form; returns the holder's page of the new copy."""
    form_page = worker.get(f"/h5/my/cert/{public_id}/share")
    assert form_page.status_code == 200
    made = worker.post(f"/h5/my/cert/{public_id}/share", data={
        "csrf_token": csrf_from(form_page.text), "purpose": purpose, "recipient": recipient, "days": days})
    assert made.status_code == 302, made.text
    return made.headers["Location"]


def link_on(page: str) -> str:
    found = _LINK.search(page)
    assert found, "no link on the copy's page"
    return found.group(1)


def test_a_shared_copy_shows_the_certificate_and_its_live_status_to_whoever_opens_it(
        app: Flask, worker: FlaskClient, holder: BoundHolder) -> None:
    detail = worker.get(make_copy(worker, holder.public_id))
    assert "入职审核" in detail.text and "重庆长江化工有限公司" in detail.text and "2026-12-27" in detail.text
    link = link_on(detail.text)
    viewer = app.test_client()
    page = viewer.get(link, headers={"User-Agent": PHONE})
    assert page.status_code == 200
    for shown in ("证书当前有效", holder.name, "重庆长江化工有限公司", "用于入职审核", "2026-12-27", "有效"):
        assert shown in page.text
    assert holder.id_number not in page.text  # masked: 1101**********...
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    opened = worker.get(detail.request.path)
    assert "打开记录（1次）" in opened.text and "查看 · 手机浏览器" in opened.text


def test_the_copy_files_carry_the_annotation_and_a_qr_code_that_verifies(
        app: Flask, worker: FlaskClient, holder: BoundHolder) -> None:
    link = link_on(worker.get(make_copy(worker, holder.public_id)).text)
    viewer = app.test_client()
    png = viewer.get(link + "/image.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    [code] = [b.text for b in zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)).convert("RGB"))]
    with app.test_request_context():
        assert deps.verifier().verify_text(code).outcome == GENUINE
    pdf = viewer.get(link + "/copy.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True, check=True).stdout.decode()
    assert "加注件：用于入职审核，提供给重庆长江化工有限公司，2026-12-27前有效" in text.replace("\n", "")


def test_a_revoked_copy_shows_that_it_was_revoked_and_nothing_else(app: Flask, worker: FlaskClient,
                                                                   holder: BoundHolder) -> None:
    detail_path = make_copy(worker, holder.public_id)
    detail = worker.get(detail_path)
    link = link_on(detail.text)
    revoked = worker.post(detail_path + "/revoke", data={"csrf_token": csrf_from(detail.text)})
    assert revoked.status_code == 302
    assert "已撤销" in worker.get(detail_path).text
    viewer = app.test_client()
    for path in (link, link + "/image.png", link + "/copy.pdf"):
        closed = viewer.get(path)
        assert closed.status_code == 410 and "此链接已被撤销" in closed.text
        assert holder.name not in closed.text and "重庆长江化工" not in closed.text
    assert worker.get(detail_path + "/copy.pdf").status_code == 404


def test_a_copy_stops_opening_after_its_last_day(app: Flask, worker: FlaskClient, holder: BoundHolder,
                                                 clock: FixedClock) -> None:
    link = link_on(worker.get(make_copy(worker, holder.public_id, days="7")).text)
    clock.moment += timedelta(days=6)  # 2026-12-04, the last day
    assert app.test_client().get(link).status_code == 200
    clock.moment += timedelta(days=1)
    closed = app.test_client().get(link)
    assert closed.status_code == 410 and "此链接已过期" in closed.text and holder.name not in closed.text


def test_links_are_long_random_and_stored_only_as_a_hash(app: Flask, worker: FlaskClient,
                                                         holder: BoundHolder) -> None:
    links = {link_on(worker.get(make_copy(worker, holder.public_id)).text) for _ in range(3)}
    assert len(links) == 3 and all(len(link) >= len("/s/") + 30 for link in links)  # 176 random bits
    with app.extensions["db"].session() as session:
        stored = list(session.scalars(select(SharedCopy)))
    tokens = {link.removeprefix("/s/") for link in links}
    assert all(row.token_hash not in tokens and not any(t.encode() in row.token_enc for t in tokens) for row in stored)


def test_guessing_links_gets_an_address_stopped(app: Flask, worker: FlaskClient, holder: BoundHolder) -> None:
    link = link_on(worker.get(make_copy(worker, holder.public_id)).text)
    guesser = app.test_client()
    for n in range(MISSES.limit):
        assert guesser.get(f"/s/guess{n:026d}").status_code == 404
    refused = guesser.get(link)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 60  # even a real link, this hour
    assert app.test_client().get(link, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 200


def test_opening_a_link_too_often_is_slowed_down(app: Flask, worker: FlaskClient, holder: BoundHolder) -> None:
    link = link_on(worker.get(make_copy(worker, holder.public_id)).text)
    viewer = app.test_client()
    answers = [viewer.get(link).status_code for _ in range(OPENS.limit + 1)]
    assert answers[:OPENS.limit] == [200] * OPENS.limit and answers[-1] == 429


def test_another_holder_can_neither_see_nor_revoke_a_copy(app: Flask, worker: FlaskClient,
                                                          holder: BoundHolder) -> None:
    detail_path = make_copy(worker, holder.public_id)
    other = bound_holder(app, 22)
    stranger = app.test_client()
    sign_in_worker(stranger, other.openid)
    assert stranger.get(detail_path).status_code == 404
    assert stranger.get(detail_path + "/copy.pdf").status_code == 404
    assert stranger.get(f"/h5/my/cert/{holder.public_id}/share").status_code == 404
    token = csrf_from(stranger.get("/h5/my").text)  # a valid CSRF token of the stranger's own session
    assert stranger.post(detail_path + "/revoke", data={"csrf_token": token}).status_code == 404
    assert "撤销此链接" in worker.get(detail_path).text  # still open


@pytest.mark.parametrize(("field", "value", "message"), [
    ("purpose", "", "请填写用途"),
    ("recipient", "长" * 31, "不超过30个字"),
    ("days", "365", "最长90天"),
])
def test_bad_terms_are_refused_and_what_was_typed_is_kept(worker: FlaskClient, holder: BoundHolder, field: str,
                                                          value: str, message: str) -> None:
    form_page = worker.get(f"/h5/my/cert/{holder.public_id}/share")
    data = {"csrf_token": csrf_from(form_page.text), "purpose": "入职审核", "recipient": "长江化工", "days": "30",
            field: value}
    refused = worker.post(f"/h5/my/cert/{holder.public_id}/share", data=data)
    assert refused.status_code == 400 and message in refused.text
    assert "长江化工" in refused.text or field == "recipient"


def test_a_holder_makes_at_most_twenty_copies_a_day(worker: FlaskClient, holder: BoundHolder) -> None:
    for _ in range(shares.DAILY_COPIES):
        make_copy(worker, holder.public_id)
    form_page = worker.get(f"/h5/my/cert/{holder.public_id}/share")
    refused = worker.post(f"/h5/my/cert/{holder.public_id}/share", data={
        "csrf_token": csrf_from(form_page.text), "purpose": "入职审核", "recipient": "长江化工", "days": "30"})
    assert refused.status_code == 400 and "最多可生成20份" in refused.text


def test_the_certificate_page_lists_its_copies(worker: FlaskClient, holder: BoundHolder) -> None:
    make_copy(worker, holder.public_id, recipient="渝北区建设局")
    page = worker.get(f"/h5/my/cert/{holder.public_id}")
    assert "生成加注件" in page.text and "渝北区建设局" in page.text and "用于入职审核" in page.text
