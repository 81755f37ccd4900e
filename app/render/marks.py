"""What is stamped over a certificate: the light download watermark, a copy's annotation, and the
status stamp that keeps a suspended, revoked, cancelled, expired or superseded certificate from ever
looking like a clean copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw

from app.render.fonts import font

WATERMARK_INK = (120, 110, 100)
WATERMARK_STRENGTH = 0.25  # the download watermark: readable, never in the way
ANNOTATION_STRENGTH = 0.4  # a shared copy's purpose must survive a photocopy
STAMP_RED = (200, 22, 29)
TILE_FONT, TILE_LINE, TILE_ANGLE, TILE_ROW, TILE_GAP, TILE_SHIFT = 34, 46, 30, 300, 120, 260


@dataclass(frozen=True)
class Annotation:
    """A copy made for one purpose and recipient, valid until a date (加注件)."""

    purpose: str  # e.g. 入职审核
    recipient: str  # e.g. 重庆长江化工有限公司
    expires: str  # e.g. 2027-03-01

    def lines(self) -> tuple[str, str]:
        """The two watermark lines."""
        return f"仅供{self.purpose}使用", f"提供给{self.recipient} · {self.expires}前有效"

    def note(self) -> str:
        """The one-line note printed in full under the fields."""
        return f"加注件：用于{self.purpose}，提供给{self.recipient}，{self.expires}前有效"


def tile_centres(size: tuple[int, int], tile_width: float) -> list[tuple[float, float]]:
    """Centres of the diagonal watermark tiles covering an image of `size`."""
    step_x, centres = tile_width + TILE_GAP, []
    for row, y in enumerate(range(0, size[1] + TILE_ROW, TILE_ROW)):
        x = -tile_width / 2 + (row % 2) * TILE_SHIFT
        while x < size[0] + tile_width:
            centres.append((x, float(y)))
            x += step_x
    return centres


def tile_width(lines: Sequence[str]) -> float:
    """Width of one watermark tile (its longest line)."""
    return max(font("sans", TILE_FONT).getlength(line) for line in lines)


@lru_cache(maxsize=4)
def _watermark_mask(lines: tuple[str, ...], size: tuple[int, int], strength: float) -> Image.Image:
    """An "L" mask of the lines tiled diagonally; cached because downloads in one minute share it."""
    face, alpha = font("sans", TILE_FONT), round(255 * strength)
    width = round(tile_width(lines)) + 20
    tile = Image.new("L", (width, TILE_LINE * len(lines) + 10), 0)
    for i, line in enumerate(lines):
        ImageDraw.Draw(tile).text((width / 2, 5 + TILE_LINE * (i + 0.5)), line, font=face, fill=alpha, anchor="mm")
    tile = tile.rotate(TILE_ANGLE, expand=True, resample=Image.Resampling.BICUBIC)
    mask = Image.new("L", size, 0)
    for x, y in tile_centres(size, width):
        mask.paste(tile, (round(x - tile.width / 2), round(y - tile.height / 2)), tile)
    return mask


def draw_watermark(image: Image.Image, lines: Sequence[str], keep_clear: tuple[int, int, int, int],
                   strength: float = WATERMARK_STRENGTH) -> None:
    """Stamp lines diagonally across the image, leaving keep_clear (the QR code) untouched."""
    clear = image.crop(keep_clear)
    image.paste(WATERMARK_INK, (0, 0, *image.size), _watermark_mask(tuple(lines), image.size, strength))
    image.paste(clear, keep_clear[:2])
