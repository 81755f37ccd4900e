"""The issuing authority's electronic seal: red ring, name curved along the top, star, bottom text.

`seal_shape` is the one geometry; the PNG paints it (supersampled, pressed on like ink) and the PDF
draws it as vectors, so both show the same seal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw

from app.render.fonts import font

SEAL_RED = (200, 22, 29)
SEAL_OPACITY = 0.92
SUPERSAMPLE = 4
BOTTOM_TEXT = "电子证照专用章"
MAX_ARC = 240.0  # degrees of the ring the name may cover, centred on the top (as official seals do)


@dataclass(frozen=True)
class SealGlyph:
    """One character of the name: centre, size, and its clockwise turn (degrees) from upright."""

    ch: str
    x: float
    y: float
    size: float
    turn: float


@dataclass(frozen=True)
class SealShape:
    """Everything drawn in a seal `size` units across, origin at its top-left corner."""

    size: float
    ring_width: float
    star: tuple[tuple[float, float], ...]
    glyphs: tuple[SealGlyph, ...]
    bottom: tuple[float, float, float]  # centre x, centre y, text size


def _star_points(cx: float, cy: float, outer: float) -> tuple[tuple[float, float], ...]:
    """Ten vertices of a five-point star pointing up."""
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else outer * 0.382
        angle = math.radians(-90 + i * 36)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return tuple(points)


def arc_angles(count: int, text_size: float, radius: float) -> tuple[list[float], float]:
    """Evenly spaced angles (degrees, 0 = top, clockwise) for `count` glyphs, and the size that fits."""
    pitch = text_size * 1.1  # centre-to-centre distance along the arc
    step = math.degrees(pitch / radius)
    if count > 1 and step * (count - 1) > MAX_ARC:
        step = MAX_ARC / (count - 1)
        text_size = min(text_size, math.radians(step) * radius / 1.05)
    start = -step * (count - 1) / 2
    return [start + i * step for i in range(count)], text_size


def seal_shape(authority: str, size: float) -> SealShape:
    """The seal's geometry for an authority name."""
    c, ring = size / 2, size * 0.035
    text_size = size * (0.13 if len(authority) <= 8 else 0.115)
    radius = c - ring - text_size * 0.72
    angles, text_size = arc_angles(len(authority), text_size, radius)
    glyphs = tuple(
        SealGlyph(ch, c + radius * math.sin(math.radians(a)), c - radius * math.cos(math.radians(a)), text_size, a)
        for ch, a in zip(authority, angles, strict=True)
    )
    return SealShape(size, ring, _star_points(c, c, size * 0.16), glyphs, (c, size * 0.76, size * 0.06))


@lru_cache(maxsize=64)
def seal_image(authority: str, size: int = 300) -> Image.Image:
    """The seal as an RGBA image `size` pixels across; cached per authority."""
    shape = seal_shape(authority, size * SUPERSAMPLE)
    canvas = Image.new("RGBA", (size * SUPERSAMPLE,) * 2, (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    color = (*SEAL_RED, round(255 * SEAL_OPACITY))
    half = shape.ring_width / 2
    draw.ellipse((half, half, shape.size - half, shape.size - half), outline=color, width=round(shape.ring_width))
    draw.polygon(shape.star, fill=color)
    for g in shape.glyphs:
        tile = _glyph(g.ch, round(g.size), color).rotate(-g.turn, resample=Image.Resampling.BICUBIC)
        canvas.alpha_composite(tile, (round(g.x - tile.width / 2), round(g.y - tile.height / 2)))
    x, y, text_size = shape.bottom
    draw.text((x, y), BOTTOM_TEXT, font=font("sans_bold", round(text_size)), fill=color, anchor="mm")
    return canvas.resize((size, size), Image.Resampling.LANCZOS)


def _glyph(ch: str, size: int, color: tuple[int, int, int, int]) -> Image.Image:
    tile = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((size, size), ch, font=font("sans_bold", size), fill=color, anchor="mm")
    return tile


def stamp(image: Image.Image, seal: Image.Image, xy: tuple[int, int]) -> None:
    """Press the seal onto an RGB image like ink: multiply, so text under it stays readable."""
    box = (*xy, xy[0] + seal.width, xy[1] + seal.height)
    ink = Image.new("RGB", seal.size, "white")
    ink.paste(seal, (0, 0), seal)
    image.paste(ImageChops.multiply(image.crop(box), ink), box)
