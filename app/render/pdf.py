"""The printable A4 PDF: the certificate image placed on an A4 page rendered at 150 dpi.

A raster page keeps CJK text exactly as in the PNG (Noto CJK is a CFF font that reportlab cannot
embed) and the QR modules land on whole pixels at 150 dpi, so a scan of the print decodes.
"""

from __future__ import annotations

import io
from typing import IO

from PIL import Image, ImageDraw

from app.render.certificate import CertificateView, qr_box, render_image
from app.render.fonts import font

DPI = 150
A4_PX = (1240, 1754)  # 210 x 297 mm at 150 dpi
PRINT_NOTE = "打印件 · 真伪与状态以扫码核验结果为准"


def render_page(view: CertificateView, qr_text: str, watermark: str | None) -> Image.Image:
    """The A4 page as an image: the certificate centred at 1:1 (1080 px = 183 mm)."""
    return page_from_image(render_image(view, qr_text, watermark))


def page_from_image(cert: Image.Image) -> Image.Image:
    """An A4 page at 150 dpi with an already rendered certificate image centred on it."""
    page = Image.new("RGB", A4_PX, "white")
    offset = ((A4_PX[0] - cert.width) // 2, (A4_PX[1] - cert.height) // 2 - 20)
    page.paste(cert, offset)
    ImageDraw.Draw(page).text(
        (A4_PX[0] / 2, offset[1] + cert.height + 40),
        PRINT_NOTE,
        font=font("sans", 22),
        fill=(120, 120, 120),
        anchor="mm",
    )
    return page


def render_pdf(view: CertificateView, qr_text: str, watermark: str | None) -> bytes:
    """The certificate as a one-page A4 PDF."""
    out = io.BytesIO()
    save_pdf(render_page(view, qr_text, watermark), out, view.title)
    return out.getvalue()


def save_pdf(page: Image.Image, out: IO[bytes], title: str) -> None:
    """Write a page image as a one-page PDF at 150 dpi."""
    page.save(out, format="PDF", resolution=DPI, quality=90, title=title, creator="ecert")


__all__ = ["page_from_image", "qr_box", "render_page", "render_pdf", "save_pdf"]
