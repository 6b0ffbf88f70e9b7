"""``complaintdesk import FILE`` and ``complaintdesk mail poll``: the batch intake channels."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import typer

from complaintdesk.kernel.errors import DomainError

mail_app = typer.Typer(help="电子邮件投诉 / e-mail intake", no_args_is_help=True)

MAIL_SUFFIXES = (".eml", ".mbox")


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def import_file(
    file: Path = typer.Argument(..., help=".xlsx / .csv / .eml / .mbox"),
    mapping: str | None = typer.Option(
        None,
        "--map",
        help="列映射 / column mapping, e.g. content=投诉内容,title=标题,time=日期,ref=编号",
    ),
    source: str = typer.Option(
        "import", help="来源名称，用于去重 / source name; external_ref = SOURCE:编号"
    ),
    unit: str | None = typer.Option(None, help="受理单位代码 / receiving unit code"),
    errors: Path | None = typer.Option(
        None, help="错误报告路径 / error report (default ./<name>.errors.csv)"
    ),
    progress: bool = typer.Option(True, help="显示进度条 / show a progress bar on stderr"),
) -> None:
    """Import complaints from a spreadsheet or e-mail file. 批量导入投诉。"""
    from complaintdesk.bootstrap import bootstrap

    if not file.is_file():
        raise _fail(f"文件不存在 / no such file: {file}")
    container = bootstrap()
    if file.suffix.lower() in MAIL_SUFFIXES:
        _import_mail(container, file)
        return
    from complaintdesk.intake import importer

    try:
        unit_id = _unit_id(container, unit)
        table = importer.read_table(file)
        options = importer.ImportOptions(
            mapping=importer.parse_mapping(mapping), source=source, owner_unit_id=unit_id
        )
        if progress:
            with typer.progressbar(
                length=table.total, label="导入 importing", file=_stderr()
            ) as bar:
                state = {"last": 0}

                def advance(done: int) -> None:
                    bar.update(max(done - state["last"], 0))
                    state["last"] = max(done, state["last"])

                report = importer.import_rows(container, table, options, advance)
        else:
            report = importer.import_rows(container, table, options)
    except DomainError as exc:
        raise _fail(str(exc)) from None
    typer.echo(
        f"行数 rows: {report.rows}; 导入 imported: {report.imported}; "
        f"已存在 already present: {report.already_present}; "
        f"文件内重复 duplicate ids in file: {report.duplicates_in_file}; "
        f"重复投诉 repeats linked: {report.repeats}; 错误 errors: {len(report.errors)}"
    )
    typer.echo(
        f"编码 encoding: {report.encoding or 'xlsx'}; 用时 {report.seconds:.1f}s"
        f" ({report.per_second:.0f}/s)"
    )
    if report.errors:
        path = errors or Path.cwd() / f"{file.stem}.errors.csv"
        importer.write_error_report(path, report.errors)
        typer.echo(f"错误报告 error report: {path}", err=True)
        for e in report.errors[:5]:
            typer.echo(f"  第{e.row}行 row {e.row}: {e.reason}", err=True)
        raise _fail(report.message) from None  # all or nothing: the file stored nothing


def _stderr():  # type: ignore[no-untyped-def]
    import sys

    return sys.stderr


def _unit_id(container: object, code: str | None) -> int | None:
    if code is None:
        return None
    from complaintdesk.bootstrap import Container

    assert isinstance(container, Container)
    with container.uow() as uow:
        unit = uow.units.by_code(code)
    if unit is None:
        raise _fail(f"单位代码不存在 / no unit with code {code!r}")
    return unit.id


def _import_mail(container: object, file: Path) -> None:
    from complaintdesk.bootstrap import Container
    from complaintdesk.intake import mail

    assert isinstance(container, Container)
    try:
        results = mail.import_file(container, file)
    except DomainError as exc:
        raise _fail(str(exc)) from None
    _echo_mail(results)


def _echo_mail(results: Sequence[object]) -> None:
    from complaintdesk.intake.mail import MailResult

    counts: dict[str, int] = {}
    for r in results:
        assert isinstance(r, MailResult)
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
        typer.echo(f"  {r.outcome}: {r.tracking_no or '-'} {r.detail}")
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "0"
    typer.echo(f"邮件 messages — {summary}")


@mail_app.command("poll")
def poll(
    host: str = typer.Option("127.0.0.1", envvar="COMPLAINTDESK_IMAP_HOST", help="IMAP host"),
    port: int = typer.Option(993, envvar="COMPLAINTDESK_IMAP_PORT", help="IMAP port"),
    user: str = typer.Option(..., envvar="COMPLAINTDESK_IMAP_USER", help="IMAP user"),
    password: str = typer.Option(
        ..., envvar="COMPLAINTDESK_IMAP_PASSWORD", help="IMAP password", hide_input=True
    ),
    mailbox: str = typer.Option("INBOX", envvar="COMPLAINTDESK_IMAP_MAILBOX"),
    ssl: bool = typer.Option(True, envvar="COMPLAINTDESK_IMAP_SSL", help="IMAP over TLS"),
) -> None:
    """Fetch unseen messages from an IMAP mailbox and file them. 收取邮件投诉。"""
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.intake import mail
    from complaintdesk.intake.imap import ImapMailbox, MailboxError

    container = bootstrap()
    try:
        with ImapMailbox(host, port, user, password, mailbox=mailbox, ssl=ssl) as box:
            results = mail.poll(container, box)
    except MailboxError as exc:
        raise _fail(str(exc)) from None
    _echo_mail(results)
