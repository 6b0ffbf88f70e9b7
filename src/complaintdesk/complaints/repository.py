"""Repositories: the only code that turns rows into domain objects and back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from complaintdesk.complaints.model import Complaint
from complaintdesk.complaints.tables import (
    ComplainantRow,
    ComplaintEventRow,
    ComplaintRow,
    SequenceRow,
)
from complaintdesk.complaints.vocabulary import (
    Action,
    Channel,
    DispatchMode,
    Event,
    Importance,
    Status,
)
from complaintdesk.kernel.errors import ConcurrencyConflict, NotFound
from complaintdesk.org.tables import UnitRow

# Columns that mirror aggregate state and are written back on every save.
_STATE_FIELDS = (
    "status",
    "summary",
    "importance",
    "category",
    "department_label",
    "handling_unit_id",
    "dispatch_mode",
    "extension_days",
    "extension_pending_days",
    "reopen_count",
    "return_count",
    "callback_attempts",
    "double_deduction",
    "overdue_level",
)


def complaint_from_row(row: ComplaintRow) -> Complaint:
    return Complaint(
        id=row.id,
        tracking_no=row.tracking_no,
        status=Status(row.status),
        received_at=row.received_at,
        owner_unit_id=row.owner_unit_id,
        content=row.content,
        title=row.title,
        summary=row.summary,
        channel=Channel(row.channel),
        importance=Importance(row.importance),
        category=row.category,
        department_label=row.department_label,
        handling_unit_id=row.handling_unit_id,
        dispatch_mode=DispatchMode(row.dispatch_mode) if row.dispatch_mode else None,
        extension_days=row.extension_days,
        extension_pending_days=row.extension_pending_days,
        reopen_count=row.reopen_count,
        return_count=row.return_count,
        callback_attempts=row.callback_attempts,
        double_deduction=row.double_deduction,
        overdue_level=row.overdue_level,
        version=row.version,
    )


def event_from_row(row: ComplaintEventRow) -> Event:
    return Event(
        action=Action(row.action),
        at=row.at,
        actor_id=row.actor_id,
        from_status=Status(row.from_status) if row.from_status else None,
        to_status=Status(row.to_status),
        reason=row.reason,
        data=dict(row.data or {}),
    )


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


@dataclass(frozen=True)
class NewComplainant:
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    id_number: str | None = None
    organisation: str | None = None
    address: str | None = None
    external_user: str | None = None
    anonymous: bool = False
    proxy: dict[str, Any] | None = None


class ComplaintRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- identifiers -----------------------------------------------------------

    def next_sequence(self, name: str, count: int = 1) -> int:
        """Reserve ``count`` numbers of a named counter; returns the last one reserved.

        ``INSERT … ON CONFLICT DO NOTHING`` then ``UPDATE … RETURNING``: the row lock taken by
        the update serialises concurrent app servers on PostgreSQL.
        """
        self.session.execute(
            text(
                "INSERT INTO sequences (name, value) VALUES (:n, 0) ON CONFLICT (name) DO NOTHING"
            ),
            {"n": name},
        )
        value = self.session.execute(
            update(SequenceRow)
            .where(SequenceRow.name == name)
            .values(value=SequenceRow.value + count)
            .returning(SequenceRow.value)
        ).scalar_one()
        return int(value)

    # --- aggregate ---------------------------------------------------------------

    def add(
        self,
        complaint: Complaint,
        *,
        query_code_hash: str,
        owner_unit_path: str,
        complainant: NewComplainant | None,
        extra: dict[str, Any],
    ) -> int:
        complainant_id = None
        if complainant is not None:
            person = ComplainantRow(**complainant.__dict__)
            self.session.add(person)
            self.session.flush()
            complainant_id = person.id
        row = ComplaintRow(
            tracking_no=complaint.tracking_no,
            query_code_hash=query_code_hash,
            channel=complaint.channel.value,
            title=complaint.title,
            content=complaint.content,
            received_at=complaint.received_at,
            owner_unit_id=complaint.owner_unit_id,
            owner_unit_path=owner_unit_path,
            version=complaint.version,
            **{f: _plain(getattr(complaint, f)) for f in _STATE_FIELDS},
            # an appeal passes the original complainant_id in ``extra``
            **{"complainant_id": complainant_id, **extra},
        )
        self.session.add(row)
        self.session.flush()
        complaint.id = row.id
        return row.id

    def get(self, complaint_id: int) -> Complaint:
        return self.aggregate(self.row(complaint_id))[0]

    def aggregate(self, row: ComplaintRow) -> tuple[Complaint, list[Event]]:
        """The aggregate of an already loaded row, and its history (read once, used both to
        restore the 批示/签批 state that guards dispatch and to recompute the deadline)."""
        history = self.events(row.id)
        complaint = complaint_from_row(row)
        complaint.restore_decisions(history)
        return complaint, history

    def row(self, complaint_id: int) -> ComplaintRow:
        """The stored row, always re-read: ``save`` updates with a compare-and-set statement
        that bypasses the session, so a cached row would carry an old version and make the
        next action in the same unit of work fail as a false conflict."""
        row = self.session.get(ComplaintRow, complaint_id, populate_existing=True)
        if row is None:
            raise NotFound(f"投诉 {complaint_id} 不存在 / complaint {complaint_id} not found")
        return row

    def save(self, complaint: Complaint, now: datetime, **extra: Any) -> None:
        """Compare-and-set on ``version``: of two concurrent saves only the first wins."""
        assert complaint.id is not None
        values: dict[str, Any] = {f: _plain(getattr(complaint, f)) for f in _STATE_FIELDS}
        if complaint.handling_unit_id is not None:
            unit = self.session.get(UnitRow, complaint.handling_unit_id)
            values["handling_unit_path"] = unit.path if unit else None
        else:
            values["handling_unit_path"] = None
        values.update(extra)
        result = self.session.execute(
            update(ComplaintRow)
            .where(ComplaintRow.id == complaint.id, ComplaintRow.version == complaint.version)
            .values(version=ComplaintRow.version + 1, updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            current = self.session.scalar(
                select(ComplaintRow.version).where(ComplaintRow.id == complaint.id)
            )
            raise ConcurrencyConflict(complaint.id, complaint.version, current)
        complaint.version += 1

    def append_events(self, complaint_id: int, events: list[Event]) -> None:
        if not events:
            return
        self.session.execute(
            insert(ComplaintEventRow),
            [
                {
                    "complaint_id": complaint_id,
                    "action": e.action.value,
                    "at": e.at,
                    "actor_id": e.actor_id,
                    "from_status": e.from_status.value if e.from_status else None,
                    "to_status": e.to_status.value,
                    "reason": e.reason,
                    "data": e.data,
                }
                for e in events
            ],
        )

    def events(self, complaint_id: int) -> list[Event]:
        rows = self.session.scalars(
            select(ComplaintEventRow)
            .where(ComplaintEventRow.complaint_id == complaint_id)
            .order_by(ComplaintEventRow.id)
        )
        return [event_from_row(r) for r in rows]

    def count(self) -> int:
        return int(self.session.scalar(select(func.count(ComplaintRow.id))) or 0)
