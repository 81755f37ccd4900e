"""The vector PDF: base fonts with a full-face fallback, and a cached page with the marks laid over it."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from app.render import pdf_fonts
from app.render.card import draw_card
from app.render.certificate import HEIGHT, draw_background
from app.render.fonts import font_file
from app.render.marks import Annotation
from app.render.pdf import A4_PX, OFFSET, PRINT_NOTE, _document, render_pdf, render_pdf_base, stamp_pdf
from app.render.pdf_fonts import face_for
from tests.unit.test_render import QR_TEXT, SAFETY_MGMT, SPECIAL_OPS, WATERMARK

RARE_NAME = "李䶮𠮷"  # 䶮 (CJK Ext. A) and 𠮷 (Ext. B) are outside GB2312 and the layout's common text
POPPLER = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")


@pytest.mark.parametrize(("role", "text", "full"), [
    ("sans", "发证日期　2026-06-01", False),
    ("sans", "状态：已撤销（生成时）", False),
    ("sans", WATERMARK, False),
    ("sans", "提供给重庆长江化工有限公司 · 2027-03-01前有效", False),  # a copy's annotation: the hanzi base
    ("serif_bold", SPECIAL_OPS.title, False),
    ("sans_bold", "电子证照专用章", False),
    ("sans_bold", RARE_NAME, True),
    ("sans", "第 2 版 䶮", True),
    ("sans_bold", "𠮷", True),
])
def test_text_outside_the_base_font_is_set_in_the_full_face(role: str, text: str, full: bool) -> None:
    face = face_for(role, text)
    assert ((face.path, face.index) == font_file(role)) is full


def test_a_base_is_cut_once_then_read_from_the_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cuts: list[str] = []
    cut = pdf_fonts.cut_base
    monkeypatch.setattr(pdf_fonts, "cut_base", lambda role, tier, target: cuts.append(tier) or cut(role, tier, target))
    for _process in range(2):
        face = pdf_fonts.BaseFonts(tmp_path).covering("serif_bold", SPECIAL_OPS.title)
        assert face is not None and Path(face.path).parent == tmp_path
    assert cuts == ["layout"]


def test_a_cache_folder_that_cannot_be_written_falls_back_to_a_private_one(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    fonts = pdf_fonts.BaseFonts(blocker / "fonts")  # its private folder lives as long as it does
    face = fonts.covering("serif_bold", "电子证照")
    assert face is not None and Path(face.path).is_file() and not face.path.startswith(str(blocker))


def _poppler(tool: str, pdf: bytes, *args: str) -> bytes:
    """What a poppler tool prints for a PDF given as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f.pdf"
        path.write_bytes(pdf)
        after = ["-"] if tool == "pdftotext" else []
        return subprocess.run([tool, *args, str(path), *after], capture_output=True, check=True).stdout


def _text(pdf: bytes) -> str:
    """The text in reading order, rotated watermark lines kept whole."""
    return _poppler("pdftotext", pdf, "-raw").decode()


@POPPLER
def test_a_rare_character_name_is_embedded_and_searchable() -> None:
    pdf = render_pdf(replace(SPECIAL_OPS, holder_name=RARE_NAME), QR_TEXT, WATERMARK)
    assert RARE_NAME in _text(pdf)
    cjk = [line.split() for line in _poppler("pdffonts", pdf).decode().splitlines() if "CJKSC" in line]
    assert cjk and all(row[-5:-2] == ["yes", "yes", "yes"] for row in cjk)  # embedded, subset, unicode map


def _raster(pdf: bytes) -> Image.Image:
    png = _poppler("pdftoppm", pdf, "-r", "100", "-png", "-singlefile")
    return Image.open(io.BytesIO(png)).convert("RGB")


def _drawn_in_one_pass(view: object, watermark: str | None, annotation: Annotation | None) -> bytes:
    """The page as it was drawn before the cache: background, card with its marks and QR code, note."""
    pdf, canvas = _document(view.title)  # type: ignore[attr-defined]
    draw_background(canvas, view.kind, view.title)  # type: ignore[attr-defined]
    draw_card(canvas, view, QR_TEXT, watermark, annotation)  # type: ignore[arg-type]
    canvas.text((A4_PX[0] / 2 - OFFSET[0], HEIGHT + 40), PRINT_NOTE, "sans", 22, (120, 120, 120), anchor="mm")
    return bytes(pdf.output())


@POPPLER
@pytest.mark.parametrize(("view", "watermark", "annotation"), [
    (replace(SPECIAL_OPS, stamp="已撤销", status_label="已撤销"), WATERMARK, None),
    (SAFETY_MGMT, None, Annotation("入职审核", "重庆长江化工有限公司", "2027-03-01")),
])
def test_the_stamped_page_looks_exactly_like_the_page_drawn_in_one_pass(
        view: object, watermark: str | None, annotation: Annotation | None) -> None:
    stamped = _raster(render_pdf(view, QR_TEXT, watermark, annotation))  # type: ignore[arg-type]
    difference = ImageChops.difference(stamped, _raster(_drawn_in_one_pass(view, watermark, annotation)))
    assert difference.convert("L").point(lambda v: 255 if v > 8 else 0).getbbox() is None


@POPPLER
def test_one_base_serves_every_minute_with_that_minutes_watermark() -> None:
    base = render_pdf_base(SPECIAL_OPS, QR_TEXT)
    first, second = (stamp_pdf(base, f"仅供持证人使用 2026-11-28 14:0{m} 下载") for m in (3, 4))
    assert "14:03" in _text(first) and "14:04" not in _text(first)
    assert "14:04" in _text(second) and SPECIAL_OPS.holder_name in _text(second)
    with pikepdf.open(io.BytesIO(second)) as document:
        assert len(document.pages) == 1  # the QR code's page of the base is laid over, not printed
