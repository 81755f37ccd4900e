"""The issuing authority's electronic seal: red ring, name curved along the top, star, bottom text."""

from __future__ import annotations

import math
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw

from app.render.fonts import font

SEAL_RED = (200, 22, 29)
SUPERSAMPLE = 2


def _star_points(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    """Ten vertices of a five-point star pointing up."""
    inner = outer * 0.382
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = math.radians(-90 + i * 36)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def _glyph(ch: str, size: int, color: tuple[int, int, int, int]) -> Image.Image:
    tile = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((size, size), ch, font=font("sans_bold", size), fill=color, anchor="mm")
    return tile


def _curved_text(
    canvas: Image.Image, text: str, radius: float, size: int, color: tuple[int, int, int, int]
) -> None:
    """Place characters on an arc over the top, upright towards the centre."""
    c = canvas.width / 2
    span = min(250.0, max(len(text) - 1, 1) * (size * 1.18) / radius * 180 / math.pi)
    step = span / max(len(text) - 1, 1)
    for i, ch in enumerate(text):
        theta = -span / 2 + i * step if len(text) > 1 else 0.0
        tile = _glyph(ch, size, color).rotate(-theta, resample=Image.Resampling.BICUBIC)
        x = c + radius * math.sin(math.radians(theta))
        y = c - radius * math.cos(math.radians(theta))
        canvas.alpha_composite(tile, (round(x - tile.width / 2), round(y - tile.height / 2)))


@lru_cache(maxsize=64)
def seal_image(authority: str, bottom_text: str = "电子证照专用章", size: int = 300) -> Image.Image:
    """An RGBA seal `size` pixels across; cached per authority."""
    big = size * SUPERSAMPLE
    canvas = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    color = (*SEAL_RED, 235)
    ring = big * 0.035
    draw.ellipse((ring / 2, ring / 2, big - ring / 2, big - ring / 2), outline=color, width=round(ring))
    draw.polygon(_star_points(big / 2, big / 2, big * 0.16), fill=color)
    text_size = round(big * (0.12 if len(authority) <= 10 else 0.10))
    _curved_text(canvas, authority, big / 2 - ring - text_size * 0.78, text_size, color)
    draw.text(
        (big / 2, big * 0.76),
        bottom_text,
        font=font("sans_bold", round(big * 0.058)),
        fill=color,
        anchor="mm",
    )
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


def stamp(image: Image.Image, seal: Image.Image, xy: tuple[int, int]) -> None:
    """Press the seal onto an RGB image like ink: multiply, so text under it stays readable."""
    box = (*xy, xy[0] + seal.width, xy[1] + seal.height)
    ink = Image.new("RGB", seal.size, "white")
    ink.paste(seal, (0, 0), seal)
    image.paste(ImageChops.multiply(image.crop(box), ink), box)
