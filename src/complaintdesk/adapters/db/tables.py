"""SQLAlchemy tables. The domain never imports this module; repositories translate.

Timestamps are stored as naive UTC (``UTCDateTime``) so SQLite and PostgreSQL behave alike.
Indexes follow the queues: each list screen filters by jurisdiction path and status and
orders by id (keyset pagination), so the composite indexes end in ``id``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; INTEGER on SQLite so the column stays the rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonType = JSON().with_variant(JSONB(), "postgresql")
# Materialised paths compare bytewise ("C") so a subtree is an index range on both databases.
PathType = String(400).with_variant(String(400, collation="C"), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive UTC in the database."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JsonType,
    }


class UnitRow(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    category: Mapped[str | None] = mapped_column(String(40))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(PathType, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(300))  # comma-separated Role values
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # Where supervision notices go (migration 0002); a user without them gets none.
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


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


class OutboxRow(Base):
    """Transactional outbox: written with the event that caused it, delivered by workers."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        UniqueConstraint("dedup_key", name="uq_outbox_dedup_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # email / sms / webhook
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending/sent/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
