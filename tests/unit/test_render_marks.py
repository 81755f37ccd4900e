"""The layout fixes, the status stamp and a copy's annotation, on the PNG and the PDF alike."""

from __future__ import annotations

import io
import itertools
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from app.render import Annotation, render_pdf, render_png
from app.render.card import seal_box
from app.render.certificate import ROWS_BOTTOM, TOP_ROWS_Y, row_height, rows
from app.render.seal import MAX_ARC, arc_angles
from tests.unit.test_render import QR_TEXT, SAFETY_MGMT, SPECIAL_OPS, VIEWS, WATERMARK, _decode

REVOKED = replace(SAFETY_MGMT, status_label="已撤销", stamp="已撤销")
COPY = Annotation("入职审核", "重庆长江化工有限公司", "2027-03-01")


def _png(view: object, annotation: Annotation | None = None) -> Image.Image:
    return Image.open(io.BytesIO(render_png(view, QR_TEXT, WATERMARK, annotation))).convert("RGB")  # type: ignore[arg-type]


def _pdf_text(view: object, tmp_path: Path, annotation: Annotation | None = None) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (Debian package poppler-utils)")
    pdf = tmp_path / "cert.pdf"
    pdf.write_bytes(render_pdf(view, QR_TEXT, WATERMARK, annotation))  # type: ignore[arg-type]
    return subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _red(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(1 for r, g, b in image.crop(box).getdata() if r > 150 and g < 90 and b < 90)


@pytest.mark.parametrize("count", [2, 8, 11, 16])
def test_the_seal_spaces_its_characters_evenly_and_symmetrically(count: int) -> None:
    angles, _size = arc_angles(count, 30, 120)
    steps = {round(b - a, 6) for a, b in itertools.pairwise(angles)}
    assert len(steps) == 1 and abs(angles[0] + angles[-1]) < 1e-9 and angles[-1] - angles[0] <= MAX_ARC


@pytest.mark.parametrize("kind", list(VIEWS))
def test_no_text_is_drawn_over_the_seal(kind: str) -> None:
    view = VIEWS[kind]
    x0, y0, x1, y1 = (round(v) for v in seal_box(view.issuing_authority))
    seal = _png(replace(view, status_label="有效")).crop((x0, y0, x1, y1))
    black = [p for p in seal.getdata() if max(p) < 90]
    assert black == []  # black ink over the red seal would hide its characters


@pytest.mark.parametrize("kind", list(VIEWS))
def test_the_rows_fill_the_space_above_the_qr_code(kind: str) -> None:
    count = len(rows(VIEWS[kind]))
    assert abs(TOP_ROWS_Y + count * row_height(kind) - ROWS_BOTTOM) < 1  # no empty band


def test_a_revoked_certificate_is_stamped_on_the_png_and_its_code_still_verifies() -> None:
    clean, revoked = _png(SAFETY_MGMT), _png(REVOKED)
    fields = (96, 262, 740, 868)
    assert _red(revoked, fields) > 20 * _red(clean, fields) + 5000
    assert _decode(revoked) == [QR_TEXT]  # an inspector still gets the live verdict


def test_a_revoked_certificate_is_stamped_on_the_pdf(tmp_path: Path) -> None:
    text = _pdf_text(REVOKED, tmp_path)
    assert "本证书已撤销，不能作为有效证件使用" in text and "已撤销" in text.replace("本证书已撤销", "")
    assert "不能作为有效证件使用" not in _pdf_text(SPECIAL_OPS, tmp_path)


def test_an_annotated_copy_carries_its_purpose_recipient_and_expiry(tmp_path: Path) -> None:
    text = _pdf_text(SPECIAL_OPS, tmp_path, COPY)
    assert COPY.note() in text
    plain, annotated = _png(SPECIAL_OPS), _png(SPECIAL_OPS, COPY)
    assert plain.tobytes() != annotated.tobytes() and _decode(annotated) == [QR_TEXT]
