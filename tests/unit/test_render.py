"""Certificate rendering: size, QR decodability (PNG, printed PDF, phone photo), fonts, speed."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageFilter

from app.domain import qrtoken as q
from app.domain.keyring import new_signing_key
from app.domain.qrtext import qr_text
from app.render import CertificateView, render_pdf, render_png
from app.render.certificate import LABELS
from app.render.fonts import missing_chars
from app.render.pdf import PRINT_NOTE
from app.render.qr import qr_version
from app.render.seal import seal_image

DATA_DIR = Path(__file__).resolve().parents[2] / "app" / "domain" / "data"
def _live_code_text() -> str:
    """A real live code: 4-character name, 23-character id, exp, for a .gov.cn base URL."""
    claims = q.build_claims(cert_id="0KJ8F2Ak7Qm2xVb9RtP4wZc", version=2, kind=q.CertKind.SAFETY_MGMT,
                            code="0101", personnel_type="2", holder_name="欧阳晓明",
                            id_number="11010519491231002X", valid_from=date(2026, 6, 1),
                            valid_until=date(2032, 5, 31), authority_code="500000")
    token = q.sign_certificate(claims, new_signing_key(), "CN-500000-YJJ", 1_795_000_000, 1_795_000_060)
    return qr_text("https://cx.yjj.cq.gov.cn", token)


QR_TEXT = _live_code_text()
WATERMARK = "仅供查验使用 2026-11-28 14:03 下载"

SPECIAL_OPS = CertificateView(
    kind="special_ops",
    title="中华人民共和国特种作业操作证",
    holder_name="欧阳晓明",
    gender="男",
    id_number="5001**********1234",
    cert_number="T5001**********1234",
    first_issued="2020-06-15",
    valid_from="2026-06-01",
    valid_until="2032-05-31",
    issuing_authority="重庆市应急管理局",
    status_label="有效",
    version=2,
    category="电工作业",
    item="高压电工作业",
    review_due="2029-06-01",
)
SAFETY_MGMT = CertificateView(
    kind="safety_mgmt",
    title="安全生产知识和管理能力考核合格证",
    holder_name="李娜",
    gender="女",
    id_number="5001**********002X",
    cert_number="渝A2026000123",
    first_issued="2026-03-02",
    valid_from="2026-03-02",
    valid_until="2029-03-01",
    issuing_authority="重庆市渝北区应急管理局",
    status_label="有效",
    version=1,
    personnel_type="安全生产管理人员",
    industry="危险化学品（生产单位）",
    employer="重庆长江化工股份有限公司第二分公司",
)
VIEWS = {"special_ops": SPECIAL_OPS, "safety_mgmt": SAFETY_MGMT}


def _decode(image: Image.Image) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.fixture(scope="module", params=list(VIEWS))
def png(request: pytest.FixtureRequest) -> Image.Image:
    return Image.open(io.BytesIO(render_png(VIEWS[request.param], QR_TEXT, WATERMARK))).convert("RGB")


def test_the_phone_image_is_about_1080_pixels_wide_and_portrait(png: Image.Image) -> None:
    assert png.width == 1080 and png.height > png.width


def test_the_qr_code_decodes_from_the_watermarked_png(png: Image.Image) -> None:
    assert _decode(png) == [QR_TEXT]


def test_the_live_code_is_version_11_or_smaller() -> None:
    assert qr_version(QR_TEXT) <= 11, qr_version(QR_TEXT)


def test_the_qr_code_decodes_from_the_png_at_a_quarter_scale(png: Image.Image) -> None:
    small = png.resize((png.width // 4, png.height // 4), Image.Resampling.BILINEAR)
    assert _decode(small) == [QR_TEXT]


def test_the_qr_code_decodes_from_a_phone_like_photo(png: Image.Image) -> None:
    """45 % scale, 7 degrees, Gaussian blur 1.2 and JPEG: a hurried inspector's phone."""
    photo = png.resize((png.width * 45 // 100, png.height * 45 // 100), Image.Resampling.BILINEAR)
    photo = photo.rotate(7, expand=True, fillcolor=(90, 90, 90), resample=Image.Resampling.BICUBIC)
    photo = photo.filter(ImageFilter.GaussianBlur(1.2))
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=70)
    assert _decode(Image.open(out)) == [QR_TEXT]


def _pdf(kind: str, tmp_path: Path) -> Path:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm not installed (Debian package poppler-utils)")
    pdf = tmp_path / "cert.pdf"
    pdf.write_bytes(render_pdf(VIEWS[kind], QR_TEXT, WATERMARK))
    return pdf


@pytest.mark.parametrize("kind", list(VIEWS))
def test_the_qr_code_decodes_from_the_pdf_rasterised_at_150_dpi(kind: str, tmp_path: Path) -> None:
    pdf = _pdf(kind, tmp_path)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    page = Image.open(tmp_path / "page.png")
    assert abs(page.width - 1240) <= 2  # A4 width at 150 dpi
    assert _decode(page) == [QR_TEXT]


@pytest.mark.parametrize("kind", list(VIEWS))
def test_the_pdf_embeds_a_subset_of_the_cjk_font_and_its_text_is_searchable(kind: str, tmp_path: Path) -> None:
    pdf = _pdf(kind, tmp_path)
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line.split() for line in fonts.splitlines() if "NotoSansCJKSC" in line]
    assert cjk and all(row[-5:-2] == ["yes", "yes", "yes"] for row in cjk), fonts  # emb, sub, uni
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert VIEWS[kind].holder_name in text and VIEWS[kind].title in text and "发证日期" in text
    assert pdf.read_bytes().count(b"/Subtype /Image") == 1  # the photo is the only picture


def test_a_photo_is_used_when_given(tmp_path: Path) -> None:
    photo = io.BytesIO()
    Image.new("RGB", (300, 400), (200, 30, 30)).save(photo, format="JPEG")
    with_photo = CertificateView(**{**SPECIAL_OPS.__dict__, "photo": photo.getvalue()})
    image = Image.open(io.BytesIO(render_png(with_photo, QR_TEXT, None))).convert("RGB")
    red, green, _ = image.getpixel((870, 470))  # inside the photo box
    assert red > 150 and green < 80


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _cjk_text_in_data_files() -> str:
    text = "".join(
        s
        for path in sorted(DATA_DIR.glob("*.json"))
        for s in _strings(json.loads(path.read_text(encoding="utf-8")))
    )
    return "".join(ch for ch in text if ord(ch) > 0x2E7F)  # CJK, full-width punctuation


def test_the_fonts_cover_every_label_and_every_chinese_string_in_the_data_files() -> None:
    text = "".join(LABELS) + PRINT_NOTE + _cjk_text_in_data_files() + SPECIAL_OPS.title + SAFETY_MGMT.title
    assert len(text) > 50
    for role in ("sans", "sans_bold"):
        assert missing_chars(text, role) == set(), role
    assert missing_chars(SPECIAL_OPS.title + SAFETY_MGMT.title, "serif_bold") == set()


def test_missing_glyphs_are_detected() -> None:
    assert missing_chars("中कก", "sans") == {"क", "ก"}


def test_the_seal_is_red_and_round() -> None:
    seal = seal_image("重庆市应急管理局", size=200)
    assert seal.getpixel((100, 3))[0] > 150 and seal.getpixel((100, 3))[3] > 100  # ring at the top
    assert seal.getpixel((2, 2))[3] == 0  # transparent corner


