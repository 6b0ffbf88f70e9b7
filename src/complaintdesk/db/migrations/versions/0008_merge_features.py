"""Join the feature branches (clock, intake, access, evaluation, telecom) into one head.

Revision ID: 0008
Revises: 0002, 0003, 0004, 0005, 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | Sequence[str] | None = ("0002", "0003", "0004", "0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
