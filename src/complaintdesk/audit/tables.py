"""Tables of access control and audit (issue 6): the hash-chained audit log and its head.

The log is append-only: each entry stores the MAC of the one before, and its own ``hash`` is
its MAC, HMAC-SHA256(key, previous MAC + canonical JSON of the entry) with a key held outside
the database (:mod:`complaintdesk.audit.seal`). Entries for complaint events carry
the event as it was written, so editing an event afterwards breaks the match too. There
is deliberately no foreign key from an entry to its event: a deleted event must show up as
a finding of ``audit verify``, not be prevented by a constraint a DBA can drop anyway.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from complaintdesk.db.base import Base, BigId


class AuditEntryRow(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_complaint_id_id", "complaint_id", "id"),)

    # Assigned as head + 1 under the head's lock, so ids are gap-free: a gap is a deletion.
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    complaint_id: Mapped[int | None] = mapped_column(BigInteger)
    event_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """One row: the last entry's id and hash. Locked while a transaction appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
