"""The certificate layout: one portrait card per kind, 1080 x 1600 pixels, drawn on any Canvas.

The PNG (phones) paints it with Pillow; the PDF (printing) draws the same calls as vectors. For the
PNG the static part (paper, frame, title, labels) is drawn once per kind and cached. Layout notes
and how it differs from the national style: docs/certificate-layout.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image

from app.render.canvas import Canvas, RasterCanvas
from app.render.fonts import font

WIDTH, HEIGHT = 1080, 1600
PAPER = (251, 248, 240)
INK = (28, 28, 30)
LABEL_INK = (105, 100, 92)
GOLD = (184, 150, 62)
ACCENT = {"special_ops": (139, 26, 26), "safety_mgmt": (22, 58, 110)}
MARGIN = 40
LEFT, LABEL_W, RIGHT = 96, 200, WIDTH - 96
PHOTO_BOX = (756, 276, 984, 580)  # 228 x 304, 3:4
TOP_ROWS_Y, MAX_ROW_H = 270, 70
QR_MAX, FOOTER_BOTTOM = 560, 1440  # the QR (with quiet zone) fits in QR_MAX, its bottom at FOOTER_BOTTOM
ROWS_BOTTOM = FOOTER_BOTTOM - QR_MAX - 12  # rows share the space above the footer: no empty band
COLUMN_X = LEFT + QR_MAX + 36  # the column right of the QR: authority, date, seal, status
SEAL_SIZE = 220
LEGAL_NOTE_Y, ANNOTATION_Y = HEIGHT - 76, HEIGHT - 106
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
    issue_date: str = ""  # 发证日期 printed by the seal; empty: valid_from
    stamp: str = ""  # a status that makes the certificate unusable (已撤销 …): stamped across it


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
    "姓　　名", "性　　别", "证件号码", "证　　号", "证书编号", "作业类别", "操作项目", "人员类型", "行业类别",
    "单位名称", "初领日期", "有效期限", "应复审日期", "实际复审日期", "签发机关", "发证日期", "状态", "版本",
    "电子证照", "扫码核验真伪", "核验网址", "至", "第", "版", "生成时", "不能作为有效证件使用", LEGAL_NOTE,
)


def row_height(kind: str) -> float:
    """Rows of a kind share the space between the header and the footer."""
    probe = CertificateView(kind, "", "", "", "", "", "", "", "", "", "", 1)
    return min(MAX_ROW_H, (ROWS_BOTTOM - TOP_ROWS_Y) / len(rows(probe)))


def _row_y(kind: str, index: int) -> float:
    return TOP_ROWS_Y + index * row_height(kind)


def _value_right(kind: str, index: int) -> float:
    """Rows beside the photo stop before it."""
    return PHOTO_BOX[0] - 24 if _row_y(kind, index) < PHOTO_BOX[3] else RIGHT


def fit_size(text: str, role: str, size: int, width: float, smallest: int = 22) -> int:
    """Largest size <= size at which text fits width (never below smallest)."""
    while size > smallest and font(role, size).getlength(text) > width:
        size -= 2
    return size


# --- the static part --------------------------------------------------------------------------


def _guilloche(canvas: Canvas, accent: tuple[int, int, int]) -> None:
    """Fine interlaced wave lines as a security-paper background."""
    tint = tuple(round(p * 0.86 + a * 0.14) for p, a in zip(PAPER, accent, strict=True))
    for k in range(0, HEIGHT, 36):
        points = [(x, k + 14 * math.sin(x / 53 + k / 90) + 6 * math.sin(x / 17)) for x in range(0, WIDTH + 8, 8)]
        canvas.line(points, tint, 1)  # type: ignore[arg-type]


def _frame(canvas: Canvas, accent: tuple[int, int, int]) -> None:
    canvas.rect((MARGIN, MARGIN, WIDTH - MARGIN, HEIGHT - MARGIN), outline=accent, width=8)
    inner = MARGIN + 16
    canvas.rect((inner, inner, WIDTH - inner, HEIGHT - inner), outline=GOLD, width=2)
    for cx, cy in ((inner, inner), (WIDTH - inner, inner), (inner, HEIGHT - inner), (WIDTH - inner, HEIGHT - inner)):
        canvas.polygon([(cx, cy - 10), (cx + 10, cy), (cx, cy + 10), (cx - 10, cy)], GOLD)


def _header(canvas: Canvas, title: str, accent: tuple[int, int, int]) -> None:
    size = fit_size(title, "serif_bold", 62, WIDTH - 2 * LEFT, smallest=36)
    canvas.text((WIDTH / 2, 128), title, "serif_bold", size, accent, anchor="mm")
    canvas.line([(LEFT + 120, 192), (WIDTH / 2 - 90, 192)], GOLD, 2)
    canvas.line([(WIDTH / 2 + 90, 192), (RIGHT - 120, 192)], GOLD, 2)
    canvas.text((WIDTH / 2, 192), "电子证照", "serif_bold", 30, GOLD, anchor="mm")


def draw_background(canvas: Canvas, kind: str, title: str) -> None:
    """Paper, frame, title, the kind's labels and the footer's fixed words."""
    accent = ACCENT.get(kind, ACCENT["special_ops"])
    canvas.rect((0, 0, WIDTH, HEIGHT), fill=PAPER)
    _guilloche(canvas, accent)
    _frame(canvas, accent)
    _header(canvas, title, accent)
    probe = CertificateView(kind, title, "", "", "", "", "", "", "", "", "", 1)
    height = row_height(kind)
    for i, (label, _) in enumerate(rows(probe)):
        y = _row_y(kind, i)
        canvas.text((LEFT, y + height / 2), label, "sans", 30, LABEL_INK)
        canvas.line([(LEFT, y + height - 6), (_value_right(kind, i), y + height - 6)], (222, 214, 198), 1)
    canvas.rect(PHOTO_BOX, outline=GOLD, width=2)
    canvas.text((COLUMN_X, FOOTER_BOTTOM - QR_MAX + 18), "签发机关", "sans", 28, LABEL_INK)
    canvas.text((WIDTH / 2, LEGAL_NOTE_Y), LEGAL_NOTE, "sans", 24, LABEL_INK, anchor="mm")


@lru_cache(maxsize=8)
def static_background(kind: str, title: str) -> Image.Image:
    """The background as a Pillow image; cached, always copy before drawing."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw_background(RasterCanvas(image), kind, title)
    return image
