"""Complaint use cases. Each runs in one transaction: state, events and deadline together."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from complaintdesk.clock import deadlines as sla
from complaintdesk.complaints.commands import ClassifyComplaint, Command, DispatchComplaint
from complaintdesk.complaints.model import Complaint
from complaintdesk.complaints.queries import revealed_complainant
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.complaints.tables import ComplainantRow, ComplaintRow
from complaintdesk.complaints.vocabulary import (
    FINISHED_STATUSES,
    Action,
    Channel,
    Event,
    Importance,
    Status,
)
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.errors import (
    ConcurrencyConflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from complaintdesk.kernel.text import clean_text
from complaintdesk.org.model import UNIT_SIDE_ACTIONS, Actor
from complaintdesk.triage.facade import Triage, TriageResult
from complaintdesk.triage.tables import TriageExampleRow

QUERY_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read over the phone


def hash_query_code(tracking_no: str, code: str) -> str:
    return hashlib.sha256(f"{tracking_no}:{code.strip().upper()}".encode()).hexdigest()


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(8))


@dataclass(frozen=True)
class FileComplaint:
    """登记: what intake knows about a new complaint."""

    content: str
    title: str = ""
    channel: Channel = Channel.WEB
    complained_unit_name: str | None = None
    complained_person: str | None = None
    complainant: NewComplainant | None = None
    consent_publish: bool = False
    received_at: datetime | None = None
    owner_unit_id: int | None = None
    importance: Importance | None = None
    category: str | None = None
    department_label: str | None = None
    external_ref: str | None = None
    triage: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FiledComplaint:
    id: int
    tracking_no: str
    query_code: str
    version: int


def file_complaint(
    uow: SqlUnitOfWork,
    command: FileComplaint,
    *,
    actor: Actor | None,
    now: datetime,
    calendar: sla.WorkingCalendar,
    default_unit_id: int | None = None,
    commit: bool = True,
    triage: Triage | None = None,
) -> FiledComplaint:
    """Register a complaint: tracking number, secret query code, first event, deadline.

    With ``triage``, the complaint carries routing, scope and importance suggestions with
    their reasons; a confident routing also sets the department label. Suggestions only:
    people decide on acceptance, importance and dispatch.
    """
    if actor is not None and not actor.may(Action.FILE):
        raise PermissionDenied("无权登记投诉 / not allowed to register complaints")
    content = clean_text(command.content, what_zh="投诉内容", what_en="complaint text")
    title = clean_text(
        command.title, what_zh="标题", what_en="title", required=False, max_chars=300
    )
    owner_id = command.owner_unit_id or (actor.unit_id if actor else default_unit_id)
    if owner_id is None:
        raise InvalidInput("未指定受理单位 / no receiving unit given")
    owner = uow.units.get(owner_id)
    if actor is not None and not actor.sees(owner.path):
        raise PermissionDenied("不能为辖区外单位登记 / unit outside your jurisdiction")
    received_at = command.received_at or now
    if received_at.tzinfo is None:
        raise InvalidInput("接收时间必须带时区 / received_at needs a time zone")
    if received_at > now:
        raise InvalidInput("接收时间不能晚于现在 / received_at is in the future")

    if triage is not None and command.triage is None:
        command = _with_suggestions(command, triage.suggest(title, content))
    day = sla.local_date(now).strftime("%Y%m%d")
    tracking_no = f"TS{day}-{uow.complaints.next_sequence(f'ts-{day}'):06d}"
    code = new_query_code()
    complaint = Complaint(
        id=None,
        tracking_no=tracking_no,
        status=Status.REGISTERED,
        received_at=received_at,
        owner_unit_id=owner.id,
        content=content,
        title=title,
        channel=command.channel,
        importance=command.importance or Importance.ORDINARY,
        category=command.category,
        department_label=command.department_label,
    )
    event = Event(
        action=Action.FILE,
        at=now,
        actor_id=actor.user_id if actor else None,
        from_status=None,
        to_status=Status.REGISTERED,
        data={"channel": command.channel.value, "tracking_no": tracking_no},
    )
    due_at = sla.deadline(received_at, [event], calendar)
    complaint_id = uow.complaints.add(
        complaint,
        query_code_hash=hash_query_code(tracking_no, code),
        owner_unit_path=owner.path,
        complainant=command.complainant,
        extra={
            "complained_unit_name": command.complained_unit_name,
            "complained_person": command.complained_person,
            "consent_publish": command.consent_publish,
            "external_ref": command.external_ref,
            "triage": command.triage,
            "due_at": due_at,
            **command.extra,
        },
    )
    uow.complaints.append_events(complaint_id, [event])
    if commit:
        uow.commit()
    return FiledComplaint(complaint_id, tracking_no, code, complaint.version)


def _with_suggestions(command: FileComplaint, result: TriageResult) -> FileComplaint:
    label = command.department_label
    if label is None and result.routing and not result.needs_dispatcher:
        label = result.routing[0].label
    return dataclasses.replace(command, triage=result.to_dict(masked=True), department_label=label)


# --- actions on an existing complaint ---------------------------------------------


def authorise(actor: Actor, row: ComplaintRow, action: Action) -> None:
    """Role, then jurisdiction: centre-side actions need the owning unit, unit-side the
    handling unit, in the actor's subtree."""
    owner_side = actor.sees(row.owner_unit_path)
    unit_side = actor.sees(row.handling_unit_path)
    if not (owner_side or unit_side):
        raise NotFound(f"投诉 {row.id} 不存在 / complaint {row.id} not found")
    if not actor.may(action):
        raise PermissionDenied(
            f"您的角色不能执行此操作 / your role may not {action.value} complaints"
        )
    if action in UNIT_SIDE_ACTIONS:
        allowed = unit_side
    elif action is Action.ADD_NOTE:
        allowed = owner_side or unit_side
    else:
        allowed = owner_side
    if not allowed:
        raise PermissionDenied(
            f"此投诉不在您的辖区内，不能执行此操作 / {action.value} is outside your jurisdiction"
        )


