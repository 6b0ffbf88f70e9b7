"""Telecom knowledge scope and SMS approval: branch of alarms/blind spots, approved scripts.

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import complaintdesk.db.base

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    for table in ("telecom_alarms", "telecom_blind_spots"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("unit_id", _ID, nullable=True))
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_unit_id_units"), "units", ["unit_id"], ["id"]
            )
    with op.batch_alter_table("telecom_scripts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("approved_at", complaintdesk.db.base.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("approved_by", _ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_telecom_scripts_approved_by_users"), "users", ["approved_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("telecom_scripts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_telecom_scripts_approved_by_users"), type_="foreignkey"
        )
        batch_op.drop_column("approved_by")
        batch_op.drop_column("approved_at")
    for table in ("telecom_blind_spots", "telecom_alarms"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"fk_{table}_unit_id_units"), type_="foreignkey")
            batch_op.drop_column("unit_id")
