"""What changes from one certificate to the next: values, photo, QR code, seal, status stamp, marks."""

from __future__ import annotations

import io
import math
from functools import lru_cache
from urllib.parse import urlsplit

from PIL import Image, ImageDraw, ImageOps

from app.render import marks
from app.render.canvas import Box, Canvas, RasterCanvas
from app.render.certificate import (
    ANNOTATION_Y,
    COLUMN_X,
    FOOTER_BOTTOM,
    INK,
    LABEL_INK,
    LABEL_W,
    LEFT,
    PHOTO_BOX,
    QR_MAX,
    RIGHT,
    ROWS_BOTTOM,
    SEAL_SIZE,
    TOP_ROWS_Y,
    WIDTH,
    CertificateView,
    _row_y,
    _value_right,
    fit_size,
    row_height,
    rows,
    static_background,
)
from app.render.fonts import font
from app.render.qr import qr_image, qr_matrix, qr_module

STAMP_CENTRE = ((LEFT + PHOTO_BOX[0]) / 2, (TOP_ROWS_Y + ROWS_BOTTOM) / 2 + 40)
STAMP_ANGLE = 14.0  # degrees, counter-clockwise, like a hand-pressed rubber stamp


def qr_box(qr_text: str) -> Box:
    """Where the QR code (with its quiet zone) sits: bottom-left, as large as whole pixels allow."""
    side = len(qr_matrix(qr_text)) * qr_module(qr_text, QR_MAX)
    top = FOOTER_BOTTOM - side
    return LEFT, top, LEFT + side, FOOTER_BOTTOM


def _draw_value(canvas: Canvas, kind: str, index: int, value: str) -> None:
    x, width = LEFT + LABEL_W, _value_right(kind, index) - LEFT - LABEL_W
    size = fit_size(value, "sans_bold", 34, width, smallest=24)
    y = _row_y(kind, index) + row_height(kind) / 2
    if font("sans_bold", size).getlength(value) <= width:
        canvas.text((x, y), value, "sans_bold", size, INK)
        return
    cut = len(value) // 2  # still too long at the smallest size: two lines, nothing dropped
    for line, dy in ((value[:cut], -14), (value[cut:], 14)):
        canvas.text((x, y + dy), line, "sans_bold", size, INK)


@lru_cache(maxsize=2)
def placeholder_photo(size: tuple[int, int]) -> Image.Image:
    """A neutral silhouette for certificates without a photo."""
    w, h = size
    image = Image.new("RGB", size, (228, 232, 238))
    draw = ImageDraw.Draw(image)
    draw.ellipse((w * 0.30, h * 0.16, w * 0.70, h * 0.50), fill=(176, 184, 196))
    draw.ellipse((w * 0.10, h * 0.56, w * 0.90, h * 1.25), fill=(176, 184, 196))
    return image


def _photo(photo: bytes | None, size: tuple[int, int]) -> Image.Image:
    if photo is None:
        return placeholder_photo(size)
    with Image.open(io.BytesIO(photo)) as raw:
        return ImageOps.fit(ImageOps.exif_transpose(raw).convert("RGB"), size, Image.Resampling.LANCZOS)


def _authority_lines(name: str, width: float) -> list[tuple[str, int]]:
    """The authority's name in one line, or two when one would be too small to read."""
    size = fit_size(name, "sans_bold", 34, width, smallest=28)
    if font("sans_bold", size).getlength(name) <= width:
        return [(name, size)]
    cut = (len(name) + 1) // 2
    return [(part, fit_size(part, "sans_bold", 34, width, smallest=22)) for part in (name[:cut], name[cut:])]


def seal_box(authority: str) -> Box:
    """Where the seal goes: under the authority's name and the issue date, never over text."""
    lines = len(_authority_lines(authority, RIGHT - COLUMN_X))
    x, y = COLUMN_X + (RIGHT - COLUMN_X - SEAL_SIZE) / 2, FOOTER_BOTTOM - QR_MAX + 102 + 42 * lines
    return x, y, x + SEAL_SIZE, y + SEAL_SIZE


