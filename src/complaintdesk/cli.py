"""The `complaintdesk` command. Each command group lives in its own module."""

from __future__ import annotations

import sys
from pathlib import Path

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
    proxy_headers: bool | None = typer.Option(
        None,
        "--proxy-headers/--no-proxy-headers",
        help="信任反向代理的 X-Forwarded-For/-Proto（默认取 COMPLAINTDESK_PROXY_HEADERS）"
        " / trust X-Forwarded-For/-Proto from the proxy (default: COMPLAINTDESK_PROXY_HEADERS)",
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        help="可信代理地址，逗号分隔，或 *（默认取 COMPLAINTDESK_FORWARDED_ALLOW_IPS）"
        " / trusted proxy addresses, comma-separated, or *"
        " (default: COMPLAINTDESK_FORWARDED_ALLOW_IPS)",
    ),
) -> None:
    """Serve the web UI and API. 启动服务。"""
    import os

    import uvicorn

    from complaintdesk.audit.keys import load_key
    from complaintdesk.config import get_settings

    # The worker processes build their app from the environment: the options go there.
    if proxy_headers is not None:
        os.environ["COMPLAINTDESK_PROXY_HEADERS"] = "1" if proxy_headers else "0"
    if forwarded_allow_ips is not None:
        os.environ["COMPLAINTDESK_FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
    get_settings.cache_clear()
    try:
        settings = get_settings()
        settings.check_for_serving()
        load_key(settings.audit_key_file, settings.secret_key)  # before any worker starts
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    if settings.proxy_headers:
        typer.echo(
            f"信任代理 / trusting proxy headers from: {settings.forwarded_allow_ips}", err=True
        )
    uvicorn.run(
        "complaintdesk.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # The app resolves proxy headers itself (http/edge.py), only when told to: uvicorn's
        # default would trust X-Forwarded-* from 127.0.0.1 whatever the settings say.
        proxy_headers=False,
    )


@app.command()
def demo(
    limit: int | None = typer.Option(None, help="只加载前N条样例投诉 / load only N complaints"),
    telecom: bool = typer.Option(
        False, "--telecom", help="电信预处理演示（代替政务样例）/ the telecom demo instead"
    ),
    model: bool = typer.Option(
        True,
        "--model/--no-model",
        help="用共享数据训练分派模型（约10–30秒）/ train the routing model from the shared data",
    ),
    model_out: Path | None = typer.Option(
        None, "--model-out", help="模型文件 / where to save the routing model"
    ),
) -> None:
    """Load the demo org tree, users, a routing model and real sample complaints. 加载演示数据。"""
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.demo import cli as demo_cli
    from complaintdesk.demo.hotline import DEMO_PASSWORD, run_demo

    container = bootstrap()
    if telecom:
        from complaintdesk.demo.telecom import run_telecom_demo

        telecom_cli.print_report(run_telecom_demo(container))
        return
    report = run_demo(
        container,
        limit=limit,
        train_model=model,
        model_path=model_out,
        progress=lambda line: typer.echo(line, err=True),
    )
    typer.echo(f"单位 units: {report.units}; 新用户 new users: {report.users}")
    demo_cli.print_model(report)
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
    demo_cli.print_clock(report)
    typer.echo(
        f"演示账号 demo users: admin, operator, dispatcher, leader, supervisor, callback, "
        f"handler-housing, … / 密码 password: {DEMO_PASSWORD}"
    )


def main() -> None:
    from complaintdesk.audit.keys import AuditKeyError

    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except AuditKeyError as exc:  # a start-up error of any command that opens the database
        print(exc, file=sys.stderr)
        sys.exit(2)
