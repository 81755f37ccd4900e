"""Stacked bar charts per day as plain shapes, drawn server-side as inline SVG (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.services.review_stats import DayCounts

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 28, 8, 12, 28
GREEN, RED, AMBER, GREY = "#07c160", "#fa5151", "#ffc300", "#8c8c8c"
REVIEW_SERIES = (("approved", "已通过", GREEN), ("rejected", "已驳回", RED), ("pending", "待审核", AMBER))


@dataclass(frozen=True)
class Series:
    """One colour of the stack: a value per day."""

    key: str
    label: str
    color: str
    values: Sequence[int]


@dataclass(frozen=True)
class Bar:
    """One coloured segment of a day's bar."""

    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class Chart:
    """Everything the template needs to draw the chart."""

    id: str
    title: str
    empty_text: str
    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]  # x of a day label and its text (MM-DD)
    ticks: list[tuple[float, int]]  # y of a gridline and its value
    legend: tuple[tuple[str, str, str], ...]  # key, label, colour
    baseline: float
    empty: bool


def _nice_max(value: int) -> int:
    """A round upper bound for the axis (at least 4 so small counts keep whole-number ticks)."""
    for step in (4, 8, 12, 20, 40, 60, 100, 200, 400, 600, 1000):
        if value <= step:
            return step
    return (value // 1000 + 1) * 1000


def stacked_chart(chart_id: str, title: str, empty_text: str, days: Sequence[date],
                  series: Sequence[Series]) -> Chart:
    """One stacked bar per day, the first series at the bottom."""
    totals = [sum(s.values[i] for s in series) for i in range(len(days))]
    top = _nice_max(max(totals, default=0))
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    slot = plot_w / max(len(days), 1)
    bars, labels = [], []
    for index, day in enumerate(days):
        x, base = LEFT + index * slot + slot * 0.15, float(HEIGHT - BOTTOM)
        for one in series:
            count = one.values[index]
            if count:
                h = plot_h * count / top
                base -= h
                bars.append(Bar(round(x, 1), round(base, 1), round(slot * 0.7, 1), round(h, 1), one.color,
                                f"{day:%m-%d} {one.label} {count}"))
        labels.append((round(LEFT + index * slot + slot / 2, 1), f"{day:%m-%d}"))
    ticks = [(round(HEIGHT - BOTTOM - plot_h * v / top, 1), v) for v in (0, top // 2, top)]
    legend = tuple((s.key, s.label, s.color) for s in series)
    return Chart(chart_id, title, empty_text, WIDTH, HEIGHT, bars, labels, ticks, legend, HEIGHT - BOTTOM,
                 empty=not any(totals))


def daily_chart(days: list[DayCounts]) -> Chart:
    """Manual-review requests per day: approved, rejected, pending from the bottom up."""
    series = [Series(key, label, color, [getattr(d, key) for d in days]) for key, label, color in REVIEW_SERIES]
    return stacked_chart("daily-chart", "近14天每日人工审核申请数", "近14天没有申请", [d.day for d in days], series)
