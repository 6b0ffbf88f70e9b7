"""Working days: the official Chinese calendar (holidays and make-up working days, 调休).

Three sources, the first that knows a day wins:

1. holiday tables an admin loads (``complaintdesk calendar load FILE``, stored in the
   ``holidays`` table): corrections of the package and years it does not know yet;
2. the ``chinesecalendar`` package (State Council notices, currently 2004–2026);
3. Monday to Friday. A year that neither source knows is remembered in ``unknown_years``
   and answered by :meth:`knows`, so callers can show "calendar unknown for YEAR"; it
   never raises.

A loaded table lists exceptions only: days it does not mention follow the package, or
the weekday rule in a year the package does not know.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import chinese_calendar

from complaintdesk.io import tables
from complaintdesk.kernel.errors import InvalidInput

OverrideLoader = Callable[[], dict[date, bool]]


class ChineseWorkingCalendar:
    """The production calendar. Thread-safe; overrides are loaded once, lazily."""

    def __init__(
        self, overrides: dict[date, bool] | None = None, *, loader: OverrideLoader | None = None
    ) -> None:
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._override_years: frozenset[int] = frozenset(d.year for d in self._overrides)
        self._loader = loader
        self._loaded = loader is None
        self._lock = threading.Lock()
        self.unknown_years: set[int] = set()

    # --- overrides ----------------------------------------------------------------

    @property
    def overrides(self) -> dict[date, bool]:
        self._ensure_loaded()
        return dict(self._overrides)

    def set_overrides(self, overrides: dict[date, bool]) -> None:
        """Replace the admin-loaded days (after ``calendar load``)."""
        with self._lock:
            self._overrides = dict(overrides)
            self._override_years = frozenset(d.year for d in self._overrides)
            self._loaded = True
            self.unknown_years.clear()

    def refresh(self) -> None:
        """Read the admin tables again (the worker does this once per cycle)."""
        if self._loader is not None:
            self.set_overrides(self._loader())

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded or self._loader is None:
                return
            overrides = self._loader()
            self._overrides = dict(overrides)
            self._override_years = frozenset(d.year for d in self._overrides)
            self._loaded = True

    # --- questions ----------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        self._ensure_loaded()
        answer = self._overrides.get(day)
        if answer is not None:
            return answer
        if package_knows(day.year):
            return _package_workday(day)
        if day.year not in self._override_years:
            self.unknown_years.add(day.year)
        return day.weekday() < 5

    def knows(self, year: int) -> bool:
        """True when a loaded table or the package covers ``year``."""
        self._ensure_loaded()
        return year in self._override_years or package_knows(year)

    def holiday_name(self, day: date) -> str | None:
        """The package's holiday name for ``day`` (English), if it has one."""
        if not package_knows(day.year):
            return None
        _on_holiday, name = chinese_calendar.get_holiday_detail(day)
        return str(name) if name else None


_known: dict[int, bool] = {}


@functools.lru_cache(maxsize=8192)
def _package_workday(day: date) -> bool:
    """The package's answer, remembered: its data never changes while we run, and each of its
    calls scans its tables (a queue of 50 due badges asks it thousands of times)."""
    return bool(chinese_calendar.is_workday(day))


def package_knows(year: int) -> bool:
    known = _known.get(year)
    if known is None:
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
            known = True
        except NotImplementedError:
            known = False
        _known[year] = known
    return known


# --- holiday tables an admin loads ------------------------------------------------------

TRUE_WORDS = {"true", "1", "yes", "y", "是", "班", "上班", "工作日", "workday"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "休", "休息", "节假日", "holiday"}
MAX_ERRORS = 20


@dataclass(frozen=True)
class HolidayEntry:
    """One loaded day: a holiday (``is_workday`` False) or a make-up working day (True)."""

    day: date
    is_workday: bool
    name: str = ""


def read_holiday_file(path: Path) -> list[HolidayEntry]:
    """Parse a CSV or Excel (.xlsx) holiday table with columns ``date,is_workday[,name]``.

    The file is read by the one table reader (:mod:`complaintdesk.io.tables`: UTF-8, GBK,
    UTF-16 …). Every problem is reported with its row number in one :class:`InvalidInput`;
    nothing partial is returned.
    """
    with tables.read_table(path) as table:
        rows: list[list[object]] = [list(table.header), *table.values()]
    return parse_holiday_rows(rows)


def parse_holiday_rows(rows: Iterable[list[object]]) -> list[HolidayEntry]:
    rows = [r for r in rows if any(_cell(c) for c in r)]
    if not rows:
        raise InvalidInput("文件为空 / the file is empty")
    header = [_cell(c).lower() for c in rows[0]]
    if "date" not in header or "is_workday" not in header:
        raise InvalidInput(
            "第1行应为表头 date,is_workday[,name] / row 1 must be the header date,is_workday[,name]"
        )
    i_date, i_work = header.index("date"), header.index("is_workday")
    i_name = header.index("name") if "name" in header else None
    entries: dict[date, HolidayEntry] = {}
    errors: list[str] = []
    for number, row in enumerate(rows[1:], start=2):
        try:
            day = _parse_day(row[i_date] if i_date < len(row) else None)
            work = _parse_bool(row[i_work] if i_work < len(row) else None)
        except ValueError as exc:
            errors.append(f"第{number}行 / row {number}: {exc}")
            continue
        name = _cell(row[i_name]) if i_name is not None and i_name < len(row) else ""
        previous = entries.get(day)
        if previous is not None and previous.is_workday != work:
            errors.append(
                f"第{number}行 / row {number}: {day} 与前面的行矛盾 / contradicts an earlier row"
            )
            continue
        entries[day] = HolidayEntry(day, work, name[:100])
    if errors:
        shown = errors[:MAX_ERRORS]
        more = len(errors) - len(shown)
        if more:
            shown.append(f"……另有{more}处错误 / … and {more} more")
        raise InvalidInput(
            "节假日表有误，未导入任何数据 / holiday table rejected:\n" + "\n".join(shown)
        )
    if not entries:
        raise InvalidInput("文件中没有数据行 / the file has no data rows")
    return sorted(entries.values(), key=lambda e: e.day)


def _cell(value: object) -> str:
    return "" if value is None else str(value).strip()


def _parse_day(value: object) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        text = _cell(value)
        try:
            day = date.fromisoformat(text.replace("/", "-"))
        except ValueError:
            raise ValueError(
                f"日期“{text}”无效，应为 YYYY-MM-DD / invalid date “{text}”, use YYYY-MM-DD"
            ) from None
    if not 1900 <= day.year <= 2200:
        raise ValueError(f"年份 {day.year} 超出范围 / year {day.year} out of range")
    return day


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = _cell(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(
        f"is_workday“{text}”无效，应为 true/false / invalid is_workday “{text}”, use true/false"
    )
