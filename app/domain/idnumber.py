"""Resident ID numbers (GB 11643-1999): normalise, validate, gender, birth date, masking."""

from __future__ import annotations

import datetime as dt
import functools
import operator

from app.domain.errors import UserError

# GB 11643 / ISO 7064 MOD 11-2: weights of the first 17 digits and the check character by remainder.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ZERO_OFFSET = ord("0") * sum(_WEIGHTS)

# GB/T 2260 province-level codes; 71 Taiwan, 81/82 Hong Kong/Macau, 83 Taiwan residence permits
# (GB 11643 as applied to 港澳台居民居住证), 91 used for some overseas-issued numbers.
PROVINCE_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
        "91",
    }
)
# GB 11643 itself uses a holder born in 1880 as its example (440524188001010014), so the floor
# only rejects dates no ID card can carry; it is not an age-plausibility check.
_EARLIEST_BIRTH = dt.date(1850, 1, 1)
_LOADED_ON = dt.date.today()  # any birth date up to this day is in the past for as long as we run

# Full-width digits and letters typed on Chinese keyboards (U+FF10.., U+FF38/FF58 for X/x).
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")


class IdNumberError(UserError, ValueError):
    """An ID number that fails GB 11643; `message` is Chinese text for the user."""


def check_character(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise IdNumberError("证件号码前17位必须是数字")
    # ASCII codes times weights, less 48 ("0") per weight: this runs for every imported row, and
    # iterating bytes is 2.5x faster than int() per character.
    total = sum(map(operator.mul, first17.encode(), _WEIGHTS)) - _ZERO_OFFSET
    return _CHECK_CHARS[total % 11]


@functools.lru_cache(maxsize=256)  # validation asks about the same number several times per row
def normalize_id_number(raw: str, today: dt.date | None = None) -> str:
    """Return the canonical 18-character ID number or raise IdNumberError."""
    text = "".join(raw.split()).translate(_FULL_WIDTH).upper()
    if not text:
        raise IdNumberError("证件号码不能为空")
    if len(text) == 15:
        text = _upgrade_legacy(text)
    if len(text) != 18:
        raise IdNumberError("证件号码应为18位（或旧版15位）")
    if not text[:17].isascii() or not text[:17].isdigit() or text[17] not in "0123456789X":
        raise IdNumberError("证件号码含有无效字符，只能是数字，最后一位可以是X")
    _check_province(text)
    _check_birth_date(text, today)
    if check_character(text[:17]) != text[17]:
        raise IdNumberError("证件号码校验位错误，请核对最后一位")
    return text


def _upgrade_legacy(text: str) -> str:
    """Convert a 15-digit legacy number (born 19xx, no check character) to 18 characters."""
    if not text.isascii() or not text.isdigit():
        raise IdNumberError("15位旧版证件号码只能包含数字")
    first17 = text[:6] + "19" + text[6:]
    return first17 + check_character(first17)


def _check_province(text: str) -> None:
    """Reject numbers whose first two digits are no province (the rest of the address code may be retired)."""
    if text[:2] not in PROVINCE_CODES:
        raise IdNumberError("证件号码前两位不是有效的省级行政区划代码")


def _check_birth_date(text: str, today: dt.date | None) -> None:
    """Require a real birth date between 1850-01-01 and today (the real today unless given)."""
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise IdNumberError("证件号码中的出生日期无效") from None
    # date.today() costs as much as the rest of this check: ask only when it matters.
    future = born > today if today is not None else born > _LOADED_ON and born > dt.date.today()
    if born < _EARLIEST_BIRTH or future:
        raise IdNumberError("证件号码中的出生日期超出合理范围")


def id_gender(number: str) -> str:
    """Return "男" or "女" from the 17th digit (odd = male) of a normalised number."""
    return "男" if int(number[16]) % 2 == 1 else "女"


def id_birth_date(number: str) -> dt.date:
    """Return the birth date encoded in a normalised 18-character number."""
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def mask_middle(value: str) -> str:
    """Mask all but the first 4 and last 4 characters (all but first and last when ≤ 8 chars)."""
    # docs/rules.md "Resident ID numbers": display keeps 4 + 4; certificate numbers ("T" + ID) are masked the same way.
    if len(value) <= 2:
        return "*" * len(value)
    if len(value) <= 8:
        return value[0] + "*" * (len(value) - 2) + value[-1]
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
