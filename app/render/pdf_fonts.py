"""Small per-process base fonts for the PDF, so most text does not open a 65,535-glyph CJK face.

fpdf2 parses the face it is given for every document (cmap and widths of every glyph, ~0.45 s for a
Noto CJK face) and subsets it again when writing (~0.5 s). Each role therefore gets, once per
process, a base font cut from its face to the characters the layout always prints (labels, titles,
status words, digits, ASCII). A run of text whose every character the base maps is set in the base;
any other run (a rare name such as 李䶮 or 𠮷, an authority outside the list) is set in the full face,
so no glyph is ever missing that the face has. The outlines are the face's own: the page looks the
same either way.
"""

from __future__ import annotations

import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
# The subsetter's own defaults as fpdf2 uses them, minus the tables fpdf2 drops anyway.
DROPPED_TABLES = ("GSUB", "GPOS", "GDEF", "MATH", "hdmx", "meta", "FFTM", "BASE", "vhea", "vmtx", "VORG")


@dataclass(frozen=True)
class Face:
    """A font file fpdf2 can load under `family`: the role's base or its full face."""

    family: str
    path: str
    index: int


class _Bases:
    """Base fonts written once per process into a private temporary folder."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._maps: dict[str, frozenset[int]] = {}

    def covering(self, role: str, text: str) -> Face | None:
        """The role's base if it maps every character of `text`."""
        with self._lock:
            if role not in self._maps:
                self._maps[role] = self._build(role)
        assert self._folder is not None
        if all(ord(ch) in self._maps[role] for ch in text):
            return Face(f"{role}~base", str(Path(self._folder.name) / f"{role}.otf"), 0)
        return None

    def _build(self, role: str) -> frozenset[int]:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="ecert-fonts-")
        path, index = font_file(role)
        face = ttLib.TTFont(path, fontNumber=index, lazy=True, recalcBBoxes=False, recalcTimestamp=False)
        options = subset.Options(notdef_outline=True, recommended_glyphs=True, name_IDs=["*"],
                                 name_languages=["*"], glyph_names=True)
        options.drop_tables += list(DROPPED_TABLES)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes={ord(ch) for ch in COMMON_TEXT})
        subsetter.subset(face)
        face.save(Path(self._folder.name) / f"{role}.otf")
        return frozenset(face.getBestCmap())


_BASES = _Bases()


@lru_cache(maxsize=8)
def _full(role: str) -> Face:
    path, index = font_file(role)
    return Face(role, path, index)


def face_for(role: str, text: str) -> Face:
    """The smallest font file of a role that has a glyph for every character of `text`."""
    return _BASES.covering(role, text) or _full(role)
