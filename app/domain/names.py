"""Person names as typed into exam-system exports: normalise spacing, width and the middle dot."""

from __future__ import annotations

import re
import unicodedata

from app.domain.errors import UserError

MAX_NAME_LENGTH = 50
MIDDLE_DOT = "\u00b7"  # GB 18030 / 公安部 practice for names of ethnic minorities: 买买提·艾力
# Look-alikes seen in exports: bullet, katakana and half-width middle dots, hyphenation point,
# bullet operator, dot operator, Hangul araea, full-width and ASCII full stops, word separator.
_DOT_VARIANTS = "\u2022\u30fb\uff65\u2027\u2219\u22c5\u318d\uff0e.\u2e31\u0387\u16eb"
_DOTS = str.maketrans({c: MIDDLE_DOT for c in _DOT_VARIANTS})
_HAN_ONLY = re.compile(f"[\u4e00-\u9fff]{{1,{MAX_NAME_LENGTH}}}").fullmatch  # CJK Unified Ideographs
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f]) +(?=[^\x00-\x7f])")


class PersonNameError(UserError, ValueError):
    """A name that cannot be a person's name; `message` is Chinese text for the user."""


def normalize_name(raw: str) -> str:
    """Return the canonical form of a person's name or raise PersonNameError."""
    if _HAN_ONLY(raw):  # most names: nothing below would change them (NFKC keeps these code points)
        return raw
    text = unicodedata.normalize("NFKC", raw).translate(_DOTS)
    text = text.replace("\u200b", "").replace("\ufeff", "")  # invisible leftovers of copy-paste
    _reject_bad_characters(text)
    text = " ".join(text.split())
    text = re.sub(r" ?\u00b7 ?", MIDDLE_DOT, text)
    text = re.sub(r"\u00b7{2,}", MIDDLE_DOT, text)
    text = _CJK_GAP.sub("", text)  # "张 三" -> "张三"; "John Smith" keeps its space
    if not text:
        raise PersonNameError("姓名不能为空")
    if text[0] == MIDDLE_DOT or text[-1] == MIDDLE_DOT:
        raise PersonNameError("姓名不能以间隔号“·”开头或结尾")
    if len(text) > MAX_NAME_LENGTH:
        raise PersonNameError(f"姓名过长（最多{MAX_NAME_LENGTH}个字符）")
    return text


def _reject_bad_characters(text: str) -> None:
    """Allow letters, combining marks, the middle dot and spaces; name the first offender."""
    for char in text:
        category = unicodedata.category(char)
        if char.isdigit() or category == "Nd":
            raise PersonNameError("姓名不能包含数字")
        if category[0] == "C" and not char.isspace():
            raise PersonNameError("姓名含有不可见的控制字符")
        if category[0] not in "LM" and char != MIDDLE_DOT and not char.isspace():
            raise PersonNameError(f"姓名含有无效字符“{char}”")
