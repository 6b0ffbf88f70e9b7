"""`complaintdesk audit verify` — check the hash chain of the audit log."""

from __future__ import annotations

import typer

app = typer.Typer(help="审计日志 / audit log", no_args_is_help=True)

EXIT_TAMPERED = 1


@app.command()
def verify() -> None:
    """Walk the chain; name the first edited, inserted or deleted entry. 校验审计链。"""
    from complaintdesk.audit import service as audit
    from complaintdesk.bootstrap import bootstrap

    container = bootstrap()
    with container.uow() as uow:
        verdict = audit.verify(uow)
    if verdict.ok:
        typer.echo(verdict.message)
        return
    typer.echo(f"审计链被篡改 / audit chain broken: {verdict.message}", err=True)
    raise typer.Exit(EXIT_TAMPERED)


@app.callback()
def _group() -> None:
    """审计日志 / audit log."""
