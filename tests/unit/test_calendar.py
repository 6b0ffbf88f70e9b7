"""The working-day calendar against the State Council holiday notices (hand-checked).

Sources: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号) and the 2026
notice (国办发明电〔2025〕7号). ``True`` = working day.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from complaintdesk.clock.calendar import (
    ChineseWorkingCalendar,
    HolidayEntry,
    parse_holiday_rows,
    read_holiday_file,
)
from complaintdesk.kernel.errors import InvalidInput

# Spring Festival 2026: off Sun 15 Feb – Mon 23 Feb (9 days); make-up Sat 14 Feb, Sat 28 Feb.
SPRING_FESTIVAL_2026 = [
    (date(2026, 2, 13), True),  # Friday before
    (date(2026, 2, 14), True),  # Saturday, make-up working day (调休上班)
    (date(2026, 2, 15), False),  # Sunday, first day off
    (date(2026, 2, 16), False),  # Monday, 除夕 eve
    (date(2026, 2, 17), False),  # Tuesday, 春节
    (date(2026, 2, 20), False),  # Friday
    (date(2026, 2, 23), False),  # Monday, last day off
    (date(2026, 2, 24), True),  # Tuesday, back to work
    (date(2026, 2, 28), True),  # Saturday, make-up working day
    (date(2026, 3, 1), False),  # Sunday, ordinary weekend
]
# National Day + Mid-Autumn 2025: off Wed 1 Oct – Wed 8 Oct; make-up Sun 28 Sep, Sat 11 Oct.
NATIONAL_DAY_2025 = [
    (date(2025, 9, 27), False),  # Saturday, ordinary weekend
    (date(2025, 9, 28), True),  # Sunday, make-up working day
    (date(2025, 9, 30), True),  # Tuesday
    (date(2025, 10, 1), False),
    (date(2025, 10, 6), False),  # Monday (中秋)
    (date(2025, 10, 8), False),  # Wednesday, last day off
    (date(2025, 10, 9), True),  # Thursday
    (date(2025, 10, 11), True),  # Saturday, make-up working day
    (date(2025, 10, 12), False),  # Sunday
]
# National Day 2026: off Thu 1 Oct – Wed 7 Oct; make-up Sun 20 Sep, Sat 10 Oct.
NATIONAL_DAY_2026 = [
    (date(2026, 9, 19), False),  # Saturday
    (date(2026, 9, 20), True),  # Sunday, make-up working day
    (date(2026, 9, 25), False),  # Friday, 中秋节
    (date(2026, 9, 30), True),  # Wednesday
    (date(2026, 10, 1), False),
    (date(2026, 10, 5), False),  # Monday
    (date(2026, 10, 7), False),  # Wednesday, last day off
    (date(2026, 10, 8), True),  # Thursday
    (date(2026, 10, 10), True),  # Saturday, make-up working day
    (date(2026, 10, 11), False),  # Sunday
]


@pytest.mark.parametrize(
    ("day", "working"), SPRING_FESTIVAL_2026 + NATIONAL_DAY_2025 + NATIONAL_DAY_2026
)
def test_it_follows_the_official_holidays_and_make_up_days(day: date, working: bool) -> None:
    assert ChineseWorkingCalendar().is_workday(day) is working


def test_a_year_nobody_knows_falls_back_to_monday_to_friday_and_is_flagged() -> None:
    calendar = ChineseWorkingCalendar()
    assert calendar.is_workday(date(2027, 10, 1)) is True  # a Friday: guessed, not known
    assert calendar.is_workday(date(2027, 10, 2)) is False  # a Saturday
    assert calendar.knows(2027) is False
    assert 2027 in calendar.unknown_years
    assert calendar.knows(2026) is True


def test_a_loaded_table_wins_over_the_package_and_makes_its_year_known() -> None:
    calendar = ChineseWorkingCalendar(
        {date(2026, 10, 9): False, date(2027, 10, 1): False, date(2027, 9, 26): True}
    )
    assert calendar.is_workday(date(2026, 10, 9)) is False  # corrected: package says working
    assert calendar.is_workday(date(2027, 10, 1)) is False
    assert calendar.is_workday(date(2027, 9, 26)) is True  # a Sunday, make-up day
    assert calendar.is_workday(date(2027, 10, 4)) is True  # not listed: weekday rule
    assert calendar.knows(2027) is True
    assert calendar.unknown_years == set()


def test_overrides_are_loaded_once_and_refreshed_on_request() -> None:
    calls: list[int] = []
    table = {date(2027, 1, 1): False}

    def loader() -> dict[date, bool]:
        calls.append(1)
        return dict(table)

    calendar = ChineseWorkingCalendar(loader=loader)
    assert calendar.is_workday(date(2027, 1, 1)) is False
    assert calendar.is_workday(date(2027, 1, 4)) is True
    assert len(calls) == 1
    table[date(2027, 1, 4)] = False
    calendar.refresh()
    assert calendar.is_workday(date(2027, 1, 4)) is False
    assert len(calls) == 2


def test_it_reads_a_csv_holiday_table(tmp_path: Path) -> None:
    path = tmp_path / "2027.csv"
    path.write_text(
        "date,is_workday,name\n2027-01-01,false,元旦\n2027-02-07,是,春节调休\n2027/02/08,休,春节\n",
        encoding="utf-8",
    )
    assert read_holiday_file(path) == [
        HolidayEntry(date(2027, 1, 1), False, "元旦"),
        HolidayEntry(date(2027, 2, 7), True, "春节调休"),
        HolidayEntry(date(2027, 2, 8), False, "春节"),
    ]


def test_it_reads_an_excel_holiday_table(tmp_path: Path) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["date", "is_workday", "name"])
    sheet.append([datetime(2027, 10, 1), False, "国庆节"])
    sheet.append(["2027-10-09", True, "国庆调休"])
    path = tmp_path / "2027.xlsx"
    workbook.save(path)
    assert read_holiday_file(path) == [
        HolidayEntry(date(2027, 10, 1), False, "国庆节"),
        HolidayEntry(date(2027, 10, 9), True, "国庆调休"),
    ]


def test_a_bad_table_is_refused_whole_with_every_row_number() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_holiday_rows(
            [
                ["date", "is_workday"],
                ["2027-01-01", "false"],
                ["2027-02-30", "false"],
                ["2027-03-01", "maybe"],
                ["2027-01-01", "true"],
            ]
        )
    message = str(error.value)
    assert "row 3" in message and "2027-02-30" in message
    assert "row 4" in message and "maybe" in message
    assert "row 5" in message and "矛盾" in message


def test_a_table_without_the_header_is_refused() -> None:
    with pytest.raises(InvalidInput, match="date,is_workday"):
        parse_holiday_rows([["2027-01-01", "false"]])


def test_an_unsupported_file_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "holidays.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(InvalidInput, match="unsupported file type"):
        read_holiday_file(path)
