"""The supervision ladder (SPEC §4): reminder 催办 → supervision 督办 → listed 挂牌督办.

Pure functions of the complaint's clock state, ``now`` and a working-day calendar; the
sweep (``services/sweep.py``) applies what :func:`next_step` says.

- **Reminder (催办, overdue level 1)** once only ``reminder_working_days`` working days
  are left: from the end of the N-th working day before the due day. With N = 2 and a
  deadline on Monday 14 Dec 2026, the reminder is due after Thursday 10 Dec, so the unit
  still has Friday 11 and Monday 14.
- **Supervision (督办, level 2)** as soon as the deadline has passed.
- **Listed supervision (挂牌督办, level 3)** when a supervised complaint is still open and
  overdue ``LISTING_AFTER_WORKING_DAYS`` (5) working days after it was supervised (or after
  its deadline, if it was supervised by hand before the deadline), or at once when
  rectification failed a second time (the callback reopened it twice). Counting from the
  supervision gives the unit its "further period" even when the worker first meets a
  complaint long after its deadline.

A step never repeats for the same deadline: the level only goes up, and extending or
reopening (a new deadline) resets it in the aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from complaintdesk.clock.deadlines import (
    SHANGHAI,
    WorkingCalendar,
    add_working_days,
    end_of_day,
    local_date,
    sub_working_days,
    working_days_between,
)
from complaintdesk.complaints.vocabulary import OPEN_STATUSES, Action, Status

DEFAULT_REMINDER_WORKING_DAYS = 2
LISTING_AFTER_WORKING_DAYS = 5
# "Rectification fails a second time": the second reopen after a failed callback.
REOPENS_FOR_LISTING = 2

LEVEL_OF: dict[Action, int] = {
    Action.REMIND: 1,
    Action.SUPERVISE: 2,
    Action.LIST_SUPERVISION: 3,
}
LEVEL_LABELS: dict[int, tuple[str, str]] = {
    0: ("正常", "on time"),
    1: ("已催办", "reminded"),
    2: ("已督办", "supervised"),
    3: ("挂牌督办", "listed for supervision"),
}


@dataclass(frozen=True)
class Step:
    action: Action
    reason: str
    data: dict[str, Any] = field(default_factory=dict)


def reminder_at(
    due_at: datetime, reminder_working_days: int, calendar: WorkingCalendar
) -> datetime | None:
    """When the reminder falls due; None when reminders are switched off (N = 0)."""
    if reminder_working_days < 1:
        return None
    day = sub_working_days(local_date(due_at), reminder_working_days, calendar)
    return end_of_day(day)


def listing_at(
    due_at: datetime,
    calendar: WorkingCalendar,
    after: int = LISTING_AFTER_WORKING_DAYS,
    supervised_at: datetime | None = None,
) -> datetime:
    """When a still-overdue supervised complaint is listed: end of the 5th working day
    after the later of its due day and the day it was supervised."""
    since = max(due_at, supervised_at) if supervised_at is not None else due_at
    return end_of_day(add_working_days(local_date(since), after, calendar))


def next_step(
    *,
    status: Status,
    overdue_level: int,
    due_at: datetime | None,
    reopen_count: int,
    now: datetime,
    calendar: WorkingCalendar,
    reminder_working_days: int = DEFAULT_REMINDER_WORKING_DAYS,
    listing_working_days: int = LISTING_AFTER_WORKING_DAYS,
    supervised_at: datetime | None = None,
) -> Step | None:
    """The one step the sweep should take now, or None. One step per sweep: a complaint
    found long overdue is supervised first and listed by a later sweep."""
    if status not in OPEN_STATUSES or due_at is None:
        return None
    due_text = due_at.astimezone(SHANGHAI).isoformat()
    if reopen_count >= REOPENS_FOR_LISTING and overdue_level < 3:
        return Step(
            Action.LIST_SUPERVISION,
            f"整改第{reopen_count}次未通过回访，挂牌督办"
            f" / rectification failed {reopen_count} times: listed for supervision",
            {"rule": "failed_twice", "due_at": due_text, "reopen_count": reopen_count},
        )
    if now > due_at:
        late = working_days_between(local_date(due_at), local_date(now), calendar)
        if overdue_level < 2:
            return Step(
                Action.SUPERVISE,
                f"已超过办理时限（{due_text}），督办 / past the deadline ({due_text}): supervised",
                {"rule": "overdue", "due_at": due_text, "overdue_working_days": late},
            )
        listing = listing_at(due_at, calendar, listing_working_days, supervised_at)
        if overdue_level == 2 and now > listing:
            return Step(
                Action.LIST_SUPERVISION,
                f"督办后逾期已达{late}个工作日仍未办结，挂牌督办"
                f" / still open {late} working days past the deadline: listed for supervision",
                {"rule": "still_overdue", "due_at": due_text, "overdue_working_days": late},
            )
        return None
    remind = reminder_at(due_at, reminder_working_days, calendar)
    if overdue_level < 1 and remind is not None and now > remind:
        left = working_days_between(local_date(now), local_date(due_at), calendar)
        if calendar.is_workday(local_date(now)):
            left += 1
        return Step(
            Action.REMIND,
            f"距办理时限还剩{left}个工作日，请抓紧办理 / {left} working days left: please finish",
            {"rule": "before_deadline", "due_at": due_text, "working_days_left": left},
        )
    return None


# --- notification texts (Chinese first) ------------------------------------------

SUBJECTS: dict[Action, str] = {
    Action.REMIND: "【催办】投诉 {tracking_no} 即将到期",
    Action.SUPERVISE: "【督办】投诉 {tracking_no} 已超期",
    Action.LIST_SUPERVISION: "【挂牌督办】投诉 {tracking_no}",
}
BODY = """{unit}：

投诉 {tracking_no}（{title}）{headline}
办理时限：{due}
督办等级：{level_zh}
说明：{reason}

请登录投诉处理系统查看并及时办理、答复投诉人，办理结果书面报送投诉中心。
（本通知由系统自动发送，请勿直接回复。）

Complaint {tracking_no}: {level_en}. Deadline {due}. Please sign in to complaintdesk.
"""
HEADLINES: dict[Action, str] = {
    Action.REMIND: "即将到达办理时限，现予催办。",
    Action.SUPERVISE: "已超过办理时限，现予督办。",
    Action.LIST_SUPERVISION: "经督办仍未办结，现予挂牌督办。",
}
SMS = "【投诉中心】{label}：投诉{tracking_no}{headline}时限{due_short}，请尽快办理。"


def notice(
    action: Action,
    *,
    tracking_no: str,
    title: str,
    unit: str,
    due_at: datetime | None,
    reason: str,
    level: int,
) -> tuple[str, str, str]:
    """(e-mail subject, e-mail body, SMS text) of one supervision step, in Chinese."""
    due = due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if due_at else "—"
    due_short = due_at.astimezone(SHANGHAI).strftime("%m月%d日") if due_at else "—"
    level_zh, level_en = LEVEL_LABELS.get(level, LEVEL_LABELS[0])
    subject = SUBJECTS[action].format(tracking_no=tracking_no)
    body = BODY.format(
        unit=unit or "承办单位",
        tracking_no=tracking_no,
        title=title or "无标题",
        headline=HEADLINES[action],
        due=due,
        level_zh=level_zh,
        level_en=level_en,
        reason=reason,
    )
    label = {1: "催办", 2: "督办", 3: "挂牌督办"}.get(LEVEL_OF[action], "督办")
    sms = SMS.format(
        label=label, tracking_no=tracking_no, headline=HEADLINES[action], due_short=due_short
    )
    return subject, body, sms
