"""Pure helpers of the back office: the audit page's filters and the stacked day chart."""

from __future__ import annotations

from datetime import date

import pytest

from app.web.admin.audit import parse_query
from app.web.admin.chart import Series, stacked_chart


@pytest.mark.parametrize(("args", "since", "until", "problems"), [
    ({}, None, None, 0),
    ({"since": "2026-12-01", "until": "2026-12-03"}, date(2026, 12, 1), date(2026, 12, 3), 0),
    ({"since": "2026-12-03", "until": "2026-12-01"}, date(2026, 12, 1), date(2026, 12, 3), 0),  # swapped back
    ({"since": "12/01/2026"}, None, None, 1),  # a bad date is dropped with a note, never a 500
    ({"until": "2026-13-40"}, None, None, 1),
])
def test_audit_filters_read_dates_leniently(args: dict[str, str], since: date | None, until: date | None,
                                            problems: int) -> None:
    query, notes = parse_query(args)
    assert (query.since, query.until, len(notes)) == (since, until, problems)


def test_audit_filters_are_trimmed_and_bounded() -> None:
    query, _ = parse_query({"actor": " staff:a ", "certificate": "x" * 500, "action": "staff.create"})
    assert query.actor == "staff:a" and len(query.public_id) == 64 and query.action == "staff.create"


def test_a_stacked_chart_puts_the_first_series_at_the_bottom() -> None:
    days = [date(2026, 12, 1), date(2026, 12, 2)]
    series = [Series("a", "甲", "#0f0", [2, 0]), Series("b", "乙", "#f00", [2, 1])]
    chart = stacked_chart("c", "t", "none", days, series)
    first_day = [bar for bar in chart.bars if bar.title.startswith("12-01")]
    assert [bar.color for bar in first_day] == ["#0f0", "#f00"]
    assert first_day[0].y > first_day[1].y  # drawn upwards from the baseline
    assert chart.ticks[-1][1] == 4 and not chart.empty and [label for _, label in chart.labels] == ["12-01", "12-02"]


def test_a_chart_without_counts_says_so() -> None:
    chart = stacked_chart("c", "t", "没有数据", [date(2026, 12, 1)], [Series("a", "甲", "#0f0", [0])])
    assert chart.empty and chart.bars == []
