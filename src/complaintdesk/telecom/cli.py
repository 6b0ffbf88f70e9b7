"""`complaintdesk telecom …`: knowledge imports, the account stand-in, metrics, demo."""

from __future__ import annotations

import threading
from datetime import timedelta
from fractions import Fraction
from pathlib import Path

import typer

from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.kernel.figures import format_percent

app = typer.Typer(help="电信投诉预处理 / telecom pre-processing", no_args_is_help=True)


@app.command("import")
def import_knowledge(
    kind: str = typer.Argument(..., help="alarms | blind-spots | scripts"),
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help=".csv 或 / or .xlsx"),
) -> None:
    """Import base-station alarms, blind spots or scripts from CSV/Excel. 导入知识库。"""
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.telecom import knowledge as kb

    container = bootstrap()
    try:
        with container.uow() as uow:
            result = kb.import_file(
                uow,
                None,
                kind,
                path.read_bytes(),
                path.name,
                container.clock.now(),
                root_code=container.settings.telecom_root_unit,
            )
    except InvalidInput as exc:
        typer.echo(f"导入失败，未保存任何数据 / import refused, nothing stored: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"新增 created: {result.created}; 更新 updated: {result.updated}")


def print_report(report: object) -> None:
    from complaintdesk.demo.telecom import TelecomDemoReport

    assert isinstance(report, TelecomDemoReport)
    typer.echo(f"电信单位 telecom units: {report.units}; 知识库 knowledge: {report.knowledge}")
    typer.echo(f"新投诉 complaints filed: {report.filed} (已存在 already there: {report.skipped})")
    for outcome, count in sorted(report.outcomes.items()):
        typer.echo(f"  {outcome}: {count}")
    m = report.metrics
    if m is not None:
        typer.echo(
            f"近10天 last 10 days: {m.total} 张工单 tickets; 一级解决 level 1: {m.level1};"
            f" 二级解决 level 2: {m.level2}; 派市分公司 to branches: {m.to_branch}"
            f" (已认定 judged {m.branch_judged}, 待认定 pending {m.branch_pending})"
        )
        typer.echo(f"预处理成功率 pre-processing success rate: {_pct(m.success_rate)}")
        typer.echo(f"派单准确率 dispatch accuracy: {_pct(m.dispatch_accuracy)}")
    typer.echo(f"闭环复核队列 48-hour review queue: {report.review_queue}")
    typer.echo(
        "演示账号 demo users: tc-operator, tc-support, tc-callback, tc-branch-a/b/e"
        " / 密码 password: demo12345"
    )


def _pct(value: Fraction | None) -> str:
    return "—（无数据 / no data）" if value is None else format_percent(value)


@app.command()
def metrics(
    days: int = typer.Option(30, min=1, help="最近N天的工单 / tickets of the last N days"),
    period: str | None = typer.Option(
        None, help="某月（YYYY-MM），代替 --days / a calendar month instead of --days"
    ),
) -> None:
    """Pre-processing success rate and dispatch accuracy from the records. 预处理指标。

    The same counting as GET /api/v1/kpis/telecom: tickets received, and dispatches to
    city branches, in the span; branch tickets without a verdict count in the accuracy.
    """
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.evaluation.service import Period
    from complaintdesk.telecom import preprocessing as pre

    try:
        month = Period.parse(period) if period is not None else None
    except InvalidInput as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    container = bootstrap()
    with container.uow() as uow:
        if month is not None:
            m = pre.metrics(uow, None, period=month)
        else:
            m = pre.metrics(uow, None, received_from=container.clock.now() - timedelta(days=days))
    typer.echo(
        f"工单 tickets: {m.total}; 一级 level 1: {m.level1}; 二级 level 2: {m.level2};"
        f" 派市分公司 to branches: {m.to_branch}"
        f" (已认定 judged {m.branch_judged}, 待认定 pending {m.branch_pending})"
    )
    typer.echo(f"预处理成功率 success rate: {_pct(m.success_rate)}")
    typer.echo(f"派单准确率 dispatch accuracy: {_pct(m.dispatch_accuracy)}")


@app.command()
def standin(
    data: Path = typer.Argument(..., exists=True, dir_okay=False, help=".json 或 / or .csv"),
    port: int = typer.Option(8701, min=0, max=65535, help="端口 / port (127.0.0.1 only)"),
) -> None:
    """Serve canned CRM/prepaid/AAA/HLR states on 127.0.0.1 until Ctrl-C. 本地模拟账户系统。"""
    from complaintdesk.telecom.standin import StandIn, load_states

    try:
        states = load_states(data)
    except InvalidInput as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    server = StandIn(states, port).start()
    typer.echo(f"模拟系统已启动 stand-in serving at {server.base_url}/{{crm,prepaid,aaa,hlr}}")
    typer.echo(f"COMPLAINTDESK_TELECOM_CRM_URL={server.base_url}/crm  (…PREPAID/AAA/HLR_URL)")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
