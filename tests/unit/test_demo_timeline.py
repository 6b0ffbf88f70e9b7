"""Office-hours time for the demo: delays skip nights, weekends and holidays."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from complaintdesk.clock.calendar import ChineseWorkingCalendar
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.demo.timeline import after, office_hours, receipt_times, sweep_moments

CAL = ChineseWorkingCalendar()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def test_two_office_hours_after_friday_afternoon_is_monday_morning() -> None:
    friday = local(2026, 11, 27, 16, 30)
    assert after(friday, 120, CAL).astimezone(SHANGHAI) == local(2026, 11, 30, 9, 30)


def test_a_saturday_night_message_is_first_handled_on_monday_at_opening() -> None:
    saturday = local(2026, 11, 28, 22, 15)
    assert office_hours(saturday, CAL).astimezone(SHANGHAI) == local(2026, 11, 30, 8, 30)
    assert after(saturday, 10, CAL).astimezone(SHANGHAI) == local(2026, 11, 30, 8, 40)


def test_the_national_day_holiday_is_skipped() -> None:
    before = local(2026, 9, 30, 17, 0)  # the last working day before 1-7 October
    assert after(before, 60, CAL).astimezone(SHANGHAI).date() > local(2026, 10, 7, 0, 0).date()


def test_receipts_are_spread_over_working_days_in_office_hours_and_in_the_past() -> None:
    now = local(2026, 11, 30, 9, 0)
    times = receipt_times(now, 200, CAL, random.Random(1))
    assert max(times) < now
    assert now - min(times) > timedelta(days=80)
    for at in times:
        shown = at.astimezone(SHANGHAI)
        assert CAL.is_workday(shown.date())
        assert time(8, 30) <= shown.time() < time(17, 30)
    days = {at.astimezone(SHANGHAI).date() for at in times}
    assert len(days) > 50  # spread, not bunched


def test_the_sweep_runs_at_eight_every_day() -> None:
    moments = sweep_moments(local(2026, 11, 27, 9, 0), local(2026, 11, 30, 9, 0))
    assert [m.astimezone(SHANGHAI) for m in moments] == [
        local(2026, 11, 28, 8, 0),
        local(2026, 11, 29, 8, 0),
        local(2026, 11, 30, 8, 0),
    ]
