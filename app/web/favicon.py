"""/favicon.ico: the service's icon, drawn here (a certificate card with a red seal and a tick on green).

Drawn once per process at 256 px and reduced, so the small sizes are smooth; nothing is fetched or
shipped as a binary file.
"""

from __future__ import annotations

import io
from functools import lru_cache

from flask import Blueprint, Response
from PIL import Image, ImageDraw

bp = Blueprint("favicon", __name__)

GREEN, WHITE, RED, INK = (7, 193, 96), (255, 255, 255), (200, 22, 29), (25, 25, 25)
SIZES = [(16, 16), (32, 32), (48, 48), (64, 64)]
MAX_AGE = 7 * 24 * 3600


def draw(side: int = 256) -> Image.Image:
    """The icon at `side` pixels: a rounded green tile, a white card, text lines, a seal and a tick."""
    image = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    s = side / 256
    pen.rounded_rectangle((0, 0, side - 1, side - 1), radius=round(56 * s), fill=GREEN)
    pen.rounded_rectangle((44 * s, 52 * s, 212 * s, 204 * s), radius=round(14 * s), fill=WHITE)
    for y in (84, 112, 140):  # the card's lines of text
        pen.rounded_rectangle((68 * s, y * s, 150 * s, (y + 12) * s), radius=round(6 * s), fill=(190, 190, 190))
    pen.ellipse((140 * s, 124 * s, 196 * s, 180 * s), outline=RED, width=round(8 * s))
    pen.line([(154 * s, 152 * s), (166 * s, 164 * s), (186 * s, 138 * s)], fill=RED, width=round(9 * s),
             joint="curve")
    return image


@lru_cache(maxsize=1)
def icon_bytes() -> bytes:
    """The .ico file with the sizes browsers ask for."""
    out = io.BytesIO()
    draw().save(out, format="ICO", sizes=SIZES)
    return out.getvalue()


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers ask for it on every site: answer with our icon instead of a 404."""
    response = Response(icon_bytes(), mimetype="image/vnd.microsoft.icon")
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response
