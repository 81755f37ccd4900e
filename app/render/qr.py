"""QR codes: error correction M, quiet zone 4, alphanumeric mode whenever the text allows it."""

from __future__ import annotations

from functools import lru_cache

import qrcode
from PIL import Image

QUIET_ZONE = 4


@lru_cache(maxsize=256)
def qr_matrix(text: str) -> tuple[tuple[bool, ...], ...]:
    """The modules (True = dark), quiet zone included, of the smallest version that holds text."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(text, optimize=0)  # one segment; alphanumeric when every character allows it
    code.make(fit=True)
    return tuple(tuple(bool(dark) for dark in row) for row in code.get_matrix())


def qr_version(text: str) -> int:
    """The QR version (1-40) used for text."""
    return (len(qr_matrix(text)) - 2 * QUIET_ZONE - 17) // 4


def qr_module(text: str, size: int) -> int:
    """Whole pixels per module so that the code with its quiet zone is at most `size` wide."""
    return max(size // len(qr_matrix(text)), 1)


@lru_cache(maxsize=64)
def qr_image(text: str, size: int) -> Image.Image:
    """The code as an RGB image at whole-pixel modules, at most `size` wide."""
    matrix = qr_matrix(text)
    modules = Image.new("1", (len(matrix), len(matrix)))
    modules.putdata([0 if dark else 1 for row in matrix for dark in row])
    side = len(matrix) * qr_module(text, size)
    return modules.resize((side, side), Image.Resampling.NEAREST).convert("RGB")
