"""The audit log (SPEC §5): who read which personal data, who changed what, in a hash
chain that ``complaintdesk audit verify`` checks.

State changes need no call here: every complaint event is chained automatically in the
transaction that writes it (adapters/db/audit_chain.py). Reads of personal data and user
administration are recorded with :func:`record`, in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from complaintdesk.audit import chain as audit_chain
from complaintdesk.audit.tables import AuditEntryRow
from complaintdesk.db.unit_of_work import SqlUnitOfWork

Verdict = audit_chain.Verdict


def record(
    uow: SqlUnitOfWork,
    *,
    actor_id: int | None,
    kind: str,
    at: datetime,
    complaint_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Stage an entry; it is chained when the unit of work commits, dropped on rollback."""
    audit_chain.stage(
        uow.session,
        kind=kind,
        at=at,
        actor_id=actor_id,
        complaint_id=complaint_id,
        detail=detail,
    )


def verify(uow: SqlUnitOfWork) -> Verdict:
    return audit_chain.verify(uow.session)


def entries(
    uow: SqlUnitOfWork, *, complaint_id: int | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    stmt = select(AuditEntryRow).order_by(AuditEntryRow.id.desc()).limit(limit)
    if complaint_id is not None:
        stmt = stmt.where(AuditEntryRow.complaint_id == complaint_id)
    return [
        {
            "id": r.id,
            "at": r.at,
            "kind": r.kind,
            "actor_id": r.actor_id,
            "complaint_id": r.complaint_id,
            "event_id": r.event_id,
            "hash": r.hash,
        }
        for r in uow.session.scalars(stmt)
    ]
