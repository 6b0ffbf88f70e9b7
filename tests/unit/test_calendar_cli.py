"""`complaintdesk calendar deadline|is-workday`: the hand-check commands."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from complaintdesk.cli import app
from complaintdesk.config import get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A database file that does not exist: the package calendar alone answers."""
    path = tmp_path / "absent.db"
    monkeypatch.setenv("COMPLAINTDESK_DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("received", "days", "expected"),
    [
        # Hand-checked in tests/unit/test_sla.py.
        ("2026-09-28T15:00:00+08:00", "10", "2026-10-16T23:59:59+08:00"),
        ("2026-09-30T20:00:00+08:00", "10", "2026-10-20T23:59:59+08:00"),
        ("2026-02-13T18:00:00+08:00", "10", "2026-03-05T23:59:59+08:00"),
        ("2025-09-26T10:00:00+08:00", "10", "2025-10-16T23:59:59+08:00"),
        # 30 working days from Mon 2 Nov 2026 end on Mon 14 Dec.
        ("2026-11-02T09:00:00+08:00", "30", "2026-12-14T23:59:59+08:00"),
        # A UTC instant that is already the next day in Beijing (29 Sep 16:30Z = 30 Sep).
        ("2026-09-29T16:30:00Z", "10", "2026-10-20T23:59:59+08:00"),
    ],
)
def test_deadline_prints_the_due_moment_in_beijing_time(
    received: str, days: str, expected: str
) -> None:
    result = runner.invoke(
        app, ["calendar", "deadline", "--received", received, "--working-days", days]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-10-10", "true"),  # Saturday, 调休 make-up working day
        ("2026-10-01", "false"),  # National Day
        ("2026-02-14", "true"),  # Saturday before Spring Festival, make-up day
        ("2026-02-23", "false"),  # last day of the Spring Festival break (a Monday)
        ("2025-09-28", "true"),  # Sunday, make-up day
        ("2025-10-08", "false"),  # Wednesday, National Day + Mid-Autumn
        ("2026-12-01", "true"),
    ],
)
def test_is_workday_prints_true_or_false(day: str, expected: str) -> None:
    result = runner.invoke(app, ["calendar", "is-workday", day])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == expected


def test_a_year_the_calendar_does_not_know_answers_with_a_warning() -> None:
    result = runner.invoke(app, ["calendar", "is-workday", "2027-10-01"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "true"
    assert "calendar unknown for 2027" in result.stderr
    assert "2027年日历未知" in result.stderr


def test_a_deadline_into_an_unknown_year_warns_on_stderr() -> None:
    result = runner.invoke(app, ["calendar", "deadline", "--received", "2026-12-21T09:00:00+08:00"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "2027-01-04T23:59:59+08:00"
    assert "calendar unknown for 2027" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["calendar", "is-workday", "2026-02-30"],
        ["calendar", "is-workday", "tomorrow"],
        ["calendar", "deadline", "--received", "28/09/2026 15:00"],
        ["calendar", "deadline", "--received", "2026-09-28T15:00:00+08:00", "--working-days", "31"],
        ["calendar", "deadline", "--received", "2026-09-28T15:00:00+08:00", "--working-days", "0"],
    ],
)
def test_bad_input_exits_with_2_and_a_bilingual_message(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert " / " in result.stderr
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.stderr)


def test_answering_a_question_does_not_create_a_database(no_database: Path) -> None:
    runner.invoke(app, ["calendar", "is-workday", "2026-10-10"])
    assert not no_database.exists()
