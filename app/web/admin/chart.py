"""A stacked bar chart as plain shapes, drawn server-side as inline SVG (no JavaScript, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass

from app.services.review_stats import DayCounts

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 28, 8, 12, 28
SERIES = (("approved", "已通过", "#07c160"),
          ("rejected", "已驳回", "#fa5151"),
          ("pending", "待审核", "#ffc300"))


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

    width: int
    height: int
    bars: list[Bar]
    labels: list[tuple[float, str]]  # x of a day label and its text (MM-DD)
    ticks: list[tuple[float, int]]  # y of a gridline and its value
    legend: tuple[tuple[str, str, str], ...]
    baseline: float
    empty: bool


def _nice_max(value: int) -> int:
    """A round upper bound for the axis (at least 4 so small counts keep whole-number ticks)."""
    for step in (4, 8, 12, 20, 40, 60, 100, 200, 400, 600, 1000):
        if value <= step:
            return step
    return (value // 1000 + 1) * 1000


def daily_chart(days: list[DayCounts]) -> Chart:
    """Lay out one stacked bar per day: approved, rejected, pending from the bottom up."""
    top = _nice_max(max((d.total for d in days), default=0))
    plot_h, plot_w = HEIGHT - TOP - BOTTOM, WIDTH - LEFT - RIGHT
    slot = plot_w / max(len(days), 1)
    bars, labels = [], []
    for index, day in enumerate(days):
        x, base = LEFT + index * slot + slot * 0.15, float(HEIGHT - BOTTOM)
        for key, label, color in SERIES:
            count = getattr(day, key)
            if count:
                h = plot_h * count / top
                base -= h
                bars.append(Bar(round(x, 1), round(base, 1), round(slot * 0.7, 1), round(h, 1), color,
                                f"{day.day:%m-%d} {label} {count}"))
        labels.append((round(LEFT + index * slot + slot / 2, 1), f"{day.day:%m-%d}"))
    ticks = [(round(HEIGHT - BOTTOM - plot_h * v / top, 1), v) for v in (0, top // 2, top)]
    return Chart(WIDTH, HEIGHT, bars, labels, ticks, SERIES, HEIGHT - BOTTOM,
                 empty=not any(d.total for d in days))
