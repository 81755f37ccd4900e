"""Inspectors (执法人员) on site: who sees the inspector view, binding codes, and what an inspection keeps.

Pure rules over plain values; app/services/inspections.py stores and reads, app/web/inspection.py shows.
Sources: docs/rules.md ("Inspectors").
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

INSPECTOR_ROLE = "inspector"
ANONYMOUS = "anonymous"
INSPECTOR = "inspector"

BIND_CODE_DIGITS = 6
BIND_CODE_SECONDS = 600  # a binding code is shown for ten minutes, then it is worthless
# Scanning the same certificate again within this time adds to the same inspection (the chat reply,
# then the inspector view it links to, then the ID check: one check, one row).
SAME_CHECK = timedelta(minutes=10)

MATCH = "match"
MISMATCH = "mismatch"
ID_CHECK_LABELS = {MATCH: "一致", MISMATCH: "不一致", None: "未核对"}
MISMATCH_HEADLINE = "身份证号码与持证人不符"

# "绑定 123456", "绑定123456" or the six digits alone, as typed in the official account's chat
# (handlers/inspector.py routes on the same pattern).
BIND_TEXT_PATTERN = r"^\s*(?:绑定\s*)?(\d{6})\s*$"
_BIND_TEXT = re.compile(BIND_TEXT_PATTERN)


def view_for(roles: frozenset[str] | None, active: bool, bound: bool) -> str:
    """INSPECTOR for an active staff account holding the inspector role and bound to this WeChat
    account; ANONYMOUS for everyone else (roles None: the openid is no staff member's)."""
    if roles is None or not active or not bound or INSPECTOR_ROLE not in roles:
        return ANONYMOUS
    return INSPECTOR


def bind_code_in(text: str) -> str | None:
    """The binding code in a chat message, or None when the message is not one."""
    found = _BIND_TEXT.match(text)
    return found.group(1) if found else None


def bind_code_usable(issued_at: datetime, now: datetime) -> bool:
    """A code works from when it is shown for BIND_CODE_SECONDS (never one from the future)."""
    age = (now - issued_at).total_seconds()
    return 0 <= age <= BIND_CODE_SECONDS


def remembered_site(last_site: str | None, last_day: date | None, today: date) -> str:
    """The site typed at the inspector's last check, if it was today (China date); else nothing."""
    return (last_site or "") if last_day == today else ""


def continues_check(last_at: datetime | None, last_certificate: int | None, certificate: int,
                    now: datetime) -> bool:
    """Whether a new look at `certificate` belongs to the inspector's previous row (same certificate,
    within SAME_CHECK) rather than starting a new inspection."""
    if last_at is None or last_certificate != certificate:
        return False
    return timedelta(0) <= now - last_at <= SAME_CHECK


def banner(tone: str, headline: str, id_check: str | None) -> tuple[str, str]:
    """The verdict banner (tone, headline) after an ID check: a mismatch turns the whole banner red."""
    if id_check == MISMATCH:
        return "bad", MISMATCH_HEADLINE
    return tone, headline


def clean_site(text: str) -> str | None:
    """What an inspector typed as the site or company: trimmed, at most 100 characters, None if empty."""
    site = " ".join(text.split())[:100]
    return site or None
