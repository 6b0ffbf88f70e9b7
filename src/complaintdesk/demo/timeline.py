"""Office-hours time for the demo: when people at a centre or a bureau could have acted.

Staff act on working days (the statutory calendar, 调休 included) between 08:30 and 17:30
Asia/Shanghai; a citizen may write at any hour. Delays are counted in office minutes, so
"two office days" after Friday 16:00 is Tuesday 16:00, and a message sent on Saturday night
is accepted on Monday morning.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from complaintdesk.clock.deadlines import SHANGHAI, WorkingCalendar, local_date

OPENS = time(8, 30)
CLOSES = time(17, 30)
OFFICE_DAY_MINUTES = 9 * 60


def _next_workday(day: date, calendar: WorkingCalendar) -> date:
    """The first working day strictly after ``day``."""
    day += timedelta(days=1)
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return day


def _at(day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=SHANGHAI).astimezone(UTC)


def office_hours(at: datetime, calendar: WorkingCalendar) -> datetime:
    """``at`` itself when the office is open then, else the next opening."""
    local = at.astimezone(SHANGHAI)
    day = local.date()
    if calendar.is_workday(day):
        if local.time() < OPENS:
            return _at(day, OPENS)
        if local.time() < CLOSES:
            return at.astimezone(UTC)
    return _at(_next_workday(day, calendar), OPENS)


def after(at: datetime, minutes: float, calendar: WorkingCalendar) -> datetime:
    """``minutes`` of office time after ``at`` (strictly later, even when ``at`` is at night)."""
    moment = office_hours(at, calendar)
    left = max(minutes, 0.5)
    while True:
        local = moment.astimezone(SHANGHAI)
        closing = _at(local.date(), CLOSES)
        room = (closing - moment).total_seconds() / 60
        if left < room:
            return moment + timedelta(minutes=left)
        left -= room
        moment = _at(_next_workday(local.date(), calendar), OPENS)


def receipt_times(
    now: datetime,
    count: int,
    calendar: WorkingCalendar,
    rng: random.Random,
    *,
    days: int = 90,
    anytime: list[bool] | None = None,
) -> list[datetime]:
    """``count`` receipts spread evenly over the working days of the last ``days`` days,
    the i-th on the day of its share (older first; within a day in no order): in office
    hours, or, where ``anytime[i]``, at any hour of that day from 07:00 to 23:00 (web
    messages). None is later than a few minutes before ``now``; today counts only once the
    office has been open for half an hour."""
    today = local_date(now)
    latest = now - timedelta(minutes=5)
    workdays = [
        day
        for day in (today - timedelta(days=offset) for offset in range(days, -1, -1))
        if calendar.is_workday(day) and _at(day, OPENS) < latest - timedelta(minutes=30)
    ]
    out: list[datetime] = []
    for i in range(count):
        day = workdays[min(i * len(workdays) // max(count, 1), len(workdays) - 1)]
        if anytime is not None and anytime[i]:
            start, end = _at(day, time(7)), _at(day, time(23))
        else:
            start, end = _at(day, OPENS), _at(day, CLOSES)
        end = min(end, latest)  # today: only the part of the day that has passed
        start = min(start, end - timedelta(minutes=1))
        out.append(start + (end - start) * rng.random())
    return out


def sweep_moments(start: datetime, end: datetime) -> list[datetime]:
    """When the worker's sweep is taken to have run: 08:00 every day in (start, end]."""
    day = local_date(start)
    out: list[datetime] = []
    while True:
        moment = _at(day, time(8))
        if moment > end:
            return out
        if moment > start:
            out.append(moment)
        day += timedelta(days=1)
