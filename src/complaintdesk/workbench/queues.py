"""The named work queues of each role (SPEC "Who uses it"; issue 13 item 2), defined once.

A queue is a key, its labels, the side of the jurisdiction it is worked from and a SQL
condition on ``complaints``. The role home counts each queue and shows its most urgent
rows; the queue page (``/staff/queue?q=<key>``) lists exactly the rows that were counted.
Every query starts from :meth:`ComplaintQueries.scoped`, the one place jurisdiction lives.

Cost at 1M complaints: a section's counts are one ``COUNT(*) FILTER (WHERE …)`` query over
the union of its queues' conditions, each of which names a status (``ix_complaints_status_id``,
``ix_complaints_*_path_status_id``); the pending 批示/签批 look-ups are ``EXISTS`` over
``ix_complaint_events_complaint_id_action_at`` for the few complaints in those statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, select, text, true
from sqlalchemy.orm import Session, aliased

from complaintdesk.clock.deadlines import (
    WorkingCalendar,
    add_working_days,
    end_of_day,
    local_date,
)
from complaintdesk.complaints.queries import UNROUTED_STATUSES, ComplaintQueries
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import OPEN_STATUSES, Action, Importance, Status
from complaintdesk.org.model import Actor, Role
from complaintdesk.org.repository import subtree_range
from complaintdesk.telecom.tables import TelecomCaseRow

# How many rows of each queue the home shows; the queue page shows them all.
TOP = 5
# SPEC §4 and the due badge: "due soon" is within this many working days.
SOON_WORKING_DAYS = 2


class Side(StrEnum):
    """Which half of the jurisdiction a queue is worked from (complaints.service.authorise)."""

    OWNER = "owner"  # the centre that owns (filed) the complaint
    UNIT = "unit"  # the unit it was dispatched to
    ANY = "any"  # either (supervision sees both)


@dataclass(frozen=True)
class Moment:
    """The time inputs of the conditions: now, and the end of the 2nd working day from today."""

    now: datetime
    soon_until: datetime

    @classmethod
    def at(cls, now: datetime, calendar: WorkingCalendar) -> Moment:
        last = add_working_days(local_date(now), SOON_WORKING_DAYS, calendar)
        return cls(now=now, soon_until=end_of_day(last))


Condition = Callable[[Moment], ColumnElement[bool]]


@dataclass(frozen=True)
class QueueDef:
    key: str
    zh: str
    en: str
    side: Side
    condition: Condition
    urgent: bool = False  # a non-zero count is shown as an alarm
    opens: str = "/staff/complaints/{id}"  # where a row leads: the page of the role's job

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def href(self, complaint_id: int) -> str:
        return self.opens.format(id=complaint_id)


DESK = "/staff/complaints/{id}/dispatch"  # dispatch desk: triage, sign-off, instruction
HANDLE = "/staff/complaints/{id}/handle"  # a handling unit's page (summary, masked)
CALLBACK = "/staff/complaints/{id}/callback"


@dataclass(frozen=True)
class Section:
    """A role's part of the home: the roles that see it and its queues, in order."""

    key: str
    zh: str
    en: str
    roles: frozenset[Role]
    queues: tuple[str, ...]

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


# --- conditions ------------------------------------------------------------------------------


def _status(*statuses: Status) -> ColumnElement[bool]:
    if len(statuses) == 1:
        return ComplaintRow.status == statuses[0].value
    return ComplaintRow.status.in_([s.value for s in statuses])


# The unit side's open statuses: dispatched to it, signed for, being handled.
UNIT_OPEN = (Status.DISPATCHED, Status.RECEIVED, Status.IN_PROGRESS)
# Where the centre decides the dispatch (and a leader's 签批 is due before it).
DECIDING = (Status.ACCEPTED, Status.RETURNED)
_OPEN = tuple(sorted(OPEN_STATUSES))
# A sign-off stands until one of these (complaints.model.Complaint.restore_decisions).
_CLEARS_SIGN_OFF = [
    a.value for a in (Action.DISPATCH, Action.TAKE_OVER, Action.HAND_OVER, Action.RETURN_DISPATCH)
]