def load_for(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    action: Action,
    *,
    expected_version: int | None = None,
) -> tuple[ComplaintRow, Complaint, list[Event]]:
    """Load a complaint to act on it: the row, the actor's right to ``action`` on it (role,
    then jurisdiction), the aggregate with its stored timeline, and the version check.

    Every use case that changes a complaint starts here and ends with :func:`persist`."""
    row = uow.complaints.row(complaint_id)
    authorise(actor, row, action)
    complaint, history = uow.complaints.aggregate(row)
    if expected_version is not None and expected_version != complaint.version:
        raise ConcurrencyConflict(complaint_id, expected_version, complaint.version)
    return row, complaint, history


def perform(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    command: Command,
    *,
    now: datetime,
    calendar: sla.WorkingCalendar,
    expected_version: int | None = None,
    commit: bool = True,
) -> Complaint:
    """Take one action on a complaint, as ``actor``, at ``now``.

    ``commit=False`` leaves the commit to the caller, who takes more steps in the same unit
    of work (the registration page files and decides a complaint in one transaction)."""
    if not isinstance(command, Command):
        raise InvalidInput(f"未知操作 / unknown action: {command!r}")
    action = command.action
    row, complaint, history = load_for(
        uow, actor, complaint_id, action, expected_version=expected_version
    )
    if isinstance(command, DispatchComplaint):
        target = uow.units.get(command.unit_id)
        if not actor.sees(target.path):
            raise PermissionDenied(
                "只能派往本级或下级单位 / dispatch only to your unit or units below it"
            )
    if isinstance(command, ClassifyComplaint):
        command = dataclasses.replace(command, **_top_suggestion(row))
    command.apply(complaint, now, actor.user_id)
    persist(uow, complaint, row.received_at, now, calendar, history=history)
    if action is Action.CLASSIFY:
        _store_training_example(uow, row, complaint, actor, now)
    if commit:
        uow.commit()
    return complaint


def _top_suggestion(row: ComplaintRow) -> dict[str, Any]:
    routing = (row.triage or {}).get("routing") or []
    if not routing:
        return {}
    return {"suggested": routing[0].get("label"), "confidence": routing[0].get("confidence")}


def _store_training_example(
    uow: SqlUnitOfWork, row: ComplaintRow, complaint: Complaint, actor: Actor, now: datetime
) -> None:
    """The dispatcher's choice becomes a labelled example for the next model (issue 5)."""
    suggestion = _top_suggestion(row)
    uow.session.add(
        TriageExampleRow(
            complaint_id=row.id,
            text="\n".join(part for part in (row.title, row.content) if part),
            label=complaint.department_label or "",
            suggested_label=suggestion.get("suggested"),
            suggested_confidence=suggestion.get("confidence"),
            actor_id=actor.user_id,
            created_at=now,
        )
    )


def persist(
    uow: SqlUnitOfWork,
    complaint: Complaint,
    received_at: datetime,
    now: datetime,
    calendar: sla.WorkingCalendar,
    *,
    history: list[Event] | None = None,
    **columns: Any,
) -> None:
    """Write state (compare-and-set), events and the recomputed deadline together.

    Every service that changes a complaint goes through here; the caller commits.
    ``history`` is the stored timeline when the caller already has it; ``columns`` are
    denormalised columns the aggregate does not hold (the owner's path after a take-over)."""
    assert complaint.id is not None
    events = complaint.take_events()
    stored = history if history is not None else uow.complaints.events(complaint.id)
    history = stored + events
    extra: dict[str, Any] = {**columns, "due_at": sla.deadline(received_at, history, calendar)}
    if complaint.status in FINISHED_STATUSES:
        closing = next(
            (
                e.at
                for e in reversed(history)
                if e.to_status in FINISHED_STATUSES and e.from_status not in FINISHED_STATUSES
            ),
            now,
        )
        extra["closed_at"] = closing
    else:
        extra["closed_at"] = None
    uow.complaints.save(complaint, now, **extra)
    uow.complaints.append_events(complaint.id, events)


