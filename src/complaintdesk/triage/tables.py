"""Training examples from people's routing decisions (issue 5: the dispatcher's choice
is stored and the next model learns from the archive plus these corrections)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from complaintdesk.db.base import Base, BigId, utcnow


class TriageExampleRow(Base):
    __tablename__ = "triage_examples"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(80))
    suggested_label: Mapped[str | None] = mapped_column(String(80))
    suggested_confidence: Mapped[float | None] = mapped_column(Float)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
