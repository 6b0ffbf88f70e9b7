"""`complaintdesk worker` (the sweep and outbox delivery) and `complaintdesk outbox …`."""

from __future__ import annotations

import logging
import time

import typer

from complaintdesk.clock.ladder import LISTING_AFTER_WORKING_DAYS

worker_app = typer.Typer(help="后台任务：催办/督办扫描与通知发送 / sweep and deliver")


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
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.clock.sweep import run_cycle
    from complaintdesk.notify.registry import build_registry

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    clock = None
    if now is not None:
        from complaintdesk.clock.cli import parse_moment
        from complaintdesk.kernel.time import FixedClock

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