def appeal(
    uow: SqlUnitOfWork,
    complaint_id: int,
    *,
    reason: str,
    actor: Actor | None,
    now: datetime,
    calendar: sla.WorkingCalendar,
) -> FiledComplaint:
    """申诉/再投诉: a new, linked case at the next level up; the old case records it.

    ``actor`` is None when the complainant appeals from the status page (already verified
    by tracking number and query code).
    """
    row = uow.complaints.row(complaint_id)
    if actor is not None:
        authorise(actor, row, Action.APPEAL)
    old = uow.complaints.get(complaint_id)
    reason_text = clean_text(reason, what_zh="申诉理由", what_en="appeal reason")
    old.ensure_allowed(Action.APPEAL)  # refuse before a new case is created
    # One appeal per case: a further appeal is made on the appeal's own case, one level up
    # each time, so a case can be appealed at most as often as the tree is deep.
    earlier = uow.session.scalar(
        select(ComplaintRow.tracking_no).where(ComplaintRow.appeal_of_id == row.id).limit(1)
    )
    if earlier is not None:
        raise InvalidInput(
            f"该投诉已申诉（{earlier}），如不服请在申诉案件上继续申诉"
            f" / this case was already appealed as {earlier}; appeal that case instead"
        )
    owner = uow.units.get(row.owner_unit_id)
    if owner.parent_id is None:
        raise InvalidInput(
            "已是最高一级受理单位，无法向上一级申诉 / there is no higher level to appeal to"
        )
    parent = uow.units.get(owner.parent_id)
    filed = file_complaint(
        uow,
        FileComplaint(
            content=f"{reason_text}\n\n—— 原投诉 {row.tracking_no} ——\n{row.content}",
            title=f"申诉：{row.title}" if row.title else f"申诉：{row.tracking_no}",
            channel=Channel(row.channel),
            complained_unit_name=row.complained_unit_name,
            complained_person=row.complained_person,
            owner_unit_id=parent.id,
            importance=Importance(row.importance),
            category=row.category,
            department_label=row.department_label,
            extra={"appeal_of_id": row.id, "complainant_id": row.complainant_id},
        ),
        actor=None,
        now=now,
        calendar=calendar,
        commit=False,
    )
    uow.complaints.append_events(
        filed.id,
        [
            Event(
                action=Action.FILE_APPEAL,
                at=now,
                actor_id=actor.user_id if actor else None,
                from_status=Status.REGISTERED,
                to_status=Status.REGISTERED,
                reason=reason_text,
                data={"appeal_of_id": row.id, "appeal_of_tracking_no": row.tracking_no},
            )
        ],
    )
    old.appeal(
        now,
        actor.user_id if actor else None,
        reason=reason_text,
        new_case_id=filed.id,
        new_tracking_no=filed.tracking_no,
        to_unit_id=parent.id,
    )
    persist(uow, old, row.received_at, now, calendar)
    uow.commit()
    return filed


def reveal_identity(
    uow: SqlUnitOfWork, actor: Actor, complaint_id: int, *, reason: str, now: datetime
) -> dict[str, Any] | None:
    """Show the complainant's identity: a permission, a reason, and an event (SPEC §5)."""
    row = uow.complaints.row(complaint_id)
    authorise(actor, row, Action.REVEAL_IDENTITY)
    complaint = uow.complaints.get(complaint_id)
    complaint.record_identity_reveal(now, actor.user_id, reason=reason)
    # A read does not bump the version: it must not make a concurrent action fail.
    uow.complaints.append_events(complaint_id, complaint.take_events())
    person = uow.session.get(ComplainantRow, row.complainant_id) if row.complainant_id else None
    uow.commit()
    return revealed_complainant(person)


def find_by_query_code(uow: SqlUnitOfWork, tracking_no: str, code: str) -> ComplaintRow:
    """The complainant's own look-up. A wrong code and a wrong number answer alike."""
    row = uow.session.scalar(
        select(ComplaintRow).where(ComplaintRow.tracking_no == tracking_no.strip().upper())
    )
    if row is None or not secrets.compare_digest(
        row.query_code_hash, hash_query_code(row.tracking_no, code)
    ):
        raise NotFound("受理编号或查询码不正确 / tracking number or query code is wrong")
    return row
