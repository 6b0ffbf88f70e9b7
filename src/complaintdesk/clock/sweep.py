"""The periodic sweep of the statutory clock: 催办 → 督办 → 挂牌督办 (SPEC §4).

Each step is an action on the complaint (an event, a raised ``overdue_level``, the deadline
recomputed) and its notices in the outbox, all in one transaction. Any number of workers
may sweep at once:

- on PostgreSQL each batch of candidates is claimed with ``SELECT … FOR UPDATE SKIP
  LOCKED``: a complaint another worker holds is skipped, and by the time it is free its
  level already says the step was taken;
- everywhere the version compare-and-set refuses a step on a complaint that changed under
  us, and the outbox ``dedup_key`` refuses a notice already queued.

The SQL filter is exact for reminders and supervision (a complaint is a candidate only
when :func:`complaintdesk.domain.supervision.next_step` will find a step for it) and a
tight necessary condition for listing (5 working days past the deadline; the period really
runs from the supervision), so a sweep over ten million complaints reads only a few.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from complaintdesk.clock import deadlines as sla
from complaintdesk.clock.ladder import (
    LEVEL_OF,
    LISTING_AFTER_WORKING_DAYS,
    REOPENS_FOR_LISTING,
    Step,
    next_step,
    notice,
)
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.model import Complaint
from complaintdesk.complaints.queries import private_names
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import OPEN_STATUSES, Action, Event
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.errors import ConcurrencyConflict, InvalidInput
from complaintdesk.kernel.privacy import mask_text
from complaintdesk.notify import outbox
from complaintdesk.org.model import Actor, Role
from complaintdesk.org.tables import UnitRow, UserRow

log = logging.getLogger(__name__)

SUPERVISION_ACTIONS = frozenset(LEVEL_OF)


@dataclass
class SweepReport:
    examined: int = 0
    reminded: int = 0
    supervised: int = 0
    listed: int = 0
    notices: int = 0
    skipped: int = 0  # changed under us (version conflict): the next sweep looks again
    complaint_ids: list[int] = field(default_factory=list)

    def count(self, action: Action) -> None:
        if action is Action.REMIND:
            self.reminded += 1
        elif action is Action.SUPERVISE:
            self.supervised += 1
        else:
            self.listed += 1


def candidates_filter(
    now: datetime,
    calendar: sla.WorkingCalendar,
    reminder_working_days: int,
    listing_working_days: int,
) -> Any:
    """Complaints for which ``next_step`` has something to do at ``now``.

    Deadlines are always the end of a Shanghai day D, which makes the bounds exact:
    - reminder: fewer than N working days left in [today, D) ⇔ D ≤ the N-th working day
      counted from today inclusive;
    - listing: at least L working days in (D, today) ⇔ D before the L-th working day
      counted back from today.
    """
    today = sla.local_date(now)
    overdue = and_(ComplaintRow.overdue_level < 2, ComplaintRow.due_at < now)
    failed_twice = and_(
        ComplaintRow.overdue_level < 3, ComplaintRow.reopen_count >= REOPENS_FOR_LISTING
    )
    listing_cut = datetime.combine(
        sla.sub_working_days(today, listing_working_days, calendar), time.min, tzinfo=sla.SHANGHAI
    )
    still_overdue = and_(ComplaintRow.overdue_level == 2, ComplaintRow.due_at < listing_cut)
    clauses = [overdue, failed_twice, still_overdue]
    if reminder_working_days >= 1:
        horizon = sla.end_of_day(
            sla.add_working_days(today - timedelta(days=1), reminder_working_days, calendar)
        )
        clauses.append(and_(ComplaintRow.overdue_level == 0, ComplaintRow.due_at <= horizon))
    return and_(
        ComplaintRow.status.in_([s.value for s in OPEN_STATUSES]),
        ComplaintRow.due_at.is_not(None),
        or_(*clauses),
    )


def sweep(
    session_factory: sessionmaker[Session],
    calendar: sla.WorkingCalendar,
    now: datetime,
    *,
    reminder_working_days: int = 2,
    listing_working_days: int = LISTING_AFTER_WORKING_DAYS,
    batch: int = 100,
) -> SweepReport:
    """One pass over every complaint that is due a step; one transaction per batch."""
    report = SweepReport()
    where = candidates_filter(now, calendar, reminder_working_days, listing_working_days)
    last_id = 0
    skip: set[int] = set()
    while True:
        with SqlUnitOfWork(session_factory) as uow:
            stmt = select(ComplaintRow).where(where, ComplaintRow.id > last_id)
            if skip:
                stmt = stmt.where(ComplaintRow.id.not_in(skip))
            stmt = stmt.order_by(ComplaintRow.id).limit(batch)
            if uow.session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(uow.session.scalars(stmt))
            if not rows:
                break
            done: list[tuple[Action, int, int]] = []
            conflict: int | None = None
            for row in rows:
                complaint = uow.complaints.get(row.id)
                step = next_step(
                    status=complaint.status,
                    overdue_level=complaint.overdue_level,
                    due_at=row.due_at,
                    reopen_count=complaint.reopen_count,
                    now=now,
                    calendar=calendar,
                    reminder_working_days=reminder_working_days,
                    listing_working_days=listing_working_days,
                    supervised_at=_supervised_at(uow.session, row.id)
                    if complaint.overdue_level == 2
                    else None,
                )
                if step is None:
                    continue
                try:
                    notices = _take_step(uow, row, complaint, step, now, calendar)
                except ConcurrencyConflict:
                    # SQLite only (PostgreSQL holds the row lock): someone acted first.
                    # Redo the batch without it; the next sweep looks at it again.
                    conflict = row.id
                    break
                done.append((step.action, row.id, notices))
            if conflict is not None:
                uow.rollback()
                skip.add(conflict)
                report.skipped += 1
                continue
            uow.commit()
            last_id = rows[-1].id
        report.examined += len(rows)
        for action, complaint_id, notices in done:
            report.count(action)
            report.complaint_ids.append(complaint_id)
            report.notices += notices
        if len(rows) < batch:
            break
    return report


def _supervised_at(session: Session, complaint_id: int) -> datetime | None:
    """When the complaint was last supervised (督办): the listing period runs from there."""
    return session.scalar(
        select(func.max(ComplaintEventRow.at)).where(
            ComplaintEventRow.complaint_id == complaint_id,
            ComplaintEventRow.action == Action.SUPERVISE.value,
        )
    )


_METHODS = {
    Action.REMIND: Complaint.remind,
    Action.SUPERVISE: Complaint.supervise,
    Action.LIST_SUPERVISION: Complaint.list_supervision,
}


def _take_step(
    uow: SqlUnitOfWork,
    row: ComplaintRow,
    complaint: Complaint,
    step: Step,
    now: datetime,
    calendar: sla.WorkingCalendar,
    *,
    actor_id: int | None = None,
    manual: bool = False,
) -> int:
    """Apply one step, recompute the deadline, queue the notices. Returns notices queued."""
    people = recipients(uow.session, row)
    due_at = row.due_at
    _METHODS[step.action](
        complaint,
        now,
        actor_id,
        reason=step.reason,
        automatic=not manual,
        notified=sum(1 for p in people if p.email or p.phone),
        **step.data,
    )
    event = complaint.pending_events[-1]
    svc.persist(uow, complaint, row.received_at, now, calendar)
    return queue_notices(uow.session, row, event, people, due_at=due_at, now=now, manual=manual)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    name: str
    email: str | None
    phone: str | None


def recipients(session: Session, row: ComplaintRow) -> list[Recipient]:
    """The handling unit's users (the owning centre's before dispatch) and every supervisor
    whose jurisdiction covers the complaint."""
    target = row.handling_unit_id or row.owner_unit_id
    result = session.execute(
        select(UserRow, UnitRow.path)
        .join(UnitRow, UnitRow.id == UserRow.unit_id)
        .where(
            UserRow.active.is_(True),
            or_(UserRow.unit_id == target, UserRow.roles.contains(Role.SUPERVISOR.value)),
        )
        .order_by(UserRow.id)
    )
    people = []
    for user, unit_path in result:
        roles = set(user.roles.split(","))
        supervisor = Role.SUPERVISOR.value in roles and row.owner_unit_path.startswith(unit_path)
        if user.unit_id == target or supervisor:
            people.append(Recipient(user.id, user.display_name, user.email, user.phone))
    return people


def queue_notices(
    session: Session,
    row: ComplaintRow,
    event: Event,
    people: list[Recipient],
    *,
    due_at: datetime | None,
    now: datetime,
    manual: bool,
) -> int:
    unit_id = row.handling_unit_id or row.owner_unit_id
    unit = session.get(UnitRow, unit_id)
    # The title is the complainant's own words and these notices go to the handling unit
    # and supervisors: masked as the unit's view of the complaint masks it (SPEC §5).
    title = mask_text(row.title, private_names(session, [row]).get(row.id, []))
    subject, body, sms = notice(
        event.action,
        tracking_no=row.tracking_no,
        title=title,
        unit=unit.name if unit else "",
        due_at=due_at,
        reason=event.reason,
        level=int(event.data.get("overdue_level", LEVEL_OF[event.action])),
    )
    # One notice per step and deadline: the same step for the same deadline is never queued
    # twice. A manual step is its own occasion (a supervisor may remind again).
    occasion = (
        f"m{int(now.timestamp() * 1000)}"
        if manual
        else (f"d{int(due_at.timestamp())}" if due_at else "d0")
    )
    queued = 0
    for person in people:
        base = f"{event.action.value}:{row.id}:{occasion}:{person.user_id}"
        if person.email:
            queued += outbox.enqueue(
                session,
                channel="email",
                recipient=person.email,
                subject=subject,
                body=body,
                dedup_key=f"{base}:email",
                now=now,
                complaint_id=row.id,
            )
        if person.phone:
            queued += outbox.enqueue(
                session,
                channel="sms",
                recipient=person.phone,
                subject=subject,
                body=sms,
                dedup_key=f"{base}:sms",
                now=now,
                complaint_id=row.id,
            )
    return queued


# --- by hand: a supervisor reminds or supervises through the API ----------------------


def supervise_by_hand(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    action: Action,
    *,
    reason: str,
    now: datetime,
    calendar: sla.WorkingCalendar,
    expected_version: int | None = None,
) -> Complaint:
    """催办/督办/挂牌督办 by a supervisor: the same event and notices as the sweep's."""
    if action not in SUPERVISION_ACTIONS:
        raise InvalidInput(f"未知督办操作 / unknown supervision action: {action}")
    row, complaint, _history = svc.load_for(
        uow, actor, complaint_id, action, expected_version=expected_version
    )
    complaint.ensure_allowed(action)
    text = (
        reason.strip()
        or {
            Action.REMIND: "督办员催办 / reminded by a supervisor",
            Action.SUPERVISE: "督办员督办 / supervised by a supervisor",
            Action.LIST_SUPERVISION: "挂牌督办 / listed for supervision by a supervisor",
        }[action]
    )
    due = row.due_at.astimezone(sla.SHANGHAI).isoformat() if row.due_at else None
    step = Step(action, text, {"rule": "manual", "due_at": due})
    _take_step(uow, row, complaint, step, now, calendar, actor_id=actor.user_id, manual=True)
    uow.commit()
    return complaint


# --- one cycle of `complaintdesk worker` -------------------------------------------------


@dataclass
class CycleReport:
    sweep: SweepReport
    delivery: outbox.DeliveryReport


def run_cycle(
    container: Any,
    registry: Any,
    *,
    reminder_working_days: int | None = None,
    listing_working_days: int = LISTING_AFTER_WORKING_DAYS,
    batch: int = 100,
) -> CycleReport:
    """Refresh the holiday tables, sweep, deliver the outbox: what the worker repeats."""
    refresh = getattr(container.calendar, "refresh", None)
    if callable(refresh):
        refresh()
    days = (
        container.settings.reminder_working_days
        if reminder_working_days is None
        else reminder_working_days
    )
    now = container.clock.now()
    swept = sweep(
        container.session_factory,
        container.calendar,
        now,
        reminder_working_days=days,
        listing_working_days=listing_working_days,
        batch=batch,
    )
    delivered = outbox.deliver(
        container.session_factory,
        registry,
        container.clock.now(),
        secret_key=container.settings.secret_key,
    )
    return CycleReport(swept, delivered)
