"""信息更正 rules: which fields, what a new value must be, the 5-working-day countdown, the change history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.domain.corrections import (
    FIELDS,
    ChangeLine,
    CorrectionValueError,
    change_lines,
    countdown,
    field_for,
    fields_for,
    parse_value,
)
from app.domain.workdays import load_default_calendar

D = dt.date
CALENDAR = load_default_calendar()
CURRENT: dict[str, Any] = {"name": "张伟", "gender": "男", "employer": "重庆长江化工有限公司",
                           "first_issue_date": D(2020, 5, 1), "valid_from": D(2024, 5, 1),
                           "valid_until": D(2030, 4, 30)}


def test_the_employer_is_correctable_only_where_it_is_printed() -> None:
    assert [f.key for f in fields_for("safety_mgmt")] == list(FIELDS)
    assert "employer" not in [f.key for f in fields_for("special_ops")]
    with pytest.raises(CorrectionValueError):
        field_for("employer", "special_ops")
    for unknown in ("id_number", "item_code", "", "__class__"):
        with pytest.raises(CorrectionValueError):
            field_for(unknown, "special_ops")


@pytest.mark.parametrize(("key", "raw", "expected"), [
    ("name", "张 卫", "张卫"),
    ("name", "买买提•艾力", "买买提·艾力"),
    ("gender", "女", "女"),
    ("employer", "  重庆嘉陵化工有限公司 ", "重庆嘉陵化工有限公司"),
    ("valid_until", "2031-04-30", D(2031, 4, 30)),
    ("valid_until", "2031/4/30", D(2031, 4, 30)),
    ("valid_until", "2031年4月30日", D(2031, 4, 30)),
    ("first_issue_date", "2019-05-01", D(2019, 5, 1)),
    ("valid_from", "2024-05-02", D(2024, 5, 2)),
])
def test_a_good_value_is_normalised(key: str, raw: str, expected: Any) -> None:
    assert parse_value(FIELDS[key], raw, CURRENT) == expected


@pytest.mark.parametrize(("key", "raw", "message"), [
    ("name", "", "请填写正确的姓名"),
    ("name", "张伟", "与现有信息相同"),
    ("name", "张3", "数字"),
    ("gender", "男", "与现有信息相同"),
    ("gender", "M", "男”或“女"),
    ("employer", "x" * 201, "不超过200字"),
    ("employer", "公司\x00名", "特殊字符"),
    ("valid_until", "30/04/2031", "日期格式"),
    ("valid_until", "2031-02-30", "日期格式"),
    ("valid_until", "1900-01-01", "合理范围"),
    ("valid_until", "2024-04-30", "有效期开始日期不能晚于有效期结束日期"),
    ("valid_from", "2030-05-01", "有效期开始日期不能晚于有效期结束日期"),
    ("first_issue_date", "2024-05-02", "初领日期不能晚于有效期开始日期"),
])
def test_a_bad_value_is_refused_with_a_reason(key: str, raw: str, message: str) -> None:
    with pytest.raises(CorrectionValueError) as raised:
        parse_value(FIELDS[key], raw, CURRENT)
    assert message in raised.value.message and raised.value.field == "value"


@pytest.mark.parametrize(("submitted", "today", "deadline", "text", "overdue"), [
    # Mon 2026-11-23: five working days later is Mon 11-30.
    (D(2026, 11, 23), D(2026, 11, 23), D(2026, 11, 30), "剩余5个工作日", False),
    (D(2026, 11, 23), D(2026, 11, 28), D(2026, 11, 30), "剩余1个工作日", False),  # a Saturday
    (D(2026, 11, 23), D(2026, 11, 30), D(2026, 11, 30), "今日到期", False),
    (D(2026, 11, 23), D(2026, 12, 1), D(2026, 11, 30), "已超期", True),
    # Submitted on a Saturday: counting starts on Sunday, so Mon-Fri of the next week.
    (D(2026, 11, 21), D(2026, 11, 21), D(2026, 11, 27), "剩余5个工作日", False),
    # Before National Day: 10-01..07 are holidays, Sat 10-10 is a make-up working day.
    (D(2026, 9, 30), D(2026, 9, 30), D(2026, 10, 13), "剩余5个工作日", False),
    (D(2026, 9, 30), D(2026, 10, 9), D(2026, 10, 13), "剩余3个工作日", False),
    # The deadline falls in 2027, whose holidays are not published yet: never guessed.
    (D(2026, 12, 28), D(2026, 12, 28), None, "暂无法确定", False),
])
def test_the_deadline_is_the_fifth_working_day_after_submission(
        submitted: dt.date, today: dt.date, deadline: dt.date | None, text: str, overdue: bool) -> None:
    result = countdown(submitted, today, CALENDAR)
    assert result.deadline == deadline and text in result.text and result.overdue is overdue


def test_the_history_shows_each_change_old_and_new_without_storing_a_value_twice() -> None:
    # An import replaced the whole row (dates as ISO text), then staff corrected the employer twice.
    changes = [{"employer": "甲公司", "valid_until": "2030-04-30", "kind": "safety_mgmt"},
               {"employer": "乙公司"},
               {"employer": "丙公司"}]
    current = {"employer": "丁公司", "valid_until": D(2030, 4, 30), "kind": "safety_mgmt"}
    assert change_lines(changes, current) == [
        [ChangeLine("employer", "甲公司", "乙公司")],  # valid_until and kind did not change: no line
        [ChangeLine("employer", "乙公司", "丙公司")],
        [ChangeLine("employer", "丙公司", "丁公司")],
    ]
    assert change_lines([{"employer": None}], {"employer": "丁公司"}) == [[ChangeLine("employer", "（空）", "丁公司")]]
