"""The `complaintdesk` command. Each command group lives in its own module."""

from __future__ import annotations

import sys

import typer

from complaintdesk import __version__
from complaintdesk.audit import cli as audit_cli
from complaintdesk.clock import cli as calendar_cli
from complaintdesk.clock import worker_cli
from complaintdesk.db import cli as db_cli
from complaintdesk.evaluation import cli as competency_cli
from complaintdesk.intake import cli as intake_cli
from complaintdesk.notify import cli as outbox_cli
from complaintdesk.org import cli as users_cli
from complaintdesk.telecom import cli as telecom_cli
from complaintdesk.triage import cli as model_cli

app = typer.Typer(
    name="complaintdesk",
    help="complaintdesk — 投诉处理系统 / complaint handling system",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_cli.app, name="db")
app.command("import")(intake_cli.import_file)
app.add_typer(intake_cli.mail_app, name="mail")
app.add_typer(competency_cli.app, name="competency")
app.add_typer(calendar_cli.app, name="calendar")
app.add_typer(worker_cli.worker_app, name="worker")
app.add_typer(outbox_cli.outbox_app, name="outbox")
app.add_typer(users_cli.app, name="users")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(telecom_cli.app, name="telecom")
app.add_typer(model_cli.app, name="model")


@app.callback()
def _root() -> None:
    """complaintdesk — 投诉处理系统 / complaint handling system."""


@app.command()
def version() -> None:
    """Print the version. 显示版本号。"""
    typer.echo(__version__)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="监听地址 / address to listen on"),
    port: int = typer.Option(8000, help="端口 / port"),
    workers: int = typer.Option(1, min=1, help="进程数 / worker processes"),
) -> None:
    """Serve the web UI and API. 启动服务。"""
    import uvicorn

    from complaintdesk.config import get_settings

    try:
        get_settings().check_for_serving()
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    uvicorn.run(
        "complaintdesk.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
    )


@app.command()
def demo(
    limit: int | None = typer.Option(None, help="只加载前N条样例投诉 / load only N complaints"),
    telecom: bool = typer.Option(
        False, "--telecom", help="电信预处理演示（代替政务样例）/ the telecom demo instead"
    ),
) -> None:
    """Load the demo org tree, users and real sample complaints. 加载演示数据。"""
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.demo.hotline import DEMO_PASSWORD, run_demo

    container = bootstrap()
    if telecom:
        from complaintdesk.demo.telecom import run_telecom_demo

        telecom_cli.print_report(run_telecom_demo(container))
        return
    report = run_demo(container, limit=limit)
    typer.echo(f"单位 units: {report.units}; 新用户 new users: {report.users}")
    if report.data_missing:
        typer.echo(
            f"未找到样例数据 {report.data_missing}，仅创建了组织架构"
            f" / sample data not found at {report.data_missing}; started with the org tree"
            " alone (set COMPLAINTDESK_DATA_DIR)",
            err=True,
        )
    typer.echo(
        f"新投诉 complaints loaded: {report.complaints} (已存在 already there: {report.skipped})"
    )
    for status, count in sorted(report.by_status.items()):
        typer.echo(f"  {status}: {count}")
    typer.echo(
        f"演示账号 demo users: admin, operator, dispatcher, leader, supervisor, callback, "
        f"handler-housing, … / 密码 password: {DEMO_PASSWORD}"
    )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
