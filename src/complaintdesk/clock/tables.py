"""Tables of the statutory clock: holiday tables an admin loads (see adapters/calendar.py).

The outbox table lives in ``tables.py``; users' optional ``email``/``phone`` (the
notification recipients) are columns of ``users``, added by migration 0002.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from complaintdesk.db.base import Base, utcnow


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


def calendar_warnings(session: Session, rows: Iterable[Any]) -> dict[int, str | None]:
    """{complaint id: "calendar unknown for YEAR" warning or None} for complaint rows.

    A year is known when the chinesecalendar package covers it or an admin loaded a table
    for it. The holidays table is read only when some deadline reaches past the package,
    once for the whole page.
    """
    from complaintdesk.clock.calendar import package_knows
    from complaintdesk.clock.deadlines import calendar_warning, local_date

    loaded: set[int] | None = None
    result: dict[int, str | None] = {}
    for row in rows:
        if row.due_at is None:
            result[row.id] = None
            continue
        first, last = local_date(row.received_at).year, local_date(row.due_at).year
        unknown = [y for y in range(first, max(first, last) + 1) if not package_knows(y)]
        if unknown:
            if loaded is None:
                days = session.scalars(select(HolidayRow.day))
                loaded = {d.year for d in days}
            unknown = [y for y in unknown if y not in loaded]
        result[row.id] = calendar_warning(unknown)
    return result
