"""What the handling and callback pages tell the person at the desk, computed from the
rules rather than written into the templates: the extension ceiling on the statutory clock
(SPEC §4), the callback script (SPEC §6, 全量回访) and what a reopen costs the unit.

Pure functions of their inputs and a working-day calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from complaintdesk.clock import deadlines as sla
from complaintdesk.complaints.forms import REPLY_CHANNELS
from complaintdesk.complaints.vocabulary import BASE_WORKING_DAYS, MAX_TOTAL_WORKING_DAYS
from complaintdesk.evaluation import scoring

# --- extensions (SPEC §4: 10 working days, extended with approval, never beyond 30) ----------


@dataclass(frozen=True)
class ExtensionLimits:
    due_on: date | None  # the current deadline's day
    used: int  # approved extension working days so far
    pending: int  # working days requested and waiting for the leader
    room: int  # working days that may still be requested
    ceiling_on: date | None  # the last day the clock may ever reach: 30 working days
    after_pending: date | None  # the deadline if the pending request is approved
    base: int = BASE_WORKING_DAYS
    max_total: int = MAX_TOTAL_WORKING_DAYS


def extension_limits(
    due_at: datetime | None, used: int, pending: int, calendar: sla.WorkingCalendar
) -> ExtensionLimits:
    """The ceiling as a date. The deadline is the (10 + used)-th working day of the clock, so
    the ceiling is ``room`` working days after it — counted on the same calendar, 调休 and
    holidays included."""
    room = max(MAX_TOTAL_WORKING_DAYS - BASE_WORKING_DAYS - used, 0)
    if due_at is None:
        return ExtensionLimits(None, used, pending, room, None, None)
    due_on = sla.local_date(due_at)
    ceiling = sla.add_working_days(due_on, room, calendar) if room else due_on
    after = sla.add_working_days(due_on, pending, calendar) if pending else None
    return ExtensionLimits(due_on, used, pending, room, ceiling, after)


# --- what a reopen costs (SPEC §6 "counts double against the unit"; §8.2 rectification) -----

# Source §3 1.3 (4): a callback that finds the problem "not solved and true" is not a
# resolution and "加倍扣分" — counted twice.
CALLBACK_FAILURE_MULTIPLIER = 2


@dataclass(frozen=True)
class ReopenCost:
    per_case: int  # §8.2: a case not rectified on time or not completely (−3)
    multiplier: int
    base: int  # the rectification score a unit starts the period with (20)

    @property
    def points(self) -> int:
        return self.per_case * self.multiplier


def reopen_cost() -> ReopenCost:
    """The unit evaluation's deduction for a case not rectified (§8.2 "late or incomplete"),
    doubled because the callback confirmed it. Read from the evaluation rules, so a change
    of the deduction table changes what the page says."""
    per_case = scoring.DEDUCTIONS[scoring.RectificationKind.LATE_OR_INCOMPLETE]
    return ReopenCost(per_case, CALLBACK_FAILURE_MULTIPLIER, scoring.RECTIFICATION_BASE)


# --- the callback script ------------------------------------------------------------------


@dataclass(frozen=True)
class ScriptLine:
    key: str  # greeting, solved, satisfied, unsatisfied, closing
    zh: str
    en: str


def channel_label(channel: str | None) -> tuple[str, str]:
    for value, zh, en in REPLY_CHANNELS:
        if value == channel:
            return zh, en
    return (channel or "—"), (channel or "—")


def _address_zh(masked_name: str | None, anonymous: bool) -> str:
    """王** → 王先生/女士: the surname is all a masked name keeps, and all a call needs."""
    if anonymous or not masked_name:
        return "您好"
    surname = masked_name[0]
    if "\u4e00" <= surname <= "\u9fff":
        return f"{surname}先生/女士，您好"
    return "您好"


def _as_auditor(name: str) -> str:
    """陈静 → 回访员陈静; a display name that already says 回访员 is left as it is."""
    return name if "回访员" in name else f"回访员{name}"


def _day_zh(day: datetime | None) -> str:
    if day is None:
        return "近日"
    d = sla.local_date(day)
    return f"{d.year}年{d.month}月{d.day}日"


def _day_en(day: datetime | None) -> str:
    return sla.local_date(day).isoformat() if day is not None else "recently"


def callback_script(
    *,
    centre: str,
    auditor: str,
    masked_name: str | None,
    anonymous: bool,
    tracking_no: str,
    title: str,
    received_at: datetime | None,
    handling_unit: str | None,
    replied_at: datetime | None,
    channel: str | None,
) -> list[ScriptLine]:
    """What the auditor says, in order, in Chinese and English (SPEC §1: a complainant may
    write and speak either)."""
    matter_zh = f"“{title}”" if title else "的问题"
    matter_en = f"“{title}”" if title else "your complaint"
    unit_zh = handling_unit or "承办单位"
    unit_en = handling_unit or "the handling unit"
    ch_zh, ch_en = channel_label(channel)
    return [
        ScriptLine(
            "greeting",
            f"{_address_zh(masked_name, anonymous)}！我是{centre}的{_as_auditor(auditor)}。"
            f"您于{_day_zh(received_at)}反映{matter_zh}（受理编号 {tracking_no}），"
            f"{unit_zh}已于{_day_zh(replied_at)}通过{ch_zh}答复您。"
            "想耽误您两分钟，了解一下办理情况，可以吗？",
            f"Hello, this is {auditor} from {centre}, calling about {matter_en}"
            f" (tracking number {tracking_no}) that you raised on {_day_en(received_at)}."
            f" {unit_en} replied to you by {ch_en} on {_day_en(replied_at)}."
            " May I take two minutes to ask how it went?",
        ),
        ScriptLine(
            "solved",
            "请问您反映的问题现在解决了吗？",
            "Has the problem you raised been solved?",
        ),
        ScriptLine(
            "satisfied",
            "您对这次的办理结果满意吗？是满意、基本满意，还是不满意？",
            "Are you satisfied with the result — satisfied, basically satisfied, or not?",
        ),
        ScriptLine(
            "unsatisfied",
            "（如不满意）能具体说说哪些地方还没有解决吗？我们会如实记录，核实后重新交办。",
            "(If not) Could you tell me what is still not solved? We will record it as you"
            " say it and, once it is confirmed, send the case back to be handled again.",
        ),
        ScriptLine(
            "closing",
            "感谢您对我们工作的支持！今后如有问题，欢迎再次来电，"
            f"也可以凭受理编号 {tracking_no} 和查询码在网上查询。再见！",
            "Thank you for your help. If anything comes up, call us again, or check"
            f" online with tracking number {tracking_no} and your query code. Goodbye!",
        ),
    ]
