"""The queues of the handling and callback pages (issue 13 items 5, 6): a handling unit's
work by urgency, the extension requests a leader rules on, the callbacks to make.

Every query starts from :meth:`ComplaintQueries.scoped` (the one place jurisdiction is
applied) and narrows it; a queue of 50 rows costs a fixed number of queries, never one per
row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from complaintdesk.clock import deadlines as sla
from complaintdesk.complaints.queries import ComplaintQueries
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import Action, Status
from complaintdesk.org.model import Actor
from complaintdesk.org.repository import subtree_range

QUEUE_SIZE = 50
# "Due soon" on a handling unit's list: due today or within the next 2 working days.
DUE_SOON_WORKING_DAYS = 2
# Statuses in which the complaint is the handling unit's to work on.
UNIT_OPEN = (Status.DISPATCHED, Status.RECEIVED, Status.IN_PROGRESS)
EXTENSION_STATUSES = (Status.RECEIVED, Status.IN_PROGRESS)
CALLBACK_STATUSES = (Status.REPLIED, Status.CALLBACK)


@dataclass(frozen=True)
class HandlingTab:
    key: str
    label: tuple[str, str]


HANDLING_TABS = [
    HandlingTab("to_sign", ("待签收", "To sign for")),
    HandlingTab("in_progress", ("办理中", "In progress")),
    HandlingTab("due_soon", ("2个工作日内到期", "Due within 2 working days")),
    HandlingTab("overdue", ("已超期", "Overdue")),
    HandlingTab("supervised", ("被督办", "Under supervision")),
]
TAB_KEYS = frozenset(t.key for t in HANDLING_TABS)


def _values(statuses: Iterable[Status]) -> list[str]:
    return [s.value for s in statuses]


def _in_subtree(column: Any, path: str) -> ColumnElement[bool]:
    lo, hi = subtree_range(path)
    return and_(column >= lo, column < hi)


class HandlingQueues:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.queries = ComplaintQueries(session)

    # --- the handling unit's list ---------------------------------------------------

    def _tab_conditions(self, now: datetime, soon_until: datetime) -> dict[str, Any]:
        c = ComplaintRow
        open_ = c.status.in_(_values(UNIT_OPEN))
        return {
            "to_sign": c.status == Status.DISPATCHED.value,
            "in_progress": c.status.in_(_values((Status.RECEIVED, Status.IN_PROGRESS))),
            "due_soon": and_(open_, c.due_at >= now, c.due_at <= soon_until),
            "overdue": and_(open_, c.due_at < now),
            "supervised": and_(open_, c.overdue_level >= 1),
        }

    def _unit_side(self, viewer: Actor) -> Any:
        # The unit's own work: dispatched to the viewer's unit or below it.
        return self.queries.scoped(viewer).where(
            _in_subtree(ComplaintRow.handling_unit_path, viewer.unit_path)
        )

    def handling_counts(
        self, viewer: Actor, *, now: datetime, calendar: sla.WorkingCalendar
    ) -> dict[str, int]:
        """How many complaints each tab holds: one query for all five."""
        conditions = self._tab_conditions(now, soon_boundary(now, calendar))
        sums = [
            func.coalesce(func.sum(case((cond, 1), else_=0)), 0).label(key)
            for key, cond in conditions.items()
        ]
        row = self.session.execute(self._unit_side(viewer).with_only_columns(*sums)).one()
        return {key: int(row._mapping[key]) for key in conditions}

    def handling_rows(
        self,
        viewer: Actor,
        tab: str,
        *,
        now: datetime,
        calendar: sla.WorkingCalendar,
        limit: int = QUEUE_SIZE,
    ) -> list[ComplaintRow]:
        """The tab's complaints, most urgent first (earliest deadline, then oldest)."""
        condition = self._tab_conditions(now, soon_boundary(now, calendar))[tab]
        stmt = (
            self._unit_side(viewer)
            .where(condition)
            .order_by(ComplaintRow.due_at.asc().nulls_last(), ComplaintRow.id.asc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    # --- the leader's extension requests ----------------------------------------------

    def extension_rows(self, viewer: Actor, *, limit: int = QUEUE_SIZE) -> list[ComplaintRow]:
        """Pending extension requests the viewer's centre rules on (the owning side)."""
        stmt = (
            self.queries.scoped(viewer)
            .where(
                _in_subtree(ComplaintRow.owner_unit_path, viewer.unit_path),
                ComplaintRow.extension_pending_days > 0,
                ComplaintRow.status.in_(_values(EXTENSION_STATUSES)),
            )
            .order_by(ComplaintRow.due_at.asc().nulls_last(), ComplaintRow.id.asc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    # --- the callback auditor's queue ---------------------------------------------------

    def callback_rows(self, viewer: Actor, *, limit: int = QUEUE_SIZE) -> list[ComplaintRow]:
        """Replied complaints waiting for their callback, longest waiting first."""
        stmt = (
            self.queries.scoped(viewer)
            .where(
                _in_subtree(ComplaintRow.owner_unit_path, viewer.unit_path),
                ComplaintRow.status.in_(_values(CALLBACK_STATUSES)),
            )
            .order_by(ComplaintRow.updated_at.asc(), ComplaintRow.id.asc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def callback_count(self, viewer: Actor) -> int:
        stmt = self.queries.scoped(viewer).where(
            _in_subtree(ComplaintRow.owner_unit_path, viewer.unit_path),
            ComplaintRow.status.in_(_values(CALLBACK_STATUSES)),
        )
        return int(self.session.scalar(stmt.with_only_columns(func.count())) or 0)

    # --- the latest event of a kind, for a whole page ---------------------------------

    def latest_events(
        self, complaint_ids: Iterable[int], action: Action
    ) -> dict[int, ComplaintEventRow]:
        """Per complaint, its latest event of ``action`` (one query for the page).

        Only for complaints the caller already loaded through the scoped queries."""
        ids = sorted(set(complaint_ids))
        if not ids:
            return {}
        latest = (
            select(func.max(ComplaintEventRow.id))
            .where(
                ComplaintEventRow.complaint_id.in_(ids),
                ComplaintEventRow.action == action.value,
            )
            .group_by(ComplaintEventRow.complaint_id)
        )
        rows = self.session.scalars(
            select(ComplaintEventRow).where(ComplaintEventRow.id.in_(latest))
        )
        return {r.complaint_id: r for r in rows}


def soon_boundary(now: datetime, calendar: sla.WorkingCalendar) -> datetime:
    """The end of the 2nd working day after today: what "due within 2 working days" means."""
    return sla.due_after(now, DUE_SOON_WORKING_DAYS, calendar)