def _footer(canvas: Canvas, view: CertificateView, qr_text: str) -> None:
    """Right of the QR code: authority, issue date, the seal under them, status."""
    y = FOOTER_BOTTOM - QR_MAX + 62
    for line, size in _authority_lines(view.issuing_authority, RIGHT - COLUMN_X):
        canvas.text((COLUMN_X, y), line, "sans_bold", size, INK)
        y += 42
    canvas.text((COLUMN_X, y + 8), f"发证日期　{view.issue_date or view.valid_from}", "sans", 26, INK)
    canvas.seal(seal_box(view.issuing_authority)[:2], view.issuing_authority, SEAL_SIZE)
    width = RIGHT - COLUMN_X
    small = 24
    canvas.text((COLUMN_X, FOOTER_BOTTOM - 84), f"状态：{view.status_label}（生成时）", "sans", small, INK)
    canvas.text((COLUMN_X, FOOTER_BOTTOM - 48), f"第 {view.version} 版", "sans", small, INK)
    host = urlsplit(qr_text).hostname or ""
    if host:
        size = fit_size(f"核验网址：{host}", "sans", 22, width, smallest=16)
        canvas.text((COLUMN_X, FOOTER_BOTTOM - 14), f"核验网址：{host}", "sans", size, LABEL_INK)
    left, _, right, bottom = qr_box(qr_text)
    canvas.text(((left + right) / 2, bottom + 22), "扫码核验真伪", "sans_bold", 28, INK, anchor="mm")


def draw_status_stamp(canvas: Canvas, label: str) -> None:
    """A red band under the title and a rubber stamp across the fields: never a clean-looking copy."""
    canvas.rect((LEFT, 212, RIGHT, 254), fill=marks.STAMP_RED)
    canvas.text((WIDTH / 2, 233), f"本证书{label}，不能作为有效证件使用", "sans_bold", 28, (255, 255, 255), anchor="mm")
    size = fit_size(label, "sans_bold", 150, 560, smallest=80)
    width, height = font("sans_bold", size).getlength(label) + 80, size + 60
    cx, cy = STAMP_CENTRE
    turn = math.radians(-STAMP_ANGLE)  # screen y points down: counter-clockwise is a negative turn
    corners = [(dx * width / 2, dy * height / 2) for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1))]
    outline = [(cx + x * math.cos(turn) - y * math.sin(turn), cy + x * math.sin(turn) + y * math.cos(turn))
               for x, y in corners]
    canvas.line(outline, marks.STAMP_RED, 10)
    canvas.text((cx, cy), label, "sans_bold", size, marks.STAMP_RED, anchor="mm", angle=STAMP_ANGLE, opacity=0.85)


def draw_card(canvas: Canvas, view: CertificateView, qr_text: str, watermark: str | None = None,
              annotation: marks.Annotation | None = None) -> None:
    """Everything on top of the background; the QR code last, so no mark ever covers it."""
    draw_fields(canvas, view, qr_text)
    draw_marks(canvas, qr_box(qr_text), watermark, annotation)
    draw_qr(canvas, qr_text)


def draw_fields(canvas: Canvas, view: CertificateView, qr_text: str) -> None:
    """Values, photo, footer, seal and status stamp: what every download of a certificate version shares."""
    for i, (_, value) in enumerate(rows(view)):
        _draw_value(canvas, view.kind, i, value)
    box = PHOTO_BOX
    inner = (box[0] + 4, box[1] + 4, box[2] - 4, box[3] - 4)
    canvas.image(inner, _photo(view.photo, (int(inner[2] - inner[0]), int(inner[3] - inner[1]))))
    _footer(canvas, view, qr_text)
    if view.stamp:
        draw_status_stamp(canvas, view.stamp)


def draw_marks(canvas: Canvas, keep_clear: Box, watermark: str | None, annotation: marks.Annotation | None) -> None:
    """The download watermark, or a shared copy's annotation (stronger, and its note in full)."""
    if annotation is not None:
        canvas.text((WIDTH / 2, ANNOTATION_Y), annotation.note(), "sans_bold", 24, INK, anchor="mm")
        canvas.watermark(annotation.lines(), keep_clear, marks.ANNOTATION_STRENGTH)
    elif watermark:
        canvas.watermark([watermark], keep_clear, marks.WATERMARK_STRENGTH)


def draw_qr(canvas: Canvas, qr_text: str) -> None:
    """The printed QR code with its white quiet zone, over anything drawn before it."""
    canvas.qr(qr_box(qr_text)[:2], qr_text, QR_MAX)


def render_image(view: CertificateView, qr_text: str, watermark: str | None,
                 annotation: marks.Annotation | None = None) -> Image.Image:
    """The certificate as a Pillow image (RGB, WIDTH x HEIGHT)."""
    image = static_background(view.kind, view.title).copy()
    draw_card(RasterCanvas(image), view, qr_text, watermark, annotation)
    return image


def render_png(view: CertificateView, qr_text: str, watermark: str | None,
               annotation: marks.Annotation | None = None) -> bytes:
    """The certificate as PNG bytes (1080 px wide, for phones)."""
    out = io.BytesIO()
    render_image(view, qr_text, watermark, annotation).save(out, format="PNG", compress_level=3)
    return out.getvalue()


__all__ = ["draw_card", "draw_fields", "draw_marks", "draw_qr", "qr_box", "qr_image", "render_image", "render_png"]
