"""`complaintdesk worker` (the sweep and outbox delivery) and `complaintdesk outbox …`."""

from __future__ import annotations

import logging
import time

import typer

from complaintdesk.domain.supervision import LISTING_AFTER_WORKING_DAYS

worker_app = typer.Typer(help="后台任务：催办/督办扫描与通知发送 / sweep and deliver")
outbox_app = typer.Typer(help="通知发件箱 / notification outbox", no_args_is_help=True)


@worker_app.callback(invoke_without_command=True)
def run(
    once: bool = typer.Option(False, "--once", help="只运行一轮 / run one cycle and exit"),
    interval: float = typer.Option(60.0, min=1.0, help="轮询间隔（秒）/ seconds between cycles"),
    batch: int = typer.Option(100, min=1, max=10_000, help="每批条数 / rows per batch"),
    reminder_days: int | None = typer.Option(
        None, min=0, max=10, help="到期前N个工作日催办（默认取配置）/ remind N working days before"
    ),
    listing_days: int = typer.Option(
        LISTING_AFTER_WORKING_DAYS,
        min=1,
        max=30,
        help="逾期N个工作日后挂牌督办 / list after N overdue working days",
    ),
    now: str | None = typer.Option(
        None,
        help="按指定时刻运行（演示与核对用，ISO 8601）/ run as if it were this moment (demos,"
        " checks); implies --once",
    ),
) -> None:
    """Run the sweep (催办/督办/挂牌督办) and deliver notifications. 运行后台任务。"""
    from complaintdesk.adapters.notify.registry import build_registry
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.services.sweep import run_cycle

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    clock = None
    if now is not None:
        from complaintdesk.entrypoints.cli.calendar import parse_moment
        from complaintdesk.services.clock import FixedClock

        clock = FixedClock(parse_moment(now))
        once = True
    container = bootstrap(clock=clock)
    registry = build_registry(container.settings)
    while True:
        report = run_cycle(
            container,
            registry,
            reminder_working_days=reminder_days,
            listing_working_days=listing_days,
            batch=batch,
        )
        s, d = report.sweep, report.delivery
        typer.echo(
            f"催办 reminded {s.reminded} · 督办 supervised {s.supervised} · 挂牌 listed {s.listed}"
            f" · 通知 queued {s.notices} · 已发 sent {d.sent} · 重试 retry {d.retried}"
            f" · 失败 failed {d.failed}"
        )
        if once:
            return
        time.sleep(interval)


@outbox_app.command("list")
def list_messages(
    state: str | None = typer.Option(None, help="pending / sent / failed"),
    complaint_id: int | None = typer.Option(None, "--complaint", help="投诉ID / complaint id"),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """Show queued, sent and failed notifications. 查看通知及失败原因。"""
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.domain.errors import InvalidInput
    from complaintdesk.services import outbox

    container = bootstrap()
    with container.session_factory() as session:
        try:
            rows = outbox.list_messages(
                session, state=state, complaint_id=complaint_id, limit=limit
            )
        except InvalidInput as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        totals = outbox.counts(session)
    typer.echo(" · ".join(f"{k}: {v}" for k, v in sorted(totals.items())) or "空 / empty")
    for row in rows:
        typer.echo(
            f"#{row.id} {row.state:<7} {row.channel:<5} {row.recipient} attempts={row.attempts}"
            f" next={row.next_attempt_at.isoformat(timespec='seconds')} {row.subject}"
            + (f"\n    last_error: {row.last_error}" if row.last_error else "")
        )


@outbox_app.command("retry")
def retry(message_id: int = typer.Argument(..., help="通知ID / message id")) -> None:
    """Queue a failed notification again. 重新发送失败的通知。"""
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.domain.errors import DomainError
    from complaintdesk.services import outbox

    container = bootstrap()
    with container.session_factory() as session:
        try:
            outbox.retry_now(session, message_id, container.clock.now())
        except DomainError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        session.commit()
    typer.echo(f"通知 #{message_id} 已重新排队 / message #{message_id} queued again")
