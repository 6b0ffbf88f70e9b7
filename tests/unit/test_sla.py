"""Statutory deadlines and the supervision ladder, checked by hand against the calendar.

Every expected date below is counted in the comment next to it, day by day. "wd n" is the
n-th working day; 调休 make-up days count, holidays do not. Day boundaries are Beijing time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from complaintdesk.clock import deadlines as sla
from complaintdesk.clock.calendar import ChineseWorkingCalendar
from complaintdesk.clock.ladder import listing_at, next_step, notice, reminder_at
from complaintdesk.complaints.model import Complaint
from complaintdesk.complaints.vocabulary import Action, DispatchMode, Event, Status
from complaintdesk.kernel.errors import InvalidInput

SH = sla.SHANGHAI
CAL = ChineseWorkingCalendar()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def due(text: str) -> datetime:
    """End of a Beijing day: the form every deadline takes."""
    return sla.end_of_day(date.fromisoformat(text))


def event(action: Action, when: str, **data: Any) -> Event:
    return Event(action, at(when), None, None, Status.REGISTERED, data=data)


FILED = [event(Action.FILE, "2026-01-01T00:00:00+08:00")]


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        # The CLI example. Mon 28 Sep: wd1 Tue 29, wd2 Wed 30, 1–7 Oct off, wd3 Thu 8,
        # wd4 Fri 9, wd5 Sat 10 (调休), wd6–10 Mon 12 … Fri 16.
        ("2026-09-28T15:00:00+08:00", "2026-10-16"),
        # The evening before National Day 2026 (Wed 30 Sep, 20:00): counting starts on
        # 1 Oct, a holiday. wd1 Thu 8, wd2 Fri 9, wd3 Sat 10 (调休), wd4–8 Mon 12 … Fri 16,
        # wd9 Mon 19, wd10 Tue 20.
        ("2026-09-30T20:00:00+08:00", "2026-10-20"),
        # 00:30 on 30 Sep in Beijing is still 29 Sep in UTC: the Beijing day decides, so
        # the answer is the one above. (Counting from the UTC day would give Mon 19 Oct.)
        ("2026-09-29T16:30:00+00:00", "2026-10-20"),
        # Spring Festival 2026, received Fri 13 Feb 18:00. wd1 Sat 14 (调休), 15–23 off,
        # wd2–5 Tue 24 … Fri 27, wd6 Sat 28 (调休), wd7–10 Mon 2 … Thu 5 Mar.
        ("2026-02-13T18:00:00+08:00", "2026-03-05"),
        # National Day 2025, received Fri 26 Sep. Sat 27 off, wd1 Sun 28 (调休), wd2 Mon 29,
        # wd3 Tue 30, 1–8 Oct off, wd4 Thu 9, wd5 Fri 10, wd6 Sat 11 (调休),
        # wd7–10 Mon 13 … Thu 16.
        ("2025-09-26T10:00:00+08:00", "2025-10-16"),
        # An ordinary fortnight: Mon 30 Nov 2026 → wd1 Tue 1 Dec … wd10 Mon 14 Dec.
        ("2026-11-30T09:00:00+08:00", "2026-12-14"),
    ],
)
def test_a_self_handled_complaint_is_due_at_the_end_of_the_tenth_working_day(
    received: str, expected: str
) -> None:
    assert sla.deadline(at(received), FILED, CAL) == due(expected)


def test_the_deadline_is_stored_in_utc_and_shown_in_beijing_time() -> None:
    deadline = sla.deadline(at("2026-09-28T15:00:00+08:00"), FILED, CAL)
    assert deadline is not None
    assert deadline.isoformat() == "2026-10-16T23:59:59+08:00"
    assert deadline.astimezone(UTC).isoformat() == "2026-10-16T15:59:59+00:00"


def test_a_deadline_reaching_into_an_unknown_year_falls_back_and_warns() -> None:
    # Mon 21 Dec 2026: wd1–4 Tue 22 … Fri 25, wd5–8 Mon 28 … Thu 31, then 2027, which the
    # package does not know: Fri 1 Jan counts (Mon–Fri guess) as wd9, Mon 4 Jan is wd10.
    received = at("2026-12-21T09:00:00+08:00")
    calendar = ChineseWorkingCalendar()
    deadline = sla.deadline(received, FILED, calendar)
    assert deadline == due("2027-01-04")
    assert sla.unknown_years(received, deadline, calendar) == [2027]
    warning = sla.calendar_warning([2027])
    assert warning is not None
    assert "2027年日历未知" in warning and "calendar unknown for 2027" in warning


def test_a_loaded_table_for_the_unknown_year_moves_the_deadline_and_clears_the_warning() -> None:
    # With 1 Jan 2027 loaded as a holiday: wd9 is Mon 4 Jan, wd10 Tue 5 Jan.
    received = at("2026-12-21T09:00:00+08:00")
    calendar = ChineseWorkingCalendar({date(2027, 1, 1): False})
    deadline = sla.deadline(received, FILED, calendar)
    assert deadline == due("2027-01-05")
    assert sla.unknown_years(received, deadline, calendar) == []


def test_a_calendar_correction_recomputes_an_open_deadline() -> None:
    # Mon 2 Nov 2026: wd1–4 Tue 3 … Fri 6, wd5–9 Mon 9 … Fri 13, wd10 Mon 16. If the admin
    # corrects Wed 11 Nov to a holiday, wd10 becomes Tue 17.
    received = at("2026-11-02T09:00:00+08:00")
    assert sla.deadline(received, FILED, ChineseWorkingCalendar()) == due("2026-11-16")
    corrected = ChineseWorkingCalendar({date(2026, 11, 11): False})
    assert sla.deadline(received, FILED, corrected) == due("2026-11-17")


def test_a_transfer_runs_ten_working_days_from_the_day_the_unit_signs() -> None:
    received = at("2026-11-02T09:00:00+08:00")
    dispatched = event(Action.DISPATCH, "2026-11-03T10:00:00+08:00", mode="transfer", unit_id=7)
    # Not signed yet: from the dispatch (Tue 3 Nov): wd1–3 Wed 4 … Fri 6, wd4–8 Mon 9 …
    # Fri 13, wd9 Mon 16, wd10 Tue 17.
    assert sla.deadline(received, [*FILED, dispatched], CAL) == due("2026-11-17")
    # Signed Thu 5 Nov 15:00: wd1 Fri 6, wd2–6 Mon 9 … Fri 13, wd7–10 Mon 16 … Thu 19.
    signed = event(Action.RECEIVE, "2026-11-05T15:00:00+08:00")
    assert sla.deadline(received, [*FILED, dispatched, signed], CAL) == due("2026-11-19")


def _self_handled() -> Complaint:
    complaint = Complaint(
        id=1,
        tracking_no="TS1",
        status=Status.IN_PROGRESS,
        received_at=at("2026-11-02T09:00:00+08:00"),
        owner_unit_id=1,
        content="x",
        handling_unit_id=2,
        dispatch_mode=DispatchMode.SELF_HANDLE,
    )
    return complaint


def test_extensions_never_take_the_limit_beyond_thirty_working_days() -> None:
    complaint = _self_handled()
    now = at("2026-11-10T10:00:00+08:00")
    complaint.request_extension(now, 5, working_days=15, reason="需现场勘验")
    complaint.approve_extension(now, 9)
    with pytest.raises(InvalidInput) as refused:
        complaint.request_extension(now, 5, working_days=6, reason="再延")
    assert "30个工作日" in str(refused.value) and "at most 5 more" in str(refused.value)
    complaint.request_extension(now, 5, working_days=5, reason="再延")
    complaint.approve_extension(now, 9)
    history = [*FILED, *complaint.take_events()]
    # 30 working days from Mon 2 Nov: wd10 Mon 16 Nov, wd11–14 Tue 17 … Fri 20,
    # wd15–19 Mon 23 … Fri 27, wd20–24 Mon 30 Nov … Fri 4 Dec, wd25–29 Mon 7 … Fri 11,
    # wd30 Mon 14 Dec.
    assert sla.deadline(complaint.received_at, history, CAL) == due("2026-12-14")


def test_the_clock_itself_caps_a_history_that_claims_more_than_thirty_days() -> None:
    imported = [
        *FILED,
        event(Action.APPROVE_EXTENSION, "2026-11-10T10:00:00+08:00", working_days=20),
        event(Action.APPROVE_EXTENSION, "2026-11-20T10:00:00+08:00", working_days=20),
    ]
    received = at("2026-11-02T09:00:00+08:00")
    assert sla.deadline(received, imported, CAL) == due("2026-12-14")


# --- the supervision ladder ----------------------------------------------------------

DUE = due("2026-12-14")  # Monday


def step(now: str, level: int = 0, reopens: int = 0, status: Status = Status.IN_PROGRESS) -> Any:
    found = next_step(
        status=status,
        overdue_level=level,
        due_at=DUE,
        reopen_count=reopens,
        now=at(now),
        calendar=CAL,
        reminder_working_days=2,
    )
    return found.action if found else None


@pytest.mark.parametrize(
    ("now", "level", "reopens", "expected"),
    [
        # Two working days before Mon 14 Dec are Fri 11 and Thu 10: remind after Thu 10.
        ("2026-12-10T12:00:00+08:00", 0, 0, None),
        ("2026-12-11T00:00:01+08:00", 0, 0, Action.REMIND),
        ("2026-12-11T08:00:00+08:00", 1, 0, None),  # already reminded
        ("2026-12-14T23:59:00+08:00", 1, 0, None),  # last minutes of the deadline
        ("2026-12-15T00:00:01+08:00", 1, 0, Action.SUPERVISE),
        ("2026-12-15T00:00:01+08:00", 0, 0, Action.SUPERVISE),  # never reminded: supervise
        # Listing: 5 working days after Mon 14 are Tue 15 … Fri 18, Mon 21.
        ("2026-12-21T23:00:00+08:00", 2, 0, None),
        ("2026-12-22T09:00:00+08:00", 2, 0, Action.LIST_SUPERVISION),
        ("2026-12-30T09:00:00+08:00", 3, 0, None),  # listed already: nothing more
        # Rectification failed a second time: listed at once, overdue or not.
        ("2026-12-01T09:00:00+08:00", 0, 2, Action.LIST_SUPERVISION),
        ("2026-12-01T09:00:00+08:00", 0, 1, None),
    ],
)
def test_the_ladder_reminds_supervises_and_lists_at_the_right_moments(
    now: str, level: int, reopens: int, expected: Action | None
) -> None:
    assert step(now, level, reopens) == expected


def test_the_listing_period_runs_from_the_supervision_when_that_came_later() -> None:
    # First supervised on Mon 4 Jan 2027 (the worker was down): listing waits five working
    # days from then, not from the deadline (Mon 14 Dec 2026).
    late_supervision = at("2027-01-04T09:00:00+08:00")

    def found(now: str) -> Action | None:
        result = next_step(
            status=Status.IN_PROGRESS,
            overdue_level=2,
            due_at=DUE,
            reopen_count=0,
            now=at(now),
            calendar=CAL,
            supervised_at=late_supervision,
        )
        return result.action if result else None

    assert found("2027-01-04T09:00:01+08:00") is None
    # 2027 is guessed Mon–Fri: Tue 5 … Fri 8, Mon 11 are the five working days.
    assert found("2027-01-11T22:00:00+08:00") is None
    assert found("2027-01-12T08:00:00+08:00") is Action.LIST_SUPERVISION


def test_a_finished_complaint_is_never_chased() -> None:
    assert step("2027-01-30T09:00:00+08:00", status=Status.CLOSED) is None
    assert step("2027-01-30T09:00:00+08:00", status=Status.REPLIED) is None


def test_the_reminder_counts_back_over_a_make_up_saturday() -> None:
    # Due Tue 13 Oct 2026: one working day before is Mon 12, two is Sat 10 (调休).
    deadline = due("2026-10-13")
    assert reminder_at(deadline, 2, CAL) == due("2026-10-10")
    assert listing_at(deadline, CAL) == due("2026-10-20")  # Wed 14 … Fri 16, Mon 19, Tue 20


def test_the_reminder_tells_how_many_working_days_are_left() -> None:
    found = next_step(
        status=Status.IN_PROGRESS,
        overdue_level=0,
        due_at=DUE,
        reopen_count=0,
        now=at("2026-12-11T09:00:00+08:00"),
        calendar=CAL,
    )
    assert found is not None
    assert found.data["working_days_left"] == 2  # Fri 11 and Mon 14
    assert "还剩2个工作日" in found.reason


def test_notices_are_written_in_chinese() -> None:
    subject, body, sms = notice(
        Action.SUPERVISE,
        tracking_no="TS20261130-000001",
        title="工地夜间施工噪音",
        unit="西州住房和城乡建设局",
        due_at=DUE,
        reason="已超过办理时限",
        level=2,
    )
    assert subject == "【督办】投诉 TS20261130-000001 已超期"
    assert "西州住房和城乡建设局：" in body and "2026-12-14 23:59" in body
    assert sms.startswith("【投诉中心】督办：投诉TS20261130-000001")


LADDER = [
    (Action.REMIND, Complaint.remind, 1),
    (Action.SUPERVISE, Complaint.supervise, 2),
    (Action.LIST_SUPERVISION, Complaint.list_supervision, 3),
]


@pytest.mark.parametrize(("action", "method", "level"), LADDER)
@pytest.mark.parametrize("status", list(Status))
def test_a_ladder_step_is_allowed_exactly_while_the_clock_runs_and_keeps_the_status(
    action: Action, method: Any, level: int, status: Status
) -> None:
    from complaintdesk.complaints.vocabulary import OPEN_STATUSES, IllegalTransition

    complaint = _self_handled()
    complaint.status = status
    if status not in OPEN_STATUSES:
        with pytest.raises(IllegalTransition):
            method(complaint, at("2026-12-15T09:00:00+08:00"), 7, reason="督办")
        assert complaint.pending_events == []
        return
    event = method(complaint, at("2026-12-15T09:00:00+08:00"), 7, reason=" 督办 ")
    assert (event.action, event.from_status, event.to_status) == (action, status, status)
    assert complaint.status is status
    assert complaint.overdue_level == level == event.data["overdue_level"]
    assert event.reason == "督办"


def test_a_manual_reminder_never_lowers_the_level() -> None:
    complaint = _self_handled()
    complaint.supervise(at("2026-12-15T09:00:00+08:00"), 7)
    complaint.remind(at("2026-12-16T09:00:00+08:00"), 7)
    assert complaint.overdue_level == 2
