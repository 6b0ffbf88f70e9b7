"""Tables of the intake channels: representatives, attachments, e-mail threads, idempotency.

Declared on ``tables.Base`` so one metadata holds the whole schema; imported by ``schema.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from complaintdesk.complaints.tables import ComplainantRow
from complaintdesk.db.base import Base, BigId, utcnow

# Bulk import and repeat detection look complainants up by the platform's user id
# (留言用户); without this index every batch would scan the vault.
Index("ix_complainants_external_user", ComplainantRow.external_user)


class ComplaintGroupRow(Base):
    """A group complaint (群体投诉): how many people, and their elected representatives."""

    __tablename__ = "complaint_groups"

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    member_count: Mapped[int] = mapped_column(Integer)


class RepresentativeRow(Base):
    """One elected representative of a group; SPEC §1 allows at most 3 (ordinal 1–3)."""

    __tablename__ = "complaint_representatives"
    __table_args__ = (
        UniqueConstraint("complaint_id", "ordinal", name="uq_complaint_representatives_ordinal"),
        CheckConstraint("ordinal BETWEEN 1 AND 3", name="at_most_three"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    id_number: Mapped[str | None] = mapped_column(String(40))


class AttachmentRow(Base):
    """Metadata of a file kept outside the database (content-addressed by SHA-256)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))  # upload / email / web
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailMessageRow(Base):
    """Every e-mail taken in, by Message-ID: threads replies and makes polling idempotent."""

    __tablename__ = "mail_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # new / reply
    sender: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)  # arrival at our server
    # why it went where it went: e.g. "names TS… without its reply token; filed as new"
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")


class MailReplyTokenRow(Base):
    """A secret reply token (回复令牌) sent in an e-mail to the complainant, stored as its
    SHA-256 only: a reply threads into the case only when it carries one (``reply_tokens``)."""

    __tablename__ = "mail_reply_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKeyRow(Base):
    """A filing request's Idempotency-Key and the answer it got, per caller (scope)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_keys_scope_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[str] = mapped_column(String(40))  # "user:<id>" or "public"
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    response: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


__all__ = [
    "AttachmentRow",
    "ComplaintGroupRow",
    "IdempotencyKeyRow",
    "MailMessageRow",
    "MailReplyTokenRow",
    "RepresentativeRow",
]
