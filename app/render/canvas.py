"""One drawing surface, two outputs: the layout draws once, in pixels of the 1080 x 1600 card.

`RasterCanvas` paints a Pillow image (the PNG); `app.render.pdf.PdfCanvas` writes vector PDF
operators. Text positions are resolved here from the font's own metrics, so both outputs put
every glyph in the same place.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Protocol

from PIL import Image, ImageDraw

from app.render.fonts import font

RGB = tuple[int, int, int]
Point = tuple[float, float]
Box = tuple[float, float, float, float]


def text_origin(xy: Point, text: str, role: str, size: int, anchor: str) -> Point:
    """The left end of the baseline for Pillow-style anchors ("l/m/r" then "a/m/s")."""
    face = font(role, size)
    ascent, descent = face.getmetrics()
    width = face.getlength(text)
    x = xy[0] - {"l": 0.0, "m": width / 2, "r": width}[anchor[0]]
    y = xy[1] + {"a": float(ascent), "m": (ascent - descent) / 2, "s": 0.0}[anchor[1]]
    return x, y


class Canvas(Protocol):
    """What the certificate layout needs from an output (coordinates in card pixels)."""

    def line(self, points: Sequence[Point], color: RGB, width: float) -> None: ...

    def rect(self, box: Box, fill: RGB | None = None, outline: RGB | None = None, width: float = 1) -> None: ...

    def ellipse(self, box: Box, outline: RGB, width: float) -> None: ...

    def polygon(self, points: Sequence[Point], fill: RGB) -> None: ...

    def text(self, xy: Point, text: str, role: str, size: int, color: RGB, anchor: str = "lm",
             angle: float = 0.0, opacity: float = 1.0) -> None: ...

    def image(self, box: Box, picture: bytes | Image.Image) -> None: ...

    def qr(self, xy: Point, text: str, size: int) -> None: ...

    def seal(self, xy: Point, authority: str, size: int) -> None: ...

    def watermark(self, lines: Sequence[str], keep_clear: Box, strength: float) -> None: ...


class RasterCanvas:
    """Draws onto an RGB Pillow image."""

    def __init__(self, target: Image.Image) -> None:
        self.target = target
        self.draw = ImageDraw.Draw(target)

    def line(self, points: Sequence[Point], color: RGB, width: float) -> None:
        self.draw.line(list(points), fill=color, width=round(width))

    def rect(self, box: Box, fill: RGB | None = None, outline: RGB | None = None, width: float = 1) -> None:
        self.draw.rectangle(box, fill=fill, outline=outline, width=round(width))

    def ellipse(self, box: Box, outline: RGB, width: float) -> None:
        self.draw.ellipse(box, outline=outline, width=round(width))

    def polygon(self, points: Sequence[Point], fill: RGB) -> None:
        self.draw.polygon(list(points), fill=fill)

    def text(self, xy: Point, text: str, role: str, size: int, color: RGB, anchor: str = "lm",
             angle: float = 0.0, opacity: float = 1.0) -> None:
        if angle == 0.0 and opacity == 1.0:
            self.draw.text(text_origin(xy, text, role, size, anchor), text, font=font(role, size), fill=color,
                           anchor="ls")
            return
        tile = text_tile(text, role, size, (*color, round(255 * opacity)))
        tile = tile.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
        self.target.paste(color, (round(xy[0] - tile.width / 2), round(xy[1] - tile.height / 2)), tile)

    def image_at(self, box: Box, picture: Image.Image) -> None:
        self.target.paste(picture.convert("RGB"), (round(box[0]), round(box[1])))

    def image(self, box: Box, picture: bytes | Image.Image) -> None:
        if isinstance(picture, bytes):
            with Image.open(io.BytesIO(picture)) as raw:
                picture = raw.convert("RGB")
        assert isinstance(picture, Image.Image)
        size = (round(box[2] - box[0]), round(box[3] - box[1]))
        self.image_at(box, picture if picture.size == size else picture.resize(size, Image.Resampling.LANCZOS))

    def qr(self, xy: Point, text: str, size: int) -> None:
        from app.render.qr import qr_image

        self.image_at((*xy, *xy), qr_image(text, size))

    def seal(self, xy: Point, authority: str, size: int) -> None:
        from app.render.seal import seal_image, stamp

        stamp(self.target, seal_image(authority, size=size), (round(xy[0]), round(xy[1])))

    def watermark(self, lines: Sequence[str], keep_clear: Box, strength: float) -> None:
        from app.render.marks import draw_watermark

        draw_watermark(self.target, lines, tuple(round(v) for v in keep_clear), strength)  # type: ignore[arg-type]


def text_tile(text: str, role: str, size: int, color: tuple[int, int, int, int]) -> Image.Image:
    """Text on a transparent tile whose centre is the text's centre (for rotation)."""
    face = font(role, size)
    width = round(face.getlength(text)) + size
    tile = Image.new("RGBA", (width, size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((width / 2, size), text, font=face, fill=color, anchor="mm")
    return tile
