"""E-mail intake a forged sender cannot abuse: hashed reply tokens; each message taken in
keeps a note of why it was filed or threaded; the outbox keeps each e-mail's Reply-To and
Message-ID, and is indexed for the per-address acknowledgement limit.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import complaintdesk.db.base

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mail_reply_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "complaint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", complaintdesk.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_mail_reply_tokens_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_reply_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_mail_reply_tokens_token_hash")),
    )
    with op.batch_alter_table("mail_reply_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_reply_tokens_complaint_id"), ["complaint_id"])
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("note", sa.String(length=500), nullable=False, server_default="")
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_to", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=300), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_message_id"), ["message_id"])
        batch_op.create_index("ix_outbox_recipient_created_at", ["recipient", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_recipient_created_at")
        batch_op.drop_index(batch_op.f("ix_outbox_message_id"))
        batch_op.drop_column("message_id")
        batch_op.drop_column("reply_to")
    with op.batch_alter_table("mail_messages", schema=None) as batch_op:
        batch_op.drop_column("note")
    with op.batch_alter_table("mail_reply_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_reply_tokens_complaint_id"))
    op.drop_table("mail_reply_tokens")
