"""SQLAlchemy tables. The domain never imports this module; repositories translate.

Timestamps are stored as naive UTC (``UTCDateTime``) so SQLite and PostgreSQL behave alike.
Indexes follow the queues: each list screen filters by jurisdiction path and status and
orders by id (keyset pagination), so the composite indexes end in ``id``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from complaintdesk.db.base import Base, BigId, utcnow


class OutboxRow(Base):
    """Transactional outbox: written with the event that caused it, delivered by workers."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        # e-mail intake counts the acknowledgements sent to one address in the last hour
        Index("ix_outbox_recipient_created_at", "recipient", "created_at"),
        UniqueConstraint("dedup_key", name="uq_outbox_dedup_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # email / sms / webhook
    recipient: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    # Reply-To and Message-ID of an e-mail, fixed when queued: a retry resends the same
    # Message-ID, and intake can tell a reply to a message we sent (``In-Reply-To``).
    reply_to: Mapped[str | None] = mapped_column(String(300))
    message_id: Mapped[str | None] = mapped_column(String(300), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending/sent/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
