"""Tables of the statutory clock: holiday tables an admin loads (see adapters/calendar.py).

The outbox table lives in ``tables.py``; users' optional ``email``/``phone`` (the
notification recipients) are columns of ``users``, added by migration 0002.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from complaintdesk.adapters.db.tables import Base, utcnow


class HolidayRow(Base):
    """One day of an admin-loaded holiday table; wins over the chinesecalendar package."""

    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)


def read_overrides(session: Session) -> dict[date, bool]:
    """Every loaded day: {date: is_workday}. A few hundred rows at most per year."""
    return {
        row.day: row.is_workday
        for row in session.execute(select(HolidayRow.day, HolidayRow.is_workday))
    }
