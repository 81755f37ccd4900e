"""Certificate files through the service: signed QR, cache, watermark, live codes."""

# Fixtures are imported explicitly from verify_fixtures, so pytest sees them as parameters: F811 is expected.
# ruff: noqa: F811

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta

import pikepdf
import pytest
import zxingcpp
from flask import Flask
from PIL import Image
from sqlalchemy import update

from app.clock import FixedClock
from app.services import certificate_files
from app.services.seed import DemoPerson
from app.storage.models import Certificate
from app.web import deps
from tests.integration.verify_fixtures import (  # noqa: F401 - fixtures
    CANCELLED,
    EXPIRED,
    REISSUED,
    REVOKED,
    SAFETY_MGMT,
    SUSPENDED,
    VALID,
    certificate_of,
    keyed_app,
    showcase,
)


def render(app: Flask, holder: DemoPerson, fmt: str, now: object, purpose: str = "download") -> bytes:
    cert = certificate_of(app, holder)
    with app.app_context(), app.extensions["db"].session() as session:
        return certificate_files.render_certificate(session, app.extensions["pii"], session.merge(cert), fmt,
                                                    purpose, now)  # type: ignore[arg-type]


def qr_texts(png: bytes) -> list[str]:
    with Image.open(io.BytesIO(png)) as image:
        return [b.text for b in zxingcpp.read_barcodes(image.convert("RGB"))
                if b.format == zxingcpp.BarcodeFormat.QRCode]


def verdict_of(app: Flask, text: str) -> str:
    with app.test_request_context():
        return deps.verifier().verify_text(text).headline


@pytest.mark.parametrize("index", [VALID, SAFETY_MGMT])
def test_the_rendered_png_carries_a_qr_code_that_verifies_as_genuine(
        keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock, index: int) -> None:
    png = render(keyed_app, showcase[index], "png", clock.now())
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.width == 1080
    [text] = qr_texts(png)
    assert text.startswith("HTTP://LOCALHOST/V/")
    assert verdict_of(keyed_app, text) == "证书真实有效"


def test_a_second_download_in_the_same_minute_returns_identical_bytes(
        keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock) -> None:
    first = render(keyed_app, showcase[VALID], "png", clock.now())
    assert render(keyed_app, showcase[VALID], "png", clock.now() + timedelta(seconds=30)) == first
    later = render(keyed_app, showcase[VALID], "png", clock.now() + timedelta(minutes=1))
    assert later != first  # the watermark names the minute of the download
    assert qr_texts(later) == qr_texts(first)  # printed codes are deterministic per version


def test_the_pdf_is_an_a4_document(keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock) -> None:
    pdf = render(keyed_app, showcase[VALID], "pdf", clock.now())
    with pikepdf.open(io.BytesIO(pdf)) as document:
        [page] = document.pages  # one page: the base's QR code page is laid over it, not printed
        assert [float(v) for v in page.mediabox] == [0, 0, 595.28, 841.89]  # A4 in points


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (Debian package poppler-utils)")
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


@pytest.mark.parametrize("index", [SUSPENDED, REVOKED, CANCELLED, EXPIRED])
def test_an_unusable_certificate_is_never_a_clean_looking_copy(
        keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock, index: int) -> None:
    text = pdf_text(render(keyed_app, showcase[index], "pdf", clock.now()))
    assert "不能作为有效证件使用" in text
    assert "不能作为有效证件使用" not in pdf_text(render(keyed_app, showcase[VALID], "pdf", clock.now()))


def test_the_superseded_version_is_stamped_too(keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock) -> None:
    old = certificate_of(keyed_app, showcase[REISSUED], version=1)
    with keyed_app.app_context(), keyed_app.extensions["db"].session() as session:
        pdf = certificate_files.render_certificate(session, keyed_app.extensions["pii"], session.merge(old), "pdf",
                                                   "cli", clock.now())
    assert "本证书已被新版本取代" in pdf_text(pdf).replace("\n", "")


