"""The printable A4 PDF: the card drawn as vectors, text in an embedded subset of Noto CJK.

fpdf2 embeds a subset of the CFF-flavoured Noto Sans/Serif CJK (a CIDFontType0C font: `pdffonts`
shows emb yes, sub yes), so the text can be selected, searched and printed sharp; the QR code and
the seal are vector paths; only the photo is an image. One card pixel is one unit here, 1/150 inch,
so the card is 183 mm wide on the page as before.

Speed (docs/certificate-layout.md, "PDF speed"): text is set in small base fonts where they cover it
(pdf_fonts), and a download does not redraw the page: render_pdf_base draws what every download of a
certificate version shares, stamp_pdf lays the minute's marks and the QR code over it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

import pikepdf
from fpdf import FPDF
from PIL import Image

from app.render import marks
from app.render.canvas import RGB, Box, Point, text_origin
from app.render.card import draw_fields, draw_marks, draw_qr, qr_box
from app.render.certificate import HEIGHT, WIDTH, CertificateView, draw_background
from app.render.pdf_fonts import face_for
from app.render.qr import qr_matrix, qr_module
from app.render.seal import BOTTOM_TEXT, SEAL_OPACITY, SEAL_RED, seal_shape

DPI = 150
PT_PER_PX = 72 / DPI
A4_PX = (1240, 1754)  # 210 x 297 mm at 150 dpi
OFFSET = ((A4_PX[0] - WIDTH) / 2, (A4_PX[1] - HEIGHT) / 2 - 20)
NO_BOX: Box = (0, 0, 0, 0)
PRINT_NOTE = "打印件 · 真伪与状态以扫码核验结果为准"


class PdfCanvas:
    """Draws the card into an fpdf2 document, shifted onto the middle of an A4 page."""

    def __init__(self, pdf: FPDF) -> None:
        self.pdf, self._fonts = pdf, set[str]()

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return x + OFFSET[0], y + OFFSET[1]

    def _font(self, role: str, size: float, text: str) -> None:
        face = face_for(role, text)
        if face.family not in self._fonts:
            self.pdf.add_font(face.family, "", face.path, collection_font_number=face.index)
            self._fonts.add(face.family)
        self.pdf.set_font(face.family, size=size * PT_PER_PX)

    def line(self, points: Sequence[Point], color: RGB, width: float) -> None:
        self.pdf.set_draw_color(*color)
        self.pdf.set_line_width(width)
        self.pdf.polyline([self._xy(*p) for p in points], style="D")

    def rect(self, box: Box, fill: RGB | None = None, outline: RGB | None = None, width: float = 1) -> None:
        if fill is not None:
            self.pdf.set_fill_color(*fill)
        if outline is not None:
            self.pdf.set_draw_color(*outline)
            self.pdf.set_line_width(width)
        x, y = self._xy(box[0], box[1])
        inset = width / 2 if outline is not None else 0  # Pillow strokes inside the box, PDF on its edge
        style = ("F" if fill is not None else "") + ("D" if outline is not None else "")
        self.pdf.rect(x + inset, y + inset, box[2] - box[0] - 2 * inset, box[3] - box[1] - 2 * inset, style=style)

    def ellipse(self, box: Box, outline: RGB, width: float) -> None:
        self.pdf.set_draw_color(*outline)
        self.pdf.set_line_width(width)
        x, y = self._xy(box[0], box[1])
        self.pdf.ellipse(x, y, box[2] - box[0], box[3] - box[1], style="D")

    def polygon(self, points: Sequence[Point], fill: RGB) -> None:
        self.pdf.set_fill_color(*fill)
        self.pdf.polygon([self._xy(*p) for p in points], style="F")

    def text(self, xy: Point, text: str, role: str, size: int, color: RGB, anchor: str = "lm",
             angle: float = 0.0, opacity: float = 1.0) -> None:
        self._font(role, size, text)
        self.pdf.set_text_color(*color)
        x, y = self._xy(*text_origin(xy, text, role, size, anchor))
        with self._turned(angle, self._xy(*xy)), self.pdf.local_context(fill_opacity=opacity):
            self.pdf.text(x, y, text)

    @contextmanager
    def _turned(self, angle: float, centre: tuple[float, float]) -> Iterator[None]:
        if angle == 0.0:
            yield
            return
        with self.pdf.rotation(angle, *centre):
            yield

    def image(self, box: Box, picture: bytes | Image.Image) -> None:
        x, y = self._xy(box[0], box[1])
        source = io.BytesIO(picture) if isinstance(picture, bytes) else picture
        self.pdf.image(source, x, y, box[2] - box[0], box[3] - box[1])

    def qr(self, xy: Point, text: str, size: int) -> None:
        """White quiet zone, then one rectangle per horizontal run of dark modules."""
        matrix, module = qr_matrix(text), qr_module(text, size)
        side = len(matrix) * module
        self.rect((xy[0], xy[1], xy[0] + side, xy[1] + side), fill=(255, 255, 255))
        self.pdf.set_fill_color(0, 0, 0)
        for r, row in enumerate(matrix):
            c = 0
            while c < len(row):
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < len(row) and row[c]:
                    c += 1
                x, y = self._xy(xy[0] + start * module, xy[1] + r * module)
                self.pdf.rect(x, y, (c - start) * module, module, style="F")

    def seal(self, xy: Point, authority: str, size: int) -> None:
        """The seal from the same geometry as the PNG's, in red ink that multiplies like a stamp."""
        shape = seal_shape(authority, size)
        with self.pdf.local_context(blend_mode="Multiply", fill_opacity=SEAL_OPACITY,
                                    stroke_opacity=SEAL_OPACITY):
            half = shape.ring_width / 2
            self.ellipse((xy[0] + half, xy[1] + half, xy[0] + size - half, xy[1] + size - half), SEAL_RED,
                         shape.ring_width)
            self.polygon([(xy[0] + x, xy[1] + y) for x, y in shape.star], SEAL_RED)
            for g in shape.glyphs:
                self.text((xy[0] + g.x, xy[1] + g.y), g.ch, "sans_bold", round(g.size), SEAL_RED, "mm", -g.turn)
            x, y, text_size = shape.bottom
            self.text((xy[0] + x, xy[1] + y), BOTTOM_TEXT, "sans_bold", round(text_size), SEAL_RED, "mm")

    def watermark(self, lines: Sequence[str], keep_clear: Box, strength: float) -> None:
        """Tiles of rotated text over the card (the QR code is drawn after, on white, so it stays clear)."""
        x0, y0 = self._xy(0, 0)
        with self.pdf.rect_clip(x0, y0, WIDTH, HEIGHT):
            for cx, cy in marks.tile_centres((WIDTH, HEIGHT), marks.tile_width(lines) + 20):
                for i, line in enumerate(lines):
                    dy = (i - (len(lines) - 1) / 2) * marks.TILE_LINE
                    self._tile_line((cx, cy), dy, line, strength)

    def _tile_line(self, centre: Point, dy: float, line: str, strength: float) -> None:
        self._font("sans", marks.TILE_FONT, line)
        self.pdf.set_text_color(*marks.WATERMARK_INK)
        x, y = self._xy(*text_origin((centre[0], centre[1] + dy), line, "sans", marks.TILE_FONT, "mm"))
        with self.pdf.rotation(marks.TILE_ANGLE, *self._xy(*centre)), self.pdf.local_context(fill_opacity=strength):
            self.pdf.text(x, y, line)


