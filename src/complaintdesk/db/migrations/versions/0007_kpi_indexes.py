"""KPI index: a complaint's events by action and time (issue 7, KPIs over 1M complaints).

Serves the per-complaint look-ups of the KPI figures — the last reply of a closed complaint
(按时办结, an index-only backward scan), the receipt after a dispatch (按时签收), the
pre-processing and branch-reply checks — each one index descent instead of reading all of
the complaint's events.

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-29 15:35:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_complaint_events_complaint_id_action_at",
            ["complaint_id", "action", "at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_events_complaint_id_action_at")
