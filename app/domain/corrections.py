"""Correcting a certificate's record (信息更正): which fields, what a new value must be, the time limit.

A field is corrected in place and its previous value kept in `certificate_changes`. The ID number
is not correctable here: it identifies the holder (and is inside the special-operations 证号), so
a wrong one is fixed by the exam system's export. 作业类别/操作项目 make the certificate what it is
(app.domain.identity) and change only by a new import. Rules: docs/rules.md, "Corrections".
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.domain.deadlines import DeadlineState, deadline_state, due_on
from app.domain.errors import UserError
from app.domain.names import PersonNameError, normalize_name
from app.domain.workdays import HolidayCalendar

# 网上申请、网上审批、限时办结 (the notice this project comes from): a request is decided within
# 5 working days, counted as every time limit is (app.domain.deadlines).
DEADLINE_WORKDAYS = 5
MAX_TEXT = 200  # certificates.employer
EARLIEST, LATEST = dt.date(1950, 1, 1), dt.date(2100, 12, 31)
BOTH = frozenset({"special_ops", "safety_mgmt"})


class CorrectionValueError(UserError, ValueError):
    """A new value that cannot be accepted; `message` is Chinese text, `field` is "value"."""


@dataclass(frozen=True)
class Field:
    """A correctable field: where it lives (the holder or the certificate) and what its values are."""

    key: str
    label: str
    owner: Literal["person", "certificate"]
    value_kind: Literal["name", "gender", "text", "date"]
    kinds: frozenset[str] = BOTH

    def applies_to(self, kind: str) -> bool:
        return kind in self.kinds


FIELDS: dict[str, Field] = {f.key: f for f in (
    Field("name", "姓名", "person", "name"),
    Field("gender", "性别", "person", "gender"),
    Field("employer", "单位名称", "certificate", "text", frozenset({"safety_mgmt"})),
    Field("first_issue_date", "初领日期", "certificate", "date"),
    Field("valid_from", "有效期开始日期", "certificate", "date"),
    Field("valid_until", "有效期结束日期", "certificate", "date"),
)}
DATE_ORDER = ("first_issue_date", "valid_from", "valid_until")  # each on or before the next


def fields_for(kind: str) -> list[Field]:
    """The fields a holder or operator may correct on a certificate of this kind."""
    return [f for f in FIELDS.values() if f.applies_to(kind)]


def field_for(key: str, kind: str) -> Field:
    """The field named `key`, if it can be corrected on this kind; else CorrectionValueError."""
    found = FIELDS.get(key)
    if found is None or not found.applies_to(kind):
        raise CorrectionValueError("请选择需要更正的项目", "field")
    return found


def display(value: Any) -> str:
    """A stored value as a person reads it."""
    if value is None or value == "":
        return "（空）"
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def parse_value(field: Field, raw: str, current: Mapping[str, Any]) -> Any:
    """The new value typed for `field`, checked against the record's other values (`current`)."""
    value = _parse(field, raw.strip())
    if value == current.get(field.key):
        raise CorrectionValueError("填写的内容与现有信息相同，无需更正", "value")
    if field.key in DATE_ORDER:
        _check_date_order({**{k: current.get(k) for k in DATE_ORDER}, field.key: value})
    return value


def _parse(field: Field, text: str) -> Any:
    if not text:
        raise CorrectionValueError(f"请填写正确的{field.label}", "value")
    if field.value_kind == "name":
        try:
            return normalize_name(text)
        except PersonNameError as exc:
            raise CorrectionValueError(exc.message, "value") from None
    if field.value_kind == "gender":
        if text not in ("男", "女"):
            raise CorrectionValueError("性别请填写“男”或“女”", "value")
        return text
    if field.value_kind == "date":
        return _parse_date(text)
    if len(text) > MAX_TEXT or any(not ch.isprintable() for ch in text):
        raise CorrectionValueError(f"{field.label}请不超过{MAX_TEXT}字，且不含特殊字符", "value")
    return text


def _parse_date(text: str) -> dt.date:
    """YYYY-MM-DD (what a date input sends); also 2024/3/1 and 2024年3月1日 typed by hand."""
    cleaned = text.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-")
    try:
        year, month, day = (int(part) for part in cleaned.split("-"))
        value = dt.date(year, month, day)
    except ValueError:
        raise CorrectionValueError("日期格式应为 2024-03-01", "value") from None
    if not EARLIEST <= value <= LATEST:
        raise CorrectionValueError("日期超出合理范围，请核对", "value")
    return value


def _check_date_order(dates: Mapping[str, dt.date | None]) -> None:
    """初领日期 ≤ 有效期开始日期 ≤ 有效期结束日期."""
    known = [(FIELDS[k].label, day) for k in DATE_ORDER if (day := dates.get(k)) is not None]
    for (first_label, first), (second_label, second) in itertools.pairwise(known):
        if first > second:
            raise CorrectionValueError(f"{first_label}不能晚于{second_label}", "value")


@dataclass(frozen=True)
class Countdown:
    """Where a request stands against its deadline on one day."""

    deadline: dt.date | None  # None: the calendar of the deadline's year is not loaded yet
    workdays_left: int  # working days after today up to the deadline; 0 on the deadline itself
    state: DeadlineState

    @property
    def overdue(self) -> bool:
        return self.state is DeadlineState.OVERDUE

    @property
    def text(self) -> str:
        """`剩余3个工作日`, `今日到期`, `已超期`, or why the deadline is unknown."""
        if self.deadline is None:
            return "办理期限暂无法确定（节假日安排尚未公布）"
        if self.overdue:
            return "已超期"
        return "今日到期" if self.workdays_left == 0 else f"剩余{self.workdays_left}个工作日"


def countdown(submitted: dt.date, today: dt.date, calendar: HolidayCalendar) -> Countdown:
    """The deadline is the 5th working day after the day of submission (app.domain.deadlines); overdue
    from the day after; the working days left are counted down to it."""
    deadline = due_on(submitted, calendar, DEADLINE_WORKDAYS)
    state = deadline_state(deadline, today)
    if deadline is None or state is DeadlineState.OVERDUE:
        return Countdown(deadline, 0, state)
    left, day = 0, today
    while day < deadline:
        day += dt.timedelta(days=1)
        left += calendar.is_workday(day)
    return Countdown(deadline, left, state)


@dataclass(frozen=True)
class ChangeLine:
    """One field of one recorded change: what it was and what it became."""

    field: str
    old: str
    new: str


def change_lines(changes: list[Mapping[str, Any]], current: Mapping[str, Any]) -> list[list[ChangeLine]]:
    """For each change (oldest first, each the previous values it replaced), the field-by-field lines.

    What a field became is what the next change of that field replaced, or the current value: no
    change is stored twice.
    """
    result: list[list[ChangeLine]] = []
    for index, previous in enumerate(changes):
        lines = []
        for key, old in previous.items():
            later = next((c[key] for c in changes[index + 1:] if key in c), current.get(key))
            before, after = display(old), display(later)  # stored JSON holds dates as ISO text
            if before != after:
                lines.append(ChangeLine(key, before, after))
        result.append(lines)
    return result
