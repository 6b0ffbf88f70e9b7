"""Working days: the official Chinese calendar (holidays and make-up working days, 调休).

Backed by the ``chinesecalendar`` package. A year it does not know falls back to
Monday–Friday and is remembered in ``unknown_years`` so callers can warn; it never raises.
"""

from __future__ import annotations

from datetime import date

import chinese_calendar


class ChineseWorkingCalendar:
    def __init__(self, overrides: dict[date, bool] | None = None) -> None:
        # Admin-loaded tables win over the package (corrections, future years).
        self.overrides: dict[date, bool] = dict(overrides or {})
        self.unknown_years: set[int] = set()

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            self.unknown_years.add(day.year)
            return day.weekday() < 5

    def knows(self, year: int) -> bool:
        if any(d.year == year for d in self.overrides):
            return True
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True
