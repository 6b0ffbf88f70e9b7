"""`complaintdesk calendar …`: check working days and deadlines by hand, load holiday tables.

complaintdesk calendar deadline --received 2026-09-28T15:00:00+08:00 --working-days 10
2026-10-16T23:59:59+08:00
complaintdesk calendar is-workday 2026-10-10
true
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from complaintdesk.clock import deadlines as sla
from complaintdesk.clock.calendar import ChineseWorkingCalendar, read_holiday_file
from complaintdesk.complaints.vocabulary import MAX_TOTAL_WORKING_DAYS
from complaintdesk.config import get_settings
from complaintdesk.kernel.errors import InvalidInput

app = typer.Typer(help="工作日历 / working-day calendar", no_args_is_help=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _calendar() -> ChineseWorkingCalendar:
    """The package calendar plus the database's holiday tables, when there is a database.
    A SQLite file that does not exist yet is not created just to answer a question."""
    settings = get_settings()
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and (
        not url.database or url.database == ":memory:" or not Path(url.database).exists()
    ):
        return ChineseWorkingCalendar()
    from complaintdesk.bootstrap import bootstrap

    calendar = bootstrap(settings).calendar
    assert isinstance(calendar, ChineseWorkingCalendar)
    return calendar


def _warn_unknown(calendar: ChineseWorkingCalendar, years: list[int]) -> None:
    warning = sla.calendar_warning(y for y in years if not calendar.knows(y))
    if warning:
        typer.echo(f"警告 / warning: {warning}", err=True)


def parse_moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise _fail(
            f"时间“{text}”无效，应为 ISO 8601，如 2026-09-28T15:00:00+08:00"
            f" / invalid date-time “{text}”; use ISO 8601, e.g. 2026-09-28T15:00:00+08:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=sla.SHANGHAI)  # documented: naive means Beijing time
    return moment


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise _fail(
            f"日期“{text}”无效，应为 YYYY-MM-DD / invalid date “{text}”; use YYYY-MM-DD"
        ) from None


@app.command()
def deadline(
    received: str = typer.Option(
        ..., help="接收时间 ISO 8601（无时区按北京时间）/ received at, ISO 8601 (naive = +08:00)"
    ),
    working_days: int = typer.Option(10, help="工作日数 / working days"),
) -> None:
    """Print the deadline: end of the N-th working day after the day of receipt. 计算办理时限。"""
    moment = parse_moment(received)
    if not 1 <= working_days <= MAX_TOTAL_WORKING_DAYS:
        raise _fail(
            f"工作日数应在1到{MAX_TOTAL_WORKING_DAYS}之间 / working days must be between 1 and"
            f" {MAX_TOTAL_WORKING_DAYS}"
        )
    calendar = _calendar()
    due = sla.due_after(moment, working_days, calendar)
    typer.echo(due.isoformat())
    _warn_unknown(calendar, list(range(sla.local_date(moment).year, due.year + 1)))


@app.command("is-workday")
def is_workday(day: str = typer.Argument(..., help="日期 YYYY-MM-DD / date")) -> None:
    """Print true or false. 是否工作日。"""
    parsed = parse_day(day)
    calendar = _calendar()
    typer.echo("true" if calendar.is_workday(parsed) else "false")
    _warn_unknown(calendar, [parsed.year])


@app.command()
def load(
    file: Path = typer.Argument(..., help="CSV 或 XLSX：date,is_workday[,name] / CSV or XLSX"),
) -> None:
    """Load a holiday table (wins over the package) and recompute open deadlines.
    导入节假日表并重算未办结投诉的办理时限。"""
    try:
        entries = read_holiday_file(file)
    except InvalidInput as exc:
        raise _fail(str(exc)) from None
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.clock.holidays import load_holidays

    container = bootstrap()
    try:
        report = load_holidays(
            container.session_factory,
            entries,
            source=file.name,
            **container.timing(),
        )
    except SQLAlchemyError as exc:
        raise _fail(
            f"数据库不可用，请先运行 complaintdesk db upgrade / database not ready"
            f" (run `complaintdesk db upgrade`): {exc.__class__.__name__}",
            1,
        ) from None
    years = ", ".join(str(y) for y in report.years)
    typer.echo(
        f"已导入 {report.days} 天（休 {report.holidays}，班 {report.workdays}），年份 {years}"
        f" / loaded {report.days} days ({report.holidays} off, {report.workdays} working)"
        f" for {years}"
    )
    typer.echo(
        f"已重算 {report.recomputed} 件未办结投诉的时限，{report.changed} 件有变化"
        f" / recomputed {report.recomputed} open deadlines, {report.changed} changed"
    )


@app.command("list")
def list_days(year: int | None = typer.Option(None, help="年份 / year")) -> None:
    """Show the loaded holiday table. 显示已导入的节假日表。"""
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.clock.holidays import loaded_days

    container = bootstrap()
    with container.session_factory() as session:
        rows = loaded_days(session, year)
    if not rows:
        typer.echo("尚未导入节假日表 / no holiday table loaded")
    for row in rows:
        kind = "班 workday" if row.is_workday else "休 holiday"
        typer.echo(f"{row.day.isoformat()}  {kind}  {row.name}")
