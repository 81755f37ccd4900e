"""Template filters shared by every page: Chinese times and durations, chat text as HTML."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from markupsafe import Markup, escape

from app.services.timeutil import china_text


def duration_text(span: timedelta | None) -> str:
    """`约 2 天 3 小时`-style Chinese text for a duration; "暂无数据" when there is none."""
    if span is None:
        return "暂无数据"
    minutes = int(span.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"约 {days} 天" + (f" {hours} 小时" if hours else "")
    return f"约 {hours} 小时" + (f" {mins} 分钟" if mins else "") if hours else f"约 {max(mins, 1)} 分钟"


def seconds_text(seconds: float | None) -> str:
    """`3 分 20 秒`-style Chinese text for a short span (an import's time left); "—" while unknown."""
    if seconds is None:
        return "—"
    whole = max(round(seconds), 0)
    hours, minutes, secs = whole // 3600, whole % 3600 // 60, whole % 60
    if hours:
        return f"{hours} 小时 {minutes} 分"
    return f"{minutes} 分 {secs} 秒" if minutes else f"{secs} 秒"


def review_wait_text(span: timedelta | None) -> str:
    """The manual-review status page's sentence on how long a review takes, also before any was decided."""
    if span is None:
        return "近期还没有审核完成的申请，暂时无法估计审核需要多长时间。"
    return f"近期人工审核通常需要{duration_text(span)}。"


# The only markup a chat reply carries: our own links (handlers/replies.py), never the user's text.
_LINK = re.compile(r'<a href="(https?://[^"<>\s]+)">([^<]*)</a>')


def chat_html(text: str) -> Markup:
    """A chat reply as HTML: everything escaped except its http(s) links; line breaks kept."""
    parts, last = [], 0
    for match in _LINK.finditer(text):
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup('<a href="{}">{}</a>').format(match.group(1), match.group(2)))
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts).replace("\n", Markup("<br>"))


def init_app(app: Flask) -> None:
    """Make the filters available to every template."""
    app.add_template_filter(china_text, "china_time")  # stored UTC -> Beijing time text
    app.add_template_filter(duration_text, "duration")
    app.add_template_filter(chat_html, "chat_html")
    app.add_template_filter(seconds_text, "seconds")