def instructed() -> ColumnElement[bool]:
    """批示 given: an INSTRUCT event on the complaint's timeline."""
    event = aliased(ComplaintEventRow)
    return exists().where(
        event.complaint_id == ComplaintRow.id, event.action == Action.INSTRUCT.value
    )


def signed_off() -> ColumnElement[bool]:
    """签批 in force: a SIGN_OFF event with no dispatch, take-over, hand-over or return after
    it — the same rule as ``Complaint.restore_decisions``, in SQL."""
    sign = aliased(ComplaintEventRow)
    later = aliased(ComplaintEventRow)
    cleared = exists().where(
        later.complaint_id == sign.complaint_id,
        later.action.in_(_CLEARS_SIGN_OFF),
        later.id > sign.id,
    )
    return exists().where(
        sign.complaint_id == ComplaintRow.id,
        sign.action == Action.SIGN_OFF.value,
        ~cleared,
    )


def _important() -> ColumnElement[bool]:
    return ComplaintRow.importance == Importance.IMPORTANT.value


def _needs_instruction() -> ColumnElement[bool]:
    return and_(_important(), ~instructed())


def _overdue(m: Moment, *statuses: Status) -> ColumnElement[bool]:
    return and_(_status(*statuses), ComplaintRow.due_at < m.now)


def _due_soon(m: Moment) -> ColumnElement[bool]:
    return and_(
        _status(*UNIT_OPEN), ComplaintRow.due_at >= m.now, ComplaintRow.due_at <= m.soon_until
    )


def _level(level: int, exact: bool) -> Condition:
    def condition(m: Moment) -> ColumnElement[bool]:
        column = ComplaintRow.overdue_level
        return and_(_status(*_OPEN), column == level if exact else column >= level)

    return condition


def _telecom_level1(m: Moment) -> ColumnElement[bool]:
    case = aliased(TelecomCaseRow)
    return and_(
        _status(Status.PREPROCESSING),
        exists().where(case.complaint_id == ComplaintRow.id, case.queue == "level1"),
    )


def _not_telecom() -> ColumnElement[bool]:
    case = aliased(TelecomCaseRow)
    return ~exists().where(case.complaint_id == ComplaintRow.id)


