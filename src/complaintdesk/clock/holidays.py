"""Holiday tables and what a calendar correction does to open deadlines.

``load_holidays`` stores an admin's table (the day's row is replaced when it is loaded
again), then tells the running calendar and recomputes the deadline of every open
complaint: ``due_at`` is a cache of ``sla.deadline(events, calendar)`` (ARCHITECTURE
decision 3), so a correction is just a recomputation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from complaintdesk.clock import deadlines as sla
from complaintdesk.clock.calendar import ChineseWorkingCalendar, HolidayEntry
from complaintdesk.clock.tables import HolidayRow, read_overrides
from complaintdesk.complaints.repository import event_from_row
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import OPEN_STATUSES, Event


@dataclass(frozen=True)
class LoadReport:
    days: int
    holidays: int
    workdays: int
    years: list[int]
    recomputed: int
    changed: int


def load_holidays(
    session_factory: sessionmaker[Session],
    entries: Iterable[HolidayEntry],
    *,
    source: str,
    now: datetime,
    calendar: sla.WorkingCalendar,
) -> LoadReport:
    """Store the table (one transaction), refresh ``calendar``, recompute open deadlines."""
    entries = list(entries)
    days = [e.day for e in entries]
    with session_factory() as session:
        for chunk in _chunks(days, 500):
            session.execute(delete(HolidayRow).where(HolidayRow.day.in_(chunk)))
        session.add_all(
            HolidayRow(
                day=e.day, is_workday=e.is_workday, name=e.name, source=source[:300], loaded_at=now
            )
            for e in entries
        )
        session.commit()
        overrides = read_overrides(session)
    if isinstance(calendar, ChineseWorkingCalendar):
        calendar.set_overrides(overrides)
    recomputed, changed = recompute_open_deadlines(session_factory, calendar)
    return LoadReport(
        days=len(entries),
        holidays=sum(1 for e in entries if not e.is_workday),
        workdays=sum(1 for e in entries if e.is_workday),
        years=sorted({d.year for d in days}),
        recomputed=recomputed,
        changed=changed,
    )


def loaded_days(session: Session, year: int | None = None) -> list[HolidayRow]:
    stmt = select(HolidayRow).order_by(HolidayRow.day)
    if year is not None:
        stmt = stmt.where(HolidayRow.day >= date(year, 1, 1), HolidayRow.day <= date(year, 12, 31))
    return list(session.scalars(stmt))


def recompute_open_deadlines(
    session_factory: sessionmaker[Session], calendar: sla.WorkingCalendar, *, batch: int = 500
) -> tuple[int, int]:
    """Recompute ``due_at`` of every open complaint; returns (examined, changed).

    Only the cached deadline is written, without a version bump: it is not a state change,
    and it must not make a user's concurrent action fail. Batches are keyset-paged by id.
    """
    examined = changed = 0
    last_id = 0
    open_values = [s.value for s in OPEN_STATUSES]
    while True:
        with session_factory() as session:
            rows = session.execute(
                select(ComplaintRow.id, ComplaintRow.received_at, ComplaintRow.due_at)
                .where(ComplaintRow.status.in_(open_values), ComplaintRow.id > last_id)
                .order_by(ComplaintRow.id)
                .limit(batch)
            ).all()
            if not rows:
                break
            history: dict[int, list[Event]] = defaultdict(list)
            for event in session.scalars(
                select(ComplaintEventRow)
                .where(ComplaintEventRow.complaint_id.in_([r.id for r in rows]))
                .order_by(ComplaintEventRow.complaint_id, ComplaintEventRow.id)
            ):
                history[event.complaint_id].append(event_from_row(event))
            for row in rows:
                due_at = sla.deadline(row.received_at, history[row.id], calendar)
                examined += 1
                if due_at != row.due_at:
                    changed += 1
                    session.execute(
                        update(ComplaintRow)
                        .where(ComplaintRow.id == row.id)
                        .values(due_at=due_at)
                        .execution_options(synchronize_session=False)
                    )
            session.commit()
            last_id = rows[-1].id
        if len(rows) < batch:
            break
    return examined, changed


def _chunks(items: list[date], size: int) -> Iterable[list[date]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
