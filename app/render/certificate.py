"""The certificate image: one portrait layout per kind, about 1080 px wide, for phones.

The static part (paper, frame, title, labels) is drawn once per kind and cached; a render draws
only the values, photo, QR code, seal and watermark on a copy.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import qrcode
from PIL import Image, ImageDraw, ImageOps

from app.render.fonts import font
from app.render.seal import seal_image, stamp

WIDTH, HEIGHT = 1080, 1600
PAPER = (251, 248, 240)
INK = (28, 28, 30)
LABEL_INK = (105, 100, 92)
GOLD = (184, 150, 62)
ACCENT = {"special_ops": (139, 26, 26), "safety_mgmt": (22, 58, 110)}
MARGIN = 40
LEFT, LABEL_W, RIGHT = 96, 200, WIDTH - 96
PHOTO_BOX = (756, 322, 984, 626)  # 228 x 304, 3:4
ROW_H, TOP_ROWS_Y = 70, 326
QR_TOP, QR_SIZE = 1046, 400
SEAL_SIZE = 250
WATERMARK_INK, WATERMARK_ALPHA = (120, 110, 100), 64
LEGAL_NOTE = "本电子证照与实体证书具有同等法律效力，真伪与状态以扫码核验结果为准"


@dataclass(frozen=True)
class CertificateView:
    """Plain display values of one certificate (already masked or formatted as they should appear)."""

    kind: str  # "special_ops" | "safety_mgmt"
    title: str  # e.g. 中华人民共和国特种作业操作证
    holder_name: str
    gender: str
    id_number: str  # masked or full, as given
    cert_number: str  # as given
    first_issued: str
    valid_from: str
    valid_until: str
    issuing_authority: str
    status_label: str
    version: int
    category: str = ""  # special_ops: 作业类别
    item: str = ""  # special_ops: 操作项目
    review_due: str = ""  # special_ops: 应复审日期
    review_done: str = ""  # special_ops: 实际复审日期
    personnel_type: str = ""  # safety_mgmt: 人员类型
    industry: str = ""  # safety_mgmt: 行业类别
    employer: str = ""  # safety_mgmt: 单位名称
    photo: bytes | None = None


def rows(view: CertificateView) -> list[tuple[str, str]]:
    """(label, value) rows of the layout for the view's kind, in display order."""
    head = [
        ("姓　　名", view.holder_name),
        ("性　　别", view.gender),
        ("证件号码", view.id_number),
        ("证　　号" if view.kind == "special_ops" else "证书编号", view.cert_number),
    ]
    if view.kind == "special_ops":
        body = [("作业类别", view.category), ("操作项目", view.item)]
    else:
        body = [("人员类型", view.personnel_type), ("行业类别", view.industry), ("单位名称", view.employer)]
    dates = [("初领日期", view.first_issued), ("有效期限", f"{view.valid_from} 至 {view.valid_until}")]
    if view.kind == "special_ops":
        dates += [("应复审日期", view.review_due or "—"), ("实际复审日期", view.review_done or "—")]
    return head + body + dates


LABELS = (
    "姓　　名",
    "性　　别",
    "证件号码",
    "证　　号",
    "证书编号",
    "作业类别",
    "操作项目",
    "人员类型",
    "行业类别",
    "单位名称",
    "初领日期",
    "有效期限",
    "应复审日期",
    "实际复审日期",
    "签发机关",
    "状态",
    "版本",
    "电子证照",
    "扫码核验真伪",
    "核验网址",
    "至",
    "第",
    "版",
    "生成时",
    LEGAL_NOTE,
)


def _row_y(index: int) -> int:
    return TOP_ROWS_Y + index * ROW_H


def _value_right(index: int) -> int:
    """Rows beside the photo stop before it."""
    return PHOTO_BOX[0] - 24 if _row_y(index) < PHOTO_BOX[3] else RIGHT


