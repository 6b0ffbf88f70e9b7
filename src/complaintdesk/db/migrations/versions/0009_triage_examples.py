"""Training examples from dispatchers' routing decisions; joins the KPI index branch.

Revision ID: 0009
Revises: 0007, 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import complaintdesk.db.base

revision: str = "0009"
down_revision: str | Sequence[str] | None = ("0007", "0008")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "triage_examples",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "complaint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("suggested_label", sa.String(length=80), nullable=True),
        sa.Column("suggested_confidence", sa.Float(), nullable=True),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", complaintdesk.db.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_triage_examples_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_triage_examples_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_examples")),
    )
    with op.batch_alter_table("triage_examples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_triage_examples_complaint_id"), ["complaint_id"])
        batch_op.create_index(batch_op.f("ix_triage_examples_created_at"), ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("triage_examples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_examples_created_at"))
        batch_op.drop_index(batch_op.f("ix_triage_examples_complaint_id"))
    op.drop_table("triage_examples")
