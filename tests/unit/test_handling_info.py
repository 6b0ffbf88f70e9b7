"""What the handling and callback pages compute: the extension ceiling as a date on the
official calendar, the callback script, the cost of a reopen."""

from __future__ import annotations

from datetime import date, datetime

from complaintdesk.clock.calendar import ChineseWorkingCalendar
from complaintdesk.clock.deadlines import SHANGHAI, end_of_day
from complaintdesk.complaints.handling_info import callback_script, extension_limits, reopen_cost
from complaintdesk.evaluation import scoring

CAL = ChineseWorkingCalendar()


def test_the_ceiling_counts_the_remaining_working_days_on_the_official_calendar() -> None:
    # A deadline of Thursday 9 October 2025, just after the National Day holiday
    # (1–8 October): 20 more working days, of which Saturday 11 October is one (调休).
    due = end_of_day(date(2025, 10, 9))
    limits = extension_limits(due, used=0, pending=0, calendar=CAL)
    assert limits.room == 20
    assert limits.ceiling_on is not None
    assert limits.ceiling_on == date(2025, 11, 5)


def test_approved_days_shrink_the_room_and_a_pending_request_shows_its_new_deadline() -> None:
    due = end_of_day(date(2026, 12, 14))  # a Monday
    limits = extension_limits(due, used=15, pending=3, calendar=CAL)
    assert limits.room == 5
    assert limits.after_pending == date(2026, 12, 17)
    assert limits.ceiling_on == date(2026, 12, 21)
    full = extension_limits(due, used=20, pending=0, calendar=CAL)
    assert full.room == 0 and full.ceiling_on == date(2026, 12, 14)


def test_a_reopen_costs_the_evaluations_deduction_for_a_case_not_rectified_twice() -> None:
    cost = reopen_cost()
    per_case = scoring.DEDUCTIONS[scoring.RectificationKind.LATE_OR_INCOMPLETE]
    assert cost.per_case == per_case and cost.points == 2 * per_case
    assert cost.base == scoring.RECTIFICATION_BASE


def test_the_script_greets_by_surname_only_and_asks_both_questions_in_both_languages() -> None:
    lines = callback_script(
        centre="西州机关效能投诉中心",
        auditor="陈静",
        masked_name="王**",
        anonymous=False,
        tracking_no="TS20261130-000001",
        title="窗口推诿",
        received_at=datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI),
        handling_unit="西州住房和城乡建设局",
        replied_at=datetime(2026, 12, 4, 15, 0, tzinfo=SHANGHAI),
        channel="sms",
    )
    keys = [line.key for line in lines]
    assert keys == ["greeting", "solved", "satisfied", "unsatisfied", "closing"]
    greeting = lines[0]
    assert greeting.zh.startswith("王先生/女士，您好！我是西州机关效能投诉中心的回访员陈静")
    assert "2026年11月30日" in greeting.zh and "2026年12月4日通过短信答复" in greeting.zh
    assert "2026-12-04" in greeting.en and "by SMS" in greeting.en
    assert "解决" in lines[1].zh and "solved" in lines[1].en
    assert "满意" in lines[2].zh and "satisfied" in lines[2].en
    anonymous = callback_script(
        centre="中心",
        auditor="回访员 陈静",
        masked_name="匿名",
        anonymous=True,
        tracking_no="TS1",
        title="",
        received_at=None,
        handling_unit=None,
        replied_at=None,
        channel=None,
    )
    assert anonymous[0].zh.startswith("您好！我是中心的回访员 陈静")
    assert "匿名" not in anonymous[0].zh