def test_a_status_change_is_drawn_on_the_next_render(
        keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock) -> None:
    before = render(keyed_app, showcase[VALID], "png", clock.now())
    cert = certificate_of(keyed_app, showcase[VALID])
    with keyed_app.extensions["db"].session() as session, session.begin():
        session.execute(update(Certificate).where(Certificate.id == cert.id).values(admin_state="suspended"))
    after = render(keyed_app, showcase[VALID], "png", clock.now())
    assert after != before
    assert verdict_of(keyed_app, qr_texts(after)[0]) == "证书真实，但已暂扣"


def test_a_status_change_redraws_the_cached_pdf_page_within_the_same_minute(
        keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock) -> None:
    before = pdf_text(render(keyed_app, showcase[VALID], "pdf", clock.now()))
    cert = certificate_of(keyed_app, showcase[VALID])
    with keyed_app.extensions["db"].session() as session, session.begin():
        session.execute(update(Certificate).where(Certificate.id == cert.id).values(admin_state="suspended"))
    after = pdf_text(render(keyed_app, showcase[VALID], "pdf", clock.now() + timedelta(seconds=10)))
    assert "不能作为有效证件使用" not in before and "状态：有效" in before
    assert "本证书暂扣，不能作为有效证件使用" in after.replace("\n", "") and "状态：暂扣" in after


def test_a_new_minute_reuses_the_pdf_page_and_names_its_own_minute(
        keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    draw = certificate_files.render_pdf_base
    monkeypatch.setattr(certificate_files, "render_pdf_base", lambda view, text: drawn.append(text) or draw(view, text))
    first = render(keyed_app, showcase[VALID], "pdf", clock.now())
    later = render(keyed_app, showcase[VALID], "pdf", clock.now() + timedelta(minutes=1))
    assert len(drawn) == 1  # the page was drawn once; the new minute only laid its marks over it
    raw = subprocess.run(["pdftotext", "-raw", "-", "-"], input=later, capture_output=True, check=True).stdout
    assert f"{clock.now() + timedelta(minutes=1):%Y-%m-%d %H:%M}" in raw.decode()
    assert showcase[VALID].name in pdf_text(later) and later != first


def test_an_unknown_format_is_refused(keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock) -> None:
    with pytest.raises(ValueError, match="unknown format"):
        render(keyed_app, showcase[VALID], "gif", clock.now())


def test_the_watermark_names_the_purpose_and_the_minute(clock: FixedClock) -> None:
    assert certificate_files.watermark_text("download", clock.now()) == "仅供持证人使用 2026-11-28 10:00 下载"
    assert certificate_files.watermark_text("求职", clock.now()).startswith("仅供求职使用")


def test_a_live_code_decodes_and_expires_after_its_lifetime(
        keyed_app: Flask, showcase: list[DemoPerson], clock: FixedClock) -> None:
    cert = certificate_of(keyed_app, showcase[VALID])
    with keyed_app.test_request_context(), keyed_app.extensions["db"].session() as session:
        text, png, expires_at = certificate_files.live_qr(session, session.merge(cert), clock.now())
    assert qr_texts(png) == [text]
    assert expires_at - clock.now() == timedelta(seconds=keyed_app.config["SETTINGS"].signing.live_code_ttl)
    assert verdict_of(keyed_app, text) == "证书真实有效"
    clock.moment = expires_at
    assert verdict_of(keyed_app, text) == "二维码已过期，请持证人刷新"


def test_every_demo_holder_has_a_drawn_portrait(keyed_app: Flask, showcase: list[DemoPerson]) -> None:
    from app.services.photos import load_photo

    photos = []
    for holder in showcase:
        cert = certificate_of(keyed_app, holder)
        with keyed_app.extensions["db"].session() as session:
            photos.append(load_photo(session, keyed_app.extensions["pii"], cert.photo_id))
    assert all(photo is not None and photo.startswith(b"\xff\xd8") for photo in photos)  # JPEG
    assert len(set(photos)) == len(showcase)
