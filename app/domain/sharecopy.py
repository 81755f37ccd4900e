"""Shared copies (加注件): the terms a holder may set, whether a link still opens, who opened it.

A copy is made for one purpose and one recipient ("用于XX公司入职审核") and opens until its last day
(at most 90 days) or until the holder revokes it. What is kept about a viewer is only the time and
the kind of browser (`coarse_agent`): no address, no identifier.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from app.domain.errors import UserError

MAX_DAYS = 90
DAY_CHOICES = (7, 30, 90)
PURPOSE_MAX, RECIPIENT_MAX = 20, 30  # both are printed in the watermark tiles and must stay legible
OPEN, EXPIRED, REVOKED = "open", "expired", "revoked"
STATE_LABELS = {OPEN: "有效", EXPIRED: "已过期", REVOKED: "已撤销"}


class CopyTermsError(UserError, ValueError):
    """Terms the holder must correct; `message` is Chinese text, `field` the input."""


@dataclass(frozen=True)
class CopyTerms:
    """What the copy is for, whom it is given to, and the last day it opens."""

    purpose: str
    recipient: str
    expires_on: dt.date


def _clean(raw: str, label: str, field: str, longest: int) -> str:
    """Trimmed single-line text without control or format characters (they could hide or reorder text)."""
    text = " ".join(raw.split())
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs") for ch in text):
        raise CopyTermsError(f"{label}含有无法显示的字符，请重新输入", field)
    if len(text) < 2:
        raise CopyTermsError(f"请填写{label}（至少2个字）", field)
    if len(text) > longest:
        raise CopyTermsError(f"{label}请不超过{longest}个字", field)
    return text


def copy_terms(purpose: str, recipient: str, days: str, today: dt.date) -> CopyTerms:
    """Check the form's fields; the copy opens from today through today + days - 1."""
    clean_purpose = _clean(purpose.strip().removeprefix("用于"), "用途", "purpose", PURPOSE_MAX)
    clean_recipient = _clean(recipient, "提供给谁", "recipient", RECIPIENT_MAX)
    if not days.isdigit() or int(days) not in DAY_CHOICES:
        raise CopyTermsError(f"请选择有效期（最长{MAX_DAYS}天）", "days")
    return CopyTerms(clean_purpose, clean_recipient, today + dt.timedelta(days=int(days) - 1))


def copy_state(expires_on: dt.date, revoked: bool, today: dt.date) -> str:
    """open, expired (after its last day) or revoked (the holder withdrew it; that wins)."""
    if revoked:
        return REVOKED
    return OPEN if today <= expires_on else EXPIRED


def coarse_agent(user_agent: str) -> str:
    """The kind of browser, the only thing kept about whoever opened a copy."""
    text = user_agent.lower()
    if "micromessenger" in text:
        return "微信"
    if any(word in text for word in ("mobile", "android", "iphone", "ipad", "harmonyos")):
        return "手机浏览器"
    if any(word in text for word in ("windows", "macintosh", "x11", "linux", "cros")):
        return "电脑浏览器"
    return "其他"