QUEUES: dict[str, QueueDef] = {
    q.key: q
    for q in [
        # intake operator 受理员
        QueueDef(
            "to_accept", "待受理", "To accept", Side.OWNER, lambda m: _status(Status.REGISTERED)
        ),
        QueueDef(
            "to_complete",
            "预处理待办结",
            "Pre-processing to finish",
            Side.OWNER,
            lambda m: and_(_status(Status.PREPROCESSING), _not_telecom()),
        ),
        QueueDef(
            "telecom_level1",
            "电信一级预处理待确认",
            "Telecom level 1 to confirm",
            Side.OWNER,
            _telecom_level1,
        ),
        # dispatcher 派单员
        QueueDef(
            "to_dispatch",
            "已签批待派单",
            "Signed off, to dispatch",
            Side.OWNER,
            lambda m: and_(_status(*DECIDING), signed_off()),
        ),
        QueueDef(
            "unrouted",
            "待定承办部门",
            "No department yet",
            Side.OWNER,
            lambda m: and_(ComplaintRow.department_label.is_(None), _status(*UNROUTED_STATUSES)),
        ),
        QueueDef(
            "returns",
            "退单待处理",
            "Returns to rule on",
            Side.OWNER,
            lambda m: _status(Status.RETURNED),
        ),
        QueueDef(
            "waiting_leader",
            "待领导批示/签批",
            "Waiting for the leader",
            Side.OWNER,
            lambda m: and_(_status(*DECIDING), ~signed_off()),
        ),
        # leader / deputy director 领导
        QueueDef(
            "to_instruct",
            "重要投诉待批示",
            "Important, to instruct",
            Side.OWNER,
            lambda m: and_(
                _status(Status.REGISTERED, Status.ACCEPTED, Status.PREPROCESSING, Status.RETURNED),
                _needs_instruction(),
            ),
            urgent=True,
        ),
        QueueDef(
            "to_sign_off",
            "待签批",
            "To sign off",
            Side.OWNER,
            lambda m: and_(_status(*DECIDING), ~signed_off(), ~_needs_instruction()),
        ),
        QueueDef(
            "extension_requests",
            "延期申请待审批",
            "Extension requests",
            Side.OWNER,
            lambda m: and_(
                _status(Status.RECEIVED, Status.IN_PROGRESS),
                ComplaintRow.extension_pending_days > 0,
            ),
        ),
        # handling unit 承办单位
        QueueDef(
            "overdue_unit",
            "已超期",
            "Overdue",
            Side.UNIT,
            lambda m: _overdue(m, *UNIT_OPEN),
            urgent=True,
        ),
        QueueDef(
            "due_soon",
            "2个工作日内到期",
            "Due within 2 working days",
            Side.UNIT,
            _due_soon,
            urgent=True,
        ),
        QueueDef(
            "to_sign_for", "待签收", "To sign for", Side.UNIT, lambda m: _status(Status.DISPATCHED)
        ),
        QueueDef(
            "in_progress",
            "办理中",
            "In progress",
            Side.UNIT,
            lambda m: _status(Status.RECEIVED, Status.IN_PROGRESS),
        ),
        QueueDef(
            "supervised",
            "被催办/督办",
            "Under supervision",
            Side.UNIT,
            lambda m: and_(_status(*UNIT_OPEN), ComplaintRow.overdue_level >= 1),
        ),
        # callback auditor 回访员
        QueueDef(
            "to_call_back",
            "待回访",
            "To call back",
            Side.OWNER,
            lambda m: _status(Status.REPLIED, Status.CALLBACK),
        ),
        # supervisor 督办员
        QueueDef(
            "overdue_all",
            "超期未办结",
            "Overdue",
            Side.ANY,
            lambda m: _overdue(m, *_OPEN),
            urgent=True,
        ),
        QueueDef("level_1", "催办", "Reminded (催办)", Side.ANY, _level(1, exact=True)),
        QueueDef("level_2", "督办", "Supervised (督办)", Side.ANY, _level(2, exact=True)),
        QueueDef(
            "level_3", "挂牌督办", "Listed (挂牌督办)", Side.ANY, _level(3, exact=True), urgent=True
        ),
    ]
}

# Where a queue's rows lead: the page where that role does the job (the rest: the complaint).
_OPENS = {
    **dict.fromkeys(
        ("to_dispatch", "unrouted", "returns", "waiting_leader", "to_instruct", "to_sign_off"), DESK
    ),
    **{k: HANDLE for k, q in QUEUES.items() if q.side is Side.UNIT},
    "to_call_back": CALLBACK,
}
QUEUES = {k: replace(q, opens=_OPENS.get(k, q.opens)) for k, q in QUEUES.items()}

_LEADERS = frozenset({Role.LEADER, Role.DEPUTY_DIRECTOR})

SECTIONS: list[Section] = [
    Section(
        "operator",
        "受理",
        "Intake",
        frozenset({Role.INTAKE_OPERATOR}),
        ("to_accept", "to_complete", "telecom_level1"),
    ),
    Section(
        "dispatcher",
        "派单",
        "Dispatch",
        frozenset({Role.DISPATCHER}),
        ("to_dispatch", "unrouted", "returns", "waiting_leader"),
    ),
    Section(
        "leader", "领导", "Leader", _LEADERS, ("to_instruct", "to_sign_off", "extension_requests")
    ),
    Section(
        "handler",
        "承办",
        "Handling",
        frozenset({Role.HANDLER}),
        ("overdue_unit", "due_soon", "to_sign_for", "in_progress", "supervised"),
    ),
    Section("callback", "回访", "Callback", frozenset({Role.CALLBACK_AUDITOR}), ("to_call_back",)),
    Section(
        "supervisor",
        "督办",
        "Supervision",
        frozenset({Role.SUPERVISOR}),
        ("overdue_all", "level_1", "level_2", "level_3"),
    ),
    Section("evaluator", "考评", "Evaluation", frozenset({Role.EVALUATOR}), ()),
    Section("admin", "系统管理", "Administration", frozenset({Role.ADMIN}), ()),
]


