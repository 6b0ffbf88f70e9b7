"""Tables of the evaluation feature (SPEC §7, §8): assessments, rectification cases,
telecom subscriber counts and the admin-configured telecom thresholds.

Periods are calendar months written ``YYYY-MM`` (Asia/Shanghai). Grade counts are stored per
entry: a single assessment is an entry with one count of 1, a monthly tally an entry with the
five counts; a unit's figures for a method are the sums over its entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from complaintdesk.db.base import Base, BigId, utcnow

PERIOD_LENGTH = 7  # "2026-11"
POINTS = Numeric(14, 4)


class AssessmentRow(Base):
    """Assessments of one unit, one method, one month (SPEC §8.2 四种测评方法)."""

    __tablename__ = "evaluation_assessments"
    __table_args__ = (Index("ix_evaluation_assessments_period_unit_id", "period", "unit_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH))
    method: Mapped[str] = mapped_column(String(16))
    excellent: Mapped[int] = mapped_column(Integer, default=0)
    good: Mapped[int] = mapped_column(Integer, default=0)
    fair: Mapped[int] = mapped_column(Integer, default=0)
    poor: Mapped[int] = mapped_column(Integer, default=0)
    bad: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str] = mapped_column(String(16), default="api")  # api / import
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RectificationRow(Base):
    """A rectification case (整改) found in the evaluation of one unit and month."""

    __tablename__ = "evaluation_rectifications"
    __table_args__ = (Index("ix_evaluation_rectifications_period_unit_id", "period", "unit_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH))
    kind: Mapped[str] = mapped_column(String(40))
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