def _guilloche(draw: ImageDraw.ImageDraw, accent: tuple[int, int, int]) -> None:
    """Fine interlaced wave lines as a security-paper background."""
    tint = tuple(round(p * 0.86 + a * 0.14) for p, a in zip(PAPER, accent, strict=True))
    for k in range(0, HEIGHT, 36):
        points = [
            (x, k + 14 * math.sin(x / 53 + k / 90) + 6 * math.sin(x / 17)) for x in range(0, WIDTH + 8, 8)
        ]
        draw.line(points, fill=tint, width=1)


def _frame(draw: ImageDraw.ImageDraw, accent: tuple[int, int, int]) -> None:
    draw.rectangle((MARGIN, MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN), outline=accent, width=8)
    draw.rectangle(
        (MARGIN + 16, MARGIN + 16, WIDTH - MARGIN - 16, HEIGHT - MARGIN - 16), outline=GOLD, width=2
    )
    for cx, cy in (
        (MARGIN + 16, MARGIN + 16),
        (WIDTH - MARGIN - 16, MARGIN + 16),
        (MARGIN + 16, HEIGHT - MARGIN - 16),
        (WIDTH - MARGIN - 16, HEIGHT - MARGIN - 16),
    ):
        draw.regular_polygon((cx, cy, 10), 4, rotation=45, fill=GOLD)


def _fit_font(text: str, role: str, size: int, width: int, smallest: int = 22) -> tuple[str, int]:
    """Largest size <= size at which text fits width (never below smallest)."""
    while size > smallest and font(role, size).getlength(text) > width:
        size -= 2
    return role, size


def _header(draw: ImageDraw.ImageDraw, title: str, accent: tuple[int, int, int]) -> None:
    role, size = _fit_font(title, "serif_bold", 62, WIDTH - 2 * LEFT, smallest=36)
    draw.text((WIDTH / 2, 150), title, font=font(role, size), fill=accent, anchor="mm")
    draw.line((LEFT + 120, 222, WIDTH / 2 - 90, 222), fill=GOLD, width=2)
    draw.line((WIDTH / 2 + 90, 222, RIGHT - 120, 222), fill=GOLD, width=2)
    draw.text((WIDTH / 2, 222), "电子证照", font=font("serif_bold", 30), fill=GOLD, anchor="mm")


@lru_cache(maxsize=8)
def static_background(kind: str, title: str) -> Image.Image:
    """Paper, frame, title and the kind's labels; cached, always copy before drawing."""
    accent = ACCENT.get(kind, ACCENT["special_ops"])
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    _guilloche(draw, accent)
    _frame(draw, accent)
    _header(draw, title, accent)
    probe = CertificateView(kind, title, "", "", "", "", "", "", "", "", "", 1)
    for i, (label, _) in enumerate(rows(probe)):
        draw.text((LEFT, _row_y(i) + ROW_H / 2), label, font=font("sans", 30), fill=LABEL_INK, anchor="lm")
        draw.line((LEFT, _row_y(i) + ROW_H - 6, _value_right(i), _row_y(i) + ROW_H - 6), fill=(222, 214, 198))
    draw.rectangle(PHOTO_BOX, outline=GOLD, width=2)
    draw.text((WIDTH / 2, HEIGHT - 92), LEGAL_NOTE, font=font("sans", 24), fill=LABEL_INK, anchor="mm")
    return image


def _draw_value(draw: ImageDraw.ImageDraw, index: int, value: str) -> None:
    x, width = LEFT + LABEL_W, _value_right(index) - LEFT - LABEL_W
    role, size = _fit_font(value, "sans_bold", 34, width, smallest=24)
    y = _row_y(index) + ROW_H / 2
    if font(role, size).getlength(value) <= width:
        draw.text((x, y), value, font=font(role, size), fill=INK, anchor="lm")
        return
    cut = len(value) // 2  # still too long at the smallest size: two lines, nothing dropped
    for line, dy in ((value[:cut], -15), (value[cut:], 15)):
        draw.text((x, y + dy), line, font=font(role, size), fill=INK, anchor="lm")


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