def _document(title: str) -> tuple[FPDF, PdfCanvas]:
    """An empty A4 page in card pixels."""
    pdf = FPDF(unit=PT_PER_PX, format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_title(title)
    pdf.set_creator("ecert")
    pdf.add_page()
    return pdf, PdfCanvas(pdf)


def render_pdf_base(view: CertificateView, qr_text: str) -> bytes:
    """What all downloads of one certificate version share, as two pages to lay over each other: the page
    without its marks, then the QR code alone (it goes over the marks)."""
    pdf, canvas = _document(view.title)
    draw_background(canvas, view.kind, view.title)
    draw_fields(canvas, view, qr_text)
    canvas.text((A4_PX[0] / 2 - OFFSET[0], HEIGHT + 40), PRINT_NOTE, "sans", 22, (120, 120, 120), anchor="mm")
    pdf.add_page()
    draw_qr(canvas, qr_text)
    return bytes(pdf.output())


@lru_cache(maxsize=4)
def marks_pdf(watermark: str | None, annotation: marks.Annotation | None) -> bytes:
    """The marks alone on a page: the same for every certificate downloaded in one minute. The QR code
    is laid over them, so the PDF needs no keep-clear box."""
    pdf, canvas = _document("")
    draw_marks(canvas, NO_BOX, watermark, annotation)
    return bytes(pdf.output())


def stamp_pdf(base: bytes, watermark: str | None, annotation: marks.Annotation | None = None) -> bytes:
    """A base from render_pdf_base with this download's marks and then its QR code laid over its page.

    qpdf places each as a form XObject: nothing on the page is drawn or subset again (~20 ms, against
    about a second to draw the page with its fonts).
    """
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(base)) as doc, pikepdf.open(io.BytesIO(marks_pdf(watermark, annotation))) as top:
        page, qr_page = doc.pages
        _lay_over(page, doc.copy_foreign(top.pages[0].as_form_xobject()))
        _lay_over(page, qr_page.as_form_xobject())
        del doc.pages[1]
        doc.save(out)
    return out.getvalue()


def _lay_over(page: pikepdf.Page, form: pikepdf.Object) -> None:
    del form.Group  # painted straight onto the page as in one pass (as a group, poppler split QR module edges)
    page.add_overlay(form, None)


def render_pdf(view: CertificateView, qr_text: str, watermark: str | None,
               annotation: marks.Annotation | None = None) -> bytes:
    """The certificate as a one-page A4 PDF with selectable text."""
    return stamp_pdf(render_pdf_base(view, qr_text), watermark, annotation)


__all__ = ["marks_pdf", "qr_box", "render_pdf", "render_pdf_base", "stamp_pdf"]
