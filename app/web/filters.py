"""Template filters shared by every page: Chinese times and durations."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

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


def init_app(app: Flask) -> None:
    """Make the filters available to every template."""
    app.add_template_filter(china_text, "china_time")  # stored UTC -> Beijing time text
    app.add_template_filter(duration_text, "duration")
