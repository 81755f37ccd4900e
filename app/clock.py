"""The service's notion of "now": China Standard Time, injectable for tests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """Wall-clock time in China (certificate dates are Beijing dates)."""

    def now(self) -> datetime:
        return datetime.now(CHINA)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock that stays where a test puts it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment if moment.tzinfo else moment.replace(tzinfo=CHINA)

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.date()
