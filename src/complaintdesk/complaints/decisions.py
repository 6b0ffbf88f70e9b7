"""Dispatch decisions that need more than the generic action path (SPEC §2, §3, §6):
the leader's sign-off (签批, with the deputy director's signature for important
transfers), taking over a lower level's case (提级), returns counted per unit, and which
actions a user may take on a complaint now (for the staff pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from complaintdesk.clock import deadlines as sla
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.model import ALLOWED_FROM, Complaint
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import Action, DispatchMode, Status
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.errors import (
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from complaintdesk.org.model import Actor, Role
from complaintdesk.org.repository import subtree_range
from complaintdesk.org.tables import UnitRow


def sign_off(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    *,
    mode: DispatchMode,
    unit_id: int | None,
    opinion: str,
    now: datetime,
    calendar: sla.WorkingCalendar,
    expected_version: int | None = None,
) -> Complaint:
    """签批. The deputy director's role is what makes an important transfer's sign-off valid."""
    row, complaint, history = svc.load_for(
        uow, actor, complaint_id, Action.SIGN_OFF, expected_version=expected_version
    )
    if unit_id is not None and not actor.sees(uow.units.get(unit_id).path):
        raise PermissionDenied("只能签批派往本级或下级单位 / sign off only for units below you")
    complaint.sign_off(
        now,
        actor.user_id,
        mode=mode,
        unit_id=unit_id,
        opinion=opinion,
        deputy_director=Role.DEPUTY_DIRECTOR in actor.roles,
    )
    svc.persist(uow, complaint, row.received_at, now, calendar, history=history)
    uow.commit()
    return complaint


def take_over(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    *,
    reason: str,
    now: datetime,
    calendar: sla.WorkingCalendar,
    expected_version: int | None = None,
) -> Complaint:
    """提级办理: the actor's centre becomes the owner of a complaint filed below it."""
    row, complaint, history = svc.load_for(
        uow, actor, complaint_id, Action.TAKE_OVER, expected_version=expected_version
    )
    if not actor.sees(row.owner_unit_path):
        raise PermissionDenied("只能提级辖区内的投诉 / take over only complaints in your area")
    if row.owner_unit_path == actor.unit_path:
        raise InvalidInput("该投诉已由本级受理 / your unit already owns this complaint")
    complaint.take_over(now, actor.user_id, to_unit_id=actor.unit_id, reason=reason)
    svc.persist(
        uow,
        complaint,
        row.received_at,
        now,
        calendar,
        history=history,
        owner_unit_id=actor.unit_id,
        owner_unit_path=actor.unit_path,
    )
    uow.commit()
    return complaint


@dataclass(frozen=True)
class UnitReturns:
    unit_id: int
    unit_name: str
    returns: int
    upheld: int
    overruled: int


def returns_per_unit(uow: SqlUnitOfWork, viewer: Actor) -> list[UnitReturns]:
    """退单统计: returns per handling unit in the viewer's subtree, and how the centre ruled.

    A GROUP BY over the event's unit id (JSON on both databases), joined to the unit for
    the jurisdiction: a unit's own figures are visible to it and to the levels above."""
    lo, hi = subtree_range(viewer.unit_path)
    unit_id = ComplaintEventRow.data["unit_id"].as_integer()
    upheld = ComplaintEventRow.data["upheld"].as_boolean()
    in_area = (UnitRow.path >= lo, UnitRow.path < hi)
    counts: dict[int, dict[str, int]] = {}
    names: dict[int, str] = {}
    returned = (
        select(unit_id, UnitRow.name, func.count())
        .join(UnitRow, UnitRow.id == unit_id)
        .where(ComplaintEventRow.action == Action.RETURN_DISPATCH.value, *in_area)
        .group_by(unit_id, UnitRow.name)
    )
    for uid, name, count in uow.session.execute(returned):
        names[uid] = name
        counts[uid] = {"returns": int(count), "upheld": 0, "overruled": 0}
    ruled = (
        select(unit_id, UnitRow.name, upheld, func.count())
        .join(UnitRow, UnitRow.id == unit_id)
        .where(ComplaintEventRow.action == Action.RULE_ON_RETURN.value, *in_area)
        .group_by(unit_id, UnitRow.name, upheld)
    )
    for uid, name, was_upheld, count in uow.session.execute(ruled):
        names[uid] = name
        bucket = counts.setdefault(uid, {"returns": 0, "upheld": 0, "overruled": 0})
        bucket["upheld" if was_upheld else "overruled"] += int(count)
    return sorted(
        (UnitReturns(uid, names[uid], **c) for uid, c in counts.items()),
        key=lambda r: (-r.returns, r.unit_name),
    )


# Actions offered on the staff complaint page, in the order a complaint meets them.
WEB_ACTIONS: list[Action] = [
    Action.ACCEPT,
    Action.REJECT,
    Action.INSTRUCT,
    Action.HAND_OVER,
    Action.SIGN_OFF,
    Action.DISPATCH,
    Action.TAKE_OVER,
    Action.RULE_ON_RETURN,
    Action.RECEIVE,
    Action.RETURN_DISPATCH,
    Action.START_HANDLING,
    Action.ADD_NOTE,
    Action.RECORD_FINDINGS,
    Action.REQUEST_EXTENSION,
    Action.APPROVE_EXTENSION,
    Action.REFUSE_EXTENSION,
    Action.REPLY,
    Action.SUBMIT_REPORT,
    Action.START_CALLBACK,
    Action.RECORD_CALLBACK,
    Action.ARCHIVE,
]


def available_actions(actor: Actor, row: ComplaintRow) -> list[Action]:
    """What this user may do to this complaint now: role, state and jurisdiction."""
    out = []
    status = Status(row.status)
    for action in WEB_ACTIONS:
        if status not in ALLOWED_FROM.get(action, frozenset()):
            continue
        if action is Action.TAKE_OVER and row.owner_unit_path == actor.unit_path:
            continue
        try:
            svc.authorise(actor, row, action)
        except (PermissionDenied, NotFound):
            continue
        out.append(action)
    return out


def decision_state(uow: SqlUnitOfWork, complaint_id: int) -> dict[str, Any]:
    """The pending 批示/签批 state, for the complaint page."""
    complaint = uow.complaints.get(complaint_id)
    return {
        "instructed": complaint.instructed,
        "signed_off": complaint.signed_off,
        "last_returned_unit_id": complaint.last_returned_unit_id,
    }


__all__ = [
    "DomainError",
    "UnitReturns",
    "available_actions",
    "decision_state",
    "returns_per_unit",
    "sign_off",
    "take_over",
]
