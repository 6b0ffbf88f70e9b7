"""The audit log (SPEC §5): who read which personal data, who changed what, in a keyed
chain that ``complaintdesk audit verify`` checks.

State changes need no call here: every complaint event is chained automatically in the
transaction that writes it (:mod:`complaintdesk.audit.chain`). Reads of personal data and user
administration are recorded with :func:`record`, in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from complaintdesk.audit import chain as audit_chain
from complaintdesk.audit import rekey as audit_rekey
from complaintdesk.audit import rules
from complaintdesk.audit import verify as audit_verify
from complaintdesk.audit.seal import iso
from complaintdesk.audit.tables import AuditEntryRow
from complaintdesk.db.unit_of_work import SqlUnitOfWork

Verdict = audit_verify.Verdict
Anchor = rules.Anchor
BadAnchor = rules.BadAnchor
parse_anchor = rules.parse_anchor
make_anchor = rules.make_anchor
Rekeyed = audit_rekey.Rekeyed


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


def verify(uow: SqlUnitOfWork, anchor: Anchor | None = None) -> Verdict:
    """Walk the chain with this process's key; with ``anchor``, also prove nothing up to it
    changed and the chain still reaches it."""
    return audit_verify.verify(uow.session, audit_chain.key_of(uow.session), anchor)


def anchor(uow: SqlUnitOfWork, *, now: datetime) -> tuple[Verdict, Anchor | None]:
    """The head to keep elsewhere, taken only from a chain that verifies."""
    verdict = verify(uow)
    if not verdict.ok:
        return verdict, None
    return verdict, Anchor(verdict.last_id, verdict.last_mac, iso(now) or "", verdict.last_id)


def rekey(uow: SqlUnitOfWork, *, now: datetime, actor_id: int | None = None) -> Rekeyed:
    """Re-seal a chain from before keyed sealing, once; commits only when it did."""
    done = audit_rekey.rekey(uow.session, now=now, actor_id=actor_id)
    if done.ok and done.resealed:
        uow.commit()
    return done


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
