"""`complaintdesk worker` (the sweep and outbox delivery) and `complaintdesk outbox …`."""

from __future__ import annotations

import typer

outbox_app = typer.Typer(help="通知发件箱 / notification outbox", no_args_is_help=True)


@outbox_app.command("list")
def list_messages(
    state: str | None = typer.Option(None, help="pending / sent / failed"),
    complaint_id: int | None = typer.Option(None, "--complaint", help="投诉ID / complaint id"),
    limit: int = typer.Option(50, min=1, max=1000),
) -> None:
    """Show queued, sent and failed notifications. 查看通知及失败原因。"""
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.kernel.errors import InvalidInput
    from complaintdesk.notify import outbox

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
    from complaintdesk.kernel.errors import DomainError
    from complaintdesk.notify import outbox

    container = bootstrap()
    with container.session_factory() as session:
        try:
            outbox.retry_now(session, message_id, container.clock.now())
        except DomainError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        session.commit()
    typer.echo(f"通知 #{message_id} 已重新排队 / message #{message_id} queued again")
