"""Statutory deadlines (SPEC §4) as a pure function of the event log and a calendar.

``due_at = deadline(events, calendar)``: the stored ``due_at`` is only a cache, so a
corrected holiday table or a late extension recomputes it.

- Self-handled (自办) or not yet dispatched: 10 working days counted from the day after
  receipt.
- Transferred (转办): 10 working days counted from the day after the unit signs for the
  transfer (签收); until it signs, from the day after dispatch, so a unit cannot stop the
  clock by not signing.
- Approved extensions add their working days (never beyond 30 in total: the aggregate
  refuses more).
- A reopened complaint (failed callback) gets a fresh 10 working days from the reopen.
- The deadline is the end of the last working day in Asia/Shanghai.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from complaintdesk.complaints.vocabulary import (
    BASE_WORKING_DAYS,
    MAX_TOTAL_WORKING_DAYS,
    Action,
    DispatchMode,
    Event,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


class WorkingCalendar(Protocol):
    def is_workday(self, day: date) -> bool: ...


class KnowingCalendar(WorkingCalendar, Protocol):
    """A calendar that can say whether it really knows a year (or only guesses Mon–Fri)."""

    def knows(self, year: int) -> bool: ...


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def add_working_days(start: date, days: int, calendar: WorkingCalendar) -> date:
    """The ``days``-th working day counted from the day after ``start``."""
    if days < 1:
        raise ValueError("days must be at least 1")
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if calendar.is_workday(current):
            counted += 1
    return current


def sub_working_days(day: date, days: int, calendar: WorkingCalendar) -> date:
    """The ``days``-th working day counted back from the day before ``day``."""
    if days < 1:
        raise ValueError("days must be at least 1")
    current = day
    counted = 0
    while counted < days:
        current -= timedelta(days=1)
        if calendar.is_workday(current):
            counted += 1
    return current


def working_days_between(start: date, end: date, calendar: WorkingCalendar) -> int:
    """Working days in the half-open interval (start, end]; 0 when end <= start."""
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if calendar.is_workday(current):
            count += 1
    return count


def working_days_left(due_at: datetime, now: datetime, calendar: WorkingCalendar) -> int:
    """Working days from today to the deadline's day, as a badge shows them.

    0: due today; 2: due on the second working day after today; negative: overdue by that
    many working days (a deadline that passed today counts -1 from tomorrow on).
    """
    today, due = local_date(now), local_date(due_at)
    if due >= today:
        return working_days_between(today, due, calendar)
    return -working_days_between(due, today, calendar) or -1


def end_of_day(day: date) -> datetime:
    """23:59:59 Asia/Shanghai of ``day``: the last moment of a working day's deadline."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def due_after(moment: datetime, working_days: int, calendar: WorkingCalendar) -> datetime:
    return end_of_day(add_working_days(local_date(moment), working_days, calendar))


def deadline(
    received_at: datetime, events: Iterable[Event], calendar: WorkingCalendar
) -> datetime | None:
    """The current statutory deadline of a complaint, from its whole event history."""
    start = received_at
    extension = 0
    mode: str | None = None
    for event in events:
        if event.action is Action.DISPATCH:
            extension = 0
            mode = event.data.get("mode")
            if mode == DispatchMode.TRANSFER.value:
                start = event.at
            # self-handling keeps the clock that started at receipt
        elif event.action is Action.RECEIVE and mode == DispatchMode.TRANSFER.value:
            start = event.at
        elif event.action is Action.APPROVE_EXTENSION:
            extension += int(event.data.get("working_days", 0))
        elif event.action is Action.REOPEN:
            start = event.at
            extension = 0
    # The aggregate refuses more, but the clock itself never runs past 30 working days
    # either, whatever an imported or hand-edited history says.
    total = min(BASE_WORKING_DAYS + extension, MAX_TOTAL_WORKING_DAYS)
    return due_after(start, total, calendar)


def unknown_years(
    received_at: datetime, due_at: datetime | None, calendar: KnowingCalendar
) -> list[int]:
    """Years between receipt and deadline that the calendar only guessed (Mon–Fri)."""
    first = local_date(received_at).year
    last = local_date(due_at).year if due_at is not None else first
    return [year for year in range(first, max(first, last) + 1) if not calendar.knows(year)]


def calendar_warning(years: Iterable[int]) -> str | None:
    """The visible warning for a deadline counted partly on a guessed calendar."""
    years = list(years)
    if not years:
        return None
    listed = "、".join(str(y) for y in years)
    english = ", ".join(str(y) for y in years)
    return (
        f"{listed}年日历未知，按周一至周五计算工作日，请管理员导入节假日表"
        f" / calendar unknown for {english}: Monday–Friday assumed; an admin should load"
        " the holiday table"
    )
