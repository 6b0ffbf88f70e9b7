"""SQLAlchemy tables. The domain never imports this module; repositories translate.

Timestamps are stored as naive UTC (``UTCDateTime``) so SQLite and PostgreSQL behave alike.
Indexes follow the queues: each list screen filters by jurisdiction path and status and
orders by id (keyset pagination), so the composite indexes end in ``id``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from complaintdesk.db.base import Base, BigId, PathType, utcnow


class ComplainantRow(Base):
    """The identity vault (SPEC §5): personal data of complainants, never serialised raw."""

    __tablename__ = "complainants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    email: Mapped[str | None] = mapped_column(String(200), index=True)
    id_number: Mapped[str | None] = mapped_column(String(40))
    organisation: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    external_user: Mapped[str | None] = mapped_column(String(120))  # e.g. 留言用户 of an import
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    proxy: Mapped[dict[str, Any] | None]  # 委托: the agent's name, contact, relation
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ComplaintRow(Base):
    __tablename__ = "complaints"
    __table_args__ = (
        Index("ix_complaints_status_id", "status", "id"),
        Index("ix_complaints_owner_path_status_id", "owner_unit_path", "status", "id"),
        Index("ix_complaints_handling_path_status_id", "handling_unit_path", "status", "id"),
        Index("ix_complaints_received_at_id", "received_at", "id"),
        Index("ix_complaints_due_at", "due_at"),
        Index("ix_complaints_category_id", "category", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tracking_no: Mapped[str] = mapped_column(String(32), unique=True)
    query_code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300), default="")
    content: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text, default="")
    complained_unit_name: Mapped[str | None] = mapped_column(String(200))
    complained_person: Mapped[str | None] = mapped_column(String(120))
    complainant_id: Mapped[int | None] = mapped_column(ForeignKey("complainants.id"), index=True)
    consent_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    importance: Mapped[str] = mapped_column(String(16), default="ordinary")
    category: Mapped[str | None] = mapped_column(String(40))
    department_label: Mapped[str | None] = mapped_column(String(80))
    triage: Mapped[dict[str, Any] | None]
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    owner_unit_path: Mapped[str] = mapped_column(PathType)
    handling_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    handling_unit_path: Mapped[str | None] = mapped_column(PathType)
    dispatch_mode: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_pending_days: Mapped[int] = mapped_column(Integer, default=0)
    overdue_level: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    return_count: Mapped[int] = mapped_column(Integer, default=0)
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    double_deduction: Mapped[bool] = mapped_column(Boolean, default=False)
    appeal_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    external_ref: Mapped[str | None] = mapped_column(String(120), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ComplaintEventRow(Base):
    """Append-only timeline; the source of deadlines, audit and KPIs."""

    __tablename__ = "complaint_events"
    __table_args__ = (
        Index("ix_complaint_events_complaint_id_id", "complaint_id", "id"),
        Index("ix_complaint_events_action_at", "action", "at"),
        # KPI look-ups per complaint: last reply, receipt after a dispatch (migration 0007)
        Index("ix_complaint_events_complaint_id_action_at", "complaint_id", "action", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"))
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SequenceRow(Base):
    """Named counters (tracking numbers per day). Incremented with UPDATE … RETURNING."""

    __tablename__ = "sequences"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
