"""What ``complaintdesk demo`` prints about the routing model and the statutory clock."""

from __future__ import annotations

import typer

from complaintdesk.demo.hotline import DemoReport


def print_model(report: DemoReport) -> None:
    model = report.model
    note = report.model_note
    if model is not None:
        how = (
            f"训练 trained on {model.rows} rows in {model.seconds:.1f} s"
            if model.trained
            else f"沿用 reused (same {model.rows} rows)"
        )
        f1 = f", out-of-fold macro-F1 {model.macro_f1:.3f}" if model.macro_f1 is not None else ""
        typer.echo(f"分派模型 routing model: {how}{f1} → {model.path}")
        typer.echo(
            f"  启用 switch it on: COMPLAINTDESK_TRIAGE_MODEL={model.path}"
            " complaintdesk serve (make run does)"
        )
    elif note.startswith("configured"):
        typer.echo(f"分派模型 routing model: 使用已配置的模型 using the {note} model")
    elif note == "skipped":
        typer.echo("分派模型 routing model: 已跳过 skipped (--no-model); no routing suggestions")
    else:
        typer.echo(
            f"未训练分派模型：{note}，登记时不会有分派建议"
            f" / no routing model trained ({note}): complaints get no routing suggestions",
            err=True,
        )


def print_clock(report: DemoReport) -> None:
    replay = report.replay
    if replay is not None and replay.sweeps:
        typer.echo(
            f"时限巡检 sweeps of the past {replay.sweeps} days: 催办 reminded {replay.reminded},"
            f" 督办 supervised {replay.supervised}, 挂牌督办 listed {replay.listed},"
            f" 通知 notices queued {replay.notices}"
        )
    swept = report.sweep
    if swept is not None:
        typer.echo(
            f"现在巡检 sweep now: 催办 {swept.reminded}, 督办 {swept.supervised},"
            f" 挂牌督办 {swept.listed}, 通知 notices {swept.notices}"
        )
