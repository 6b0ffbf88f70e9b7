"""Tables of the evaluation feature (SPEC §7, §8): assessments, rectification cases,
telecom subscriber counts and the admin-configured telecom thresholds.

Periods are calendar months written ``YYYY-MM`` (Asia/Shanghai). Grade counts are stored per
entry: a single assessment is an entry with one count of 1, a monthly tally an entry with the
five counts; a unit's figures for a method are the sums over its entries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from complaintdesk.db.base import Base, BigId, utcnow
from complaintdesk.evaluation.tables import PERIOD_LENGTH, POINTS


class SubscriberCountRow(Base):
    """Subscribers of a telecom branch in a month, entered by an admin (万用户投诉率)."""

    __tablename__ = "kpi_subscriber_counts"
    __table_args__ = (UniqueConstraint("unit_id", "period", name="uq_kpi_subscriber_counts_unit"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH))
    users: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TelecomRulesRow(Base):
    """Penalty and bonus thresholds of the branch assessment, valid from a month onwards."""

    __tablename__ = "kpi_telecom_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    effective_from: Mapped[str] = mapped_column(String(PERIOD_LENGTH), unique=True)
    complaint_rate_threshold: Mapped[Decimal] = mapped_column(POINTS)
    complaint_rate_penalty: Mapped[Decimal] = mapped_column(POINTS)
    resolution_threshold: Mapped[Decimal] = mapped_column(POINTS)
    resolution_penalty: Mapped[Decimal] = mapped_column(POINTS)
    optimisation_threshold: Mapped[Decimal] = mapped_column(POINTS)
    optimisation_bonus: Mapped[Decimal] = mapped_column(POINTS)
    callback_failure_points: Mapped[Decimal] = mapped_column(POINTS)
    bonus_top_n: Mapped[int] = mapped_column(Integer, default=6)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