@lru_cache(maxsize=256)
def qr_image(text: str, size: int) -> Image.Image:
    """A QR code (error correction M, quiet zone 4) at whole-pixel modules, at most `size` wide."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text, optimize=0)
    code.make(fit=True)
    matrix = code.get_matrix()
    modules = Image.new("1", (len(matrix), len(matrix)))
    modules.putdata([0 if dark else 1 for row in matrix for dark in row])
    scale = max(size // len(matrix), 1)
    return modules.resize((len(matrix) * scale,) * 2, Image.Resampling.NEAREST).convert("RGB")


def qr_box(qr_text: str) -> tuple[int, int, int, int]:
    """Where the QR code (with its quiet zone) sits; kept clear of the watermark."""
    side = qr_image(qr_text, QR_SIZE).width
    return LEFT, QR_TOP, LEFT + side, QR_TOP + side


def _footer(image: Image.Image, view: CertificateView, qr_text: str) -> None:
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = qr_box(qr_text)
    image.paste(qr_image(qr_text, QR_SIZE), (left, top))
    draw.text(
        ((left + right) / 2, bottom + 24), "扫码核验真伪", font=font("sans_bold", 28), fill=INK, anchor="mm"
    )
    host = urlsplit(qr_text).hostname or ""
    x = right + 60
    draw.text((x, top + 30), "签发机关", font=font("sans", 30), fill=LABEL_INK, anchor="lm")
    _, size = _fit_font(view.issuing_authority, "sans_bold", 38, RIGHT - x)
    draw.text((x, top + 86), view.issuing_authority, font=font("sans_bold", size), fill=INK, anchor="lm")
    stamp(image, seal_image(view.issuing_authority, size=SEAL_SIZE), (RIGHT - SEAL_SIZE, top - 24))
    small = font("sans", 26)
    draw.text(
        (x, top + 248),
        f"状态：{view.status_label}（生成时）　第 {view.version} 版",
        font=small,
        fill=INK,
        anchor="lm",
    )
    if host:
        draw.text((x, top + 296), f"核验网址：{host}", font=small, fill=LABEL_INK, anchor="lm")


@lru_cache(maxsize=4)
def _watermark_mask(text: str, size: tuple[int, int]) -> Image.Image:
    """An "L" mask of text tiled diagonally; cached because downloads in one minute share it."""
    tile_font = font("sans", 34)
    width = round(tile_font.getlength(text)) + 20
    tile = Image.new("L", (width, 50), 0)
    ImageDraw.Draw(tile).text((10, 25), text, font=tile_font, fill=WATERMARK_ALPHA, anchor="lm")
    tile = tile.rotate(30, expand=True, resample=Image.Resampling.BICUBIC)
    mask = Image.new("L", size, 0)
    for row, y in enumerate(range(-tile.height // 2, size[1], 300)):
        for x in range(-tile.width + (row % 2) * 260, size[0], width + 120):
            mask.paste(tile, (x, y), tile)
    return mask


def draw_watermark(image: Image.Image, text: str, keep_clear: tuple[int, int, int, int]) -> None:
    """Stamp text diagonally across the image, light, leaving keep_clear (the QR code) untouched."""
    clear = image.crop(keep_clear)
    image.paste(WATERMARK_INK, (0, 0, *image.size), _watermark_mask(text, image.size))
    image.paste(clear, keep_clear[:2])


def render_image(view: CertificateView, qr_text: str, watermark: str | None) -> Image.Image:
    """The certificate as a Pillow image (RGB, WIDTH x HEIGHT)."""
    image = static_background(view.kind, view.title).copy()
    draw = ImageDraw.Draw(image)
    for i, (_, value) in enumerate(rows(view)):
        _draw_value(draw, i, value)
    box = PHOTO_BOX
    image.paste(_photo(view.photo, (box[2] - box[0] - 8, box[3] - box[1] - 8)), (box[0] + 4, box[1] + 4))
    _footer(image, view, qr_text)
    if watermark:
        draw_watermark(image, watermark, qr_box(qr_text))
    return image


def render_png(view: CertificateView, qr_text: str, watermark: str | None) -> bytes:
    """The certificate as PNG bytes (about 1080 px wide, for phones)."""
    out = io.BytesIO()
    render_image(view, qr_text, watermark).save(out, format="PNG", compress_level=3)
    return out.getvalue()
