"""`complaintdesk audit verify|anchor|rekey` — the keyed chain of the audit log.

Exit codes: 0 intact (or done), 1 the chain is broken, 2 bad input (an anchor file that is
missing or not one `audit anchor` printed, an unusable key file).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from complaintdesk.audit.rules import Anchor
    from complaintdesk.bootstrap import Container

app = typer.Typer(help="审计日志 / audit log", no_args_is_help=True)

EXIT_TAMPERED = 1
EXIT_BAD_INPUT = 2


def _container() -> Container:
    from complaintdesk.audit.keys import AuditKeyError
    from complaintdesk.bootstrap import bootstrap

    try:
        return bootstrap()
    except AuditKeyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def _read_anchor(path: Path) -> Anchor:
    from complaintdesk.audit import service as audit

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(
            f"无法读取锚点文件 {path}：{exc} / cannot read the anchor file {path}: {exc}",
            err=True,
        )
        raise typer.Exit(EXIT_BAD_INPUT) from None
    try:
        return audit.parse_anchor(text.strip())
    except audit.BadAnchor as exc:
        typer.echo(f"锚点文件 {path} 无效 / bad anchor file {path}: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@app.command()
def verify(
    anchor: Path | None = typer.Option(
        None,
        "--anchor",
        help="`audit anchor` 输出的锚点文件 / an anchor file printed by `audit anchor`",
    ),
) -> None:
    """Walk the chain; name the first edited, inserted, deleted or unreadable entry. 校验审计链。"""
    from complaintdesk.audit import service as audit

    pinned = _read_anchor(anchor) if anchor is not None else None
    container = _container()
    with container.uow() as uow:
        verdict = audit.verify(uow, pinned)
    if verdict.ok:
        typer.echo(verdict.message)
        return
    typer.echo(f"审计链被篡改 / audit chain broken: {verdict.message}", err=True)
    raise typer.Exit(EXIT_TAMPERED)


@app.command()
def anchor(
    out: Path | None = typer.Option(
        None, "--out", help="写入此文件而非标准输出 / write to this file instead of stdout"
    ),
) -> None:
    """Print the verified head as one JSON line, to keep outside the database. 输出链头锚点。"""
    from complaintdesk.audit import service as audit

    container = _container()
    with container.uow() as uow:
        verdict, pinned = audit.anchor(uow, now=container.clock.now())
    if pinned is None:
        typer.echo(
            f"审计链被篡改，不予锚定 / audit chain broken, not anchored: {verdict.message}",
            err=True,
        )
        raise typer.Exit(EXIT_TAMPERED)
    if out is None:
        typer.echo(pinned.line())
        return
    try:
        out.write_text(pinned.line() + "\n", encoding="utf-8")
    except OSError as exc:
        typer.echo(f"无法写入 {out}：{exc} / cannot write {out}: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    typer.echo(f"锚点已写入 {out} / anchor written to {out}: {pinned.line()}")


@app.command()
def rekey() -> None:
    """Re-seal a chain from before keyed sealing with the key, once. 以密钥重新封存旧审计链。"""
    from complaintdesk.audit import service as audit

    container = _container()
    with container.uow() as uow:
        done = audit.rekey(uow, now=container.clock.now())
    if not done.ok:
        typer.echo(done.message, err=True)
        raise typer.Exit(EXIT_TAMPERED)
    typer.echo(done.message)


@app.callback()
def _group() -> None:
    """审计日志 / audit log."""
