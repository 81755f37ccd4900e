"""Small base fonts for the PDF, so most text does not open a 65,535-glyph CJK face.

fpdf2 parses the face it is given for every document (cmap and widths of every glyph, ~0.45 s for a
Noto CJK face) and subsets it again when writing (~0.5 s); both scale with the glyphs in the file.
Each role therefore has a base font cut from its face: the characters the layout always prints
(labels, titles, status words, digits, ASCII) and, for the bold values (names, authorities,
employers) and a copy's annotation, the 3,755 common hanzi of GB 2312 level 1. A run of text whose
every character a base maps is set in the smallest such base; any other run (a rare name such as
李䶮 or 𠮷) is set in the full face, so no glyph is ever missing that the face has. The outlines are
the face's own: the page looks the same.

Cutting a base takes seconds (~1 s small, ~7 s with the hanzi), so a base is written once per
machine to a cache folder under a name derived from the face file and the characters, and read
from there by every process; when the folder cannot be written, into a private temporary folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import fontTools
from fontTools import subset, ttLib

from app.domain.status import LABELS as STATUS_LABELS
from app.render.certificate import LABELS, LEGAL_NOTE
from app.render.fonts import font_file
from app.render.seal import BOTTOM_TEXT

# What almost every certificate prints besides its values; anything missing only costs time.
COMMON_TEXT = "".join((
    "".join(chr(c) for c in range(0x20, 0x7F)),
    "　，。、：；（）·—…「」《》％",
    *LABELS, LEGAL_NOTE, BOTTOM_TEXT, *STATUS_LABELS.values(),
    "中华人民共和国特种作业操作证安全生产知识和管理能力考核合格证男女",
    "仅供持证人查看签发机关使用下载打印件真伪与状态以扫码核验结果为准本证书",  # marks and notes
))


def cache_folder() -> Path | None:
    """~/.cache/ecert/pdf-fonts, or None when the process has no home (then every base is private)."""
    try:
        return Path.home() / ".cache" / "ecert" / "pdf-fonts"
    except RuntimeError:
        return None


def gb2312_level1() -> str:
    """The 3,755 hanzi of GB 2312 level 1 (rows 16-55, the common characters), from Python's codec."""
    return "".join(bytes((row, cell)).decode("gb2312") for row in range(0xB0, 0xD8) for cell in range(0xA1, 0xFF)
                   if (row, cell) < (0xD7, 0xFA))


LAYOUT, HANZI = "layout", "hanzi"
TIER_TEXT = {LAYOUT: COMMON_TEXT, HANZI: COMMON_TEXT + gb2312_level1()}
# role -> its bases, smallest first: values in bold (names, authorities) need the common hanzi; the
# regular face prints fixed text, except a copy's annotation lines; the serif only the title.
TIERS = {"sans": (LAYOUT, HANZI), "sans_bold": (HANZI,), "serif_bold": (LAYOUT,)}
# The subsetter's own defaults as fpdf2 uses them, minus the tables fpdf2 drops anyway.
DROPPED_TABLES = ("GSUB", "GPOS", "GDEF", "MATH", "hdmx", "meta", "FFTM", "BASE", "vhea", "vmtx", "VORG")


@dataclass(frozen=True)
class Face:
    """A font file fpdf2 can load under `family`: the role's base or its full face."""

    family: str
    path: str
    index: int


def base_name(role: str, tier: str) -> str:
    """File name of a base: it changes with the face file, fontTools and the characters."""
    path, index = font_file(role)
    stat = os.stat(path)
    facts = (path, index, stat.st_size, stat.st_mtime_ns, fontTools.version, sorted(set(TIER_TEXT[tier])))
    return f"{role}-{tier}-{hashlib.sha256(repr(facts).encode()).hexdigest()[:16]}.otf"


def cut_base(role: str, tier: str, target: Path) -> None:
    """Write a role's base font to `target` (atomically: other processes may be reading the folder)."""
    path, index = font_file(role)
    face = ttLib.TTFont(path, fontNumber=index, lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    options = subset.Options(notdef_outline=True, recommended_glyphs=True, name_IDs=["*"],
                             name_languages=["*"], glyph_names=True)
    options.drop_tables += list(DROPPED_TABLES)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={ord(ch) for ch in TIER_TEXT[tier]})
    subsetter.subset(face)
    partial = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.part")
    face.save(partial)
    os.replace(partial, target)


class BaseFonts:
    """Each base's path and the code points it maps, looked up once per process."""

    def __init__(self, folder: Path | None) -> None:
        self._lock, self._folder = threading.Lock(), folder
        self._private: tempfile.TemporaryDirectory[str] | None = None
        self._found: dict[tuple[str, str], tuple[str, frozenset[int]]] = {}

    def covering(self, role: str, text: str) -> Face | None:
        """The role's smallest base that maps every character of `text`."""
        for tier in TIERS[role]:
            with self._lock:
                if (role, tier) not in self._found:
                    self._found[role, tier] = self._load(role, tier)
            path, mapped = self._found[role, tier]
            if all(ord(ch) in mapped for ch in text):
                return Face(f"{role}~{tier}", path, 0)
        return None

    def _load(self, role: str, tier: str) -> tuple[str, frozenset[int]]:
        try:
            if self._folder is None:
                raise FileNotFoundError("no cache folder")
            target = self._folder / base_name(role, tier)
            if not target.exists():
                self._folder.mkdir(parents=True, exist_ok=True)
                cut_base(role, tier, target)
            return str(target), _mapped(target)
        except Exception:  # a read-only home or a damaged file: cut one for this process only
            self._private = self._private or tempfile.TemporaryDirectory(prefix="ecert-fonts-")
            target = Path(self._private.name) / base_name(role, tier)
            cut_base(role, tier, target)
            return str(target), _mapped(target)


def _mapped(path: Path) -> frozenset[int]:
    """The code points a font file maps to a glyph."""
    with ttLib.TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


_BASES = BaseFonts(cache_folder())


@lru_cache(maxsize=8)
def _full(role: str) -> Face:
    path, index = font_file(role)
    return Face(role, path, index)


def face_for(role: str, text: str) -> Face:
    """The smallest font file of a role that has a glyph for every character of `text`."""
    return _BASES.covering(role, text) or _full(role)