def sections_for(actor: Actor, *, telecom_staff: bool) -> list[Section]:
    """The sections of the actor's roles; the telecom queue only for telecom staff."""
    out = []
    for section in SECTIONS:
        if not actor.roles & section.roles:
            continue
        if not telecom_staff and "telecom_level1" in section.queues:
            keys = tuple(k for k in section.queues if k != "telecom_level1")
            section = Section(section.key, section.zh, section.en, section.roles, keys)
        out.append(section)
    return out


# --- queries ---------------------------------------------------------------------------------


def _side(viewer: Actor, side: Side) -> ColumnElement[bool]:
    """Narrows ``scoped`` to the side the queue is worked from (it never widens it)."""
    lo, hi = subtree_range(viewer.unit_path)
    if side is Side.OWNER:
        return and_(ComplaintRow.owner_unit_path >= lo, ComplaintRow.owner_unit_path < hi)
    if side is Side.UNIT:
        return and_(ComplaintRow.handling_unit_path >= lo, ComplaintRow.handling_unit_path < hi)
    return true()


def tune(session: Session) -> None:
    """JIT off for the rest of this transaction (PostgreSQL), as evaluation.kpis does.

    The 批示/签批 ``EXISTS`` make the planner cost a dispatcher's counts at ~800,000 units for
    work that takes 5 ms, so PostgreSQL JIT-compiled them: 3 s of a 3.2 s query at 1M."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def where(viewer: Actor, queue: QueueDef, moment: Moment) -> ColumnElement[bool]:
    return and_(_side(viewer, queue.side), queue.condition(moment))


def select_queue(
    session: Session, viewer: Actor, queue: QueueDef, moment: Moment
) -> Select[tuple[ComplaintRow]]:
    """The queue's rows within the viewer's jurisdiction (unordered, unlimited)."""
    return ComplaintQueries(session).scoped(viewer).where(where(viewer, queue, moment))


def counts(
    session: Session, viewer: Actor, queues: Sequence[QueueDef], moment: Moment
) -> dict[str, int]:
    """Every queue's count in one query: ``COUNT(*) FILTER (WHERE …)`` per queue."""
    if not queues:
        return {}
    conditions = [where(viewer, q, moment) for q in queues]
    scoped = ComplaintQueries(session).scoped(viewer).whereclause
    assert scoped is not None
    columns = [func.count().filter(c).label(q.key) for q, c in zip(queues, conditions, strict=True)]
    stmt = select(*columns).select_from(ComplaintRow).where(scoped, or_(*conditions))
    row = session.execute(stmt).one()
    return {q.key: int(row._mapping[q.key] or 0) for q in queues}


# Rows without a deadline sort after every real one.
_NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


def urgent_first(stmt: Select[tuple[ComplaintRow]]) -> Select[tuple[ComplaintRow]]:
    """Earliest deadline first; no deadline last; then the oldest.

    The sort key is an expression on purpose: ordered by the bare column, PostgreSQL walks
    ``ix_complaints_due_at`` and filters a million rows to find five registered ones (3 s
    at 1M); on the expression it takes the queue's few rows by status and sorts them."""
    due = func.coalesce(ComplaintRow.due_at, literal(_NO_DEADLINE, ComplaintRow.due_at.type))
    return stmt.order_by(due.asc(), ComplaintRow.id.asc())


def top(
    session: Session, viewer: Actor, queue: QueueDef, moment: Moment, limit: int = TOP
) -> list[ComplaintRow]:
    return list(
        session.scalars(urgent_first(select_queue(session, viewer, queue, moment)).limit(limit))
    )


def get(key: str) -> QueueDef | None:
    return QUEUES.get(key)
