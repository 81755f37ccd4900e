"""CJK fonts for rendering: Noto Sans/Serif CJK SC from the Debian package fonts-noto-cjk."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
FONT_PACKAGE = "fonts-noto-cjk"

# role -> (file name, family); the .ttc collections hold JP/KR/SC/TC/HK faces, we need SC.
ROLES: dict[str, tuple[tuple[str, str], ...]] = {
    "sans": (("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),),
    "sans_bold": (
        ("NotoSansCJK-Bold.ttc", "Noto Sans CJK SC"),
        ("NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ),
    "serif_bold": (
        ("NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"),
        ("NotoSansCJK-Bold.ttc", "Noto Sans CJK SC"),
    ),
}


class FontMissing(RuntimeError):
    """No usable CJK font is installed."""


def _face_index(path: Path, family: str) -> int | None:
    """Index of `family` inside a font collection, or None."""
    for index in range(16):
        try:
            face = ImageFont.truetype(str(path), 12, index=index)
        except OSError:
            return None
        if face.getname()[0] == family:
            return index
    return None


@lru_cache(maxsize=8)
def font_file(role: str) -> tuple[str, int]:
    """(path, collection index) of the font used for a role; raises FontMissing with the fix."""
    for name, family in ROLES[role]:
        for folder in FONT_DIRS:
            path = folder / name
            index = _face_index(path, family) if path.exists() else None
            if index is not None:
                return str(path), index
    raise FontMissing(
        f"no Simplified Chinese font for '{role}': install the Debian package {FONT_PACKAGE} "
        f"(apt-get install {FONT_PACKAGE}); looked in {', '.join(map(str, FONT_DIRS))}"
    )


@lru_cache(maxsize=128)
def font(role: str, size: int) -> ImageFont.FreeTypeFont:
    """A cached font object for a role at a pixel size."""
    path, index = font_file(role)
    return ImageFont.truetype(path, size, index=index)


@lru_cache(maxsize=8)
def _notdef_mask(role: str) -> bytes:
    return bytes(font(role, 32).getmask("\U0010fffd"))  # a private-use code point no font maps


def missing_chars(text: str, role: str = "sans") -> set[str]:
    """Characters of `text` that would render as the missing-glyph box (tofu) in a role's font."""
    face, notdef = font(role, 32), _notdef_mask(role)
    return {ch for ch in set(text) if not ch.isspace() and bytes(face.getmask(ch)) == notdef}
