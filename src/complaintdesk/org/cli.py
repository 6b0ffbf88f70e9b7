"""`complaintdesk users create|reset-password|disable` — staff accounts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from complaintdesk.kernel.errors import DomainError

if TYPE_CHECKING:
    from complaintdesk.db.unit_of_work import SqlUnitOfWork

T = TypeVar("T")

app = typer.Typer(help="工作人员账号 / staff user accounts", no_args_is_help=True)

EXIT_BAD_INPUT = 2


def _password(given: str | None) -> str:
    if given:
        return given
    value: str = typer.prompt("密码 / password", hide_input=True, confirmation_prompt=True)
    return value


def _run(work: Callable[[SqlUnitOfWork, datetime], T]) -> T:
    """Run `work` in one unit of work; a refused change exits 2 with its bilingual message."""
    from complaintdesk.bootstrap import bootstrap

    container = bootstrap()
    try:
        with container.uow() as uow:
            return work(uow, container.clock.now())
    except DomainError as exc:
        typer.echo(f"错误 / error: {exc}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@app.command()
def create(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    unit: Annotated[str, typer.Option("--unit", help="单位代码或编号 / unit code or id")],
    roles: Annotated[
        str,
        typer.Option(
            "--roles",
            help="角色，逗号分隔 / comma-separated roles: intake_operator, dispatcher, handler,"
            " supervisor, callback_auditor, leader, deputy_director, evaluator, admin",
        ),
    ],
    display_name: Annotated[str, typer.Option("--name", help="姓名 / display name")] = "",
    password: Annotated[
        str | None, typer.Option("--password", help="密码（缺省时提示输入）/ password")
    ] = None,
) -> None:
    """Create a staff user. 新建工作人员账号。"""
    from complaintdesk.org import auth

    secret = _password(password)
    user_id = _run(
        lambda uow, now: (
            auth.register_user(
                uow,
                username=username,
                display_name=display_name,
                password=secret,
                roles=roles.split(","),
                unit_code_or_id=unit,
                now=now,
            ).id
        )
    )
    typer.echo(f"已创建用户 / user created: {username} (id {user_id})")


@app.command("reset-password")
def reset_password(
    username: Annotated[str, typer.Argument(help="用户名 / username")],
    password: Annotated[
        str | None, typer.Option("--password", help="新密码（缺省时提示输入）/ new password")
    ] = None,
) -> None:
    """Set a new password, lift a lock-out, sign out every session. 重置密码。"""
    from complaintdesk.org import auth

    secret = _password(password)
    _run(lambda uow, now: auth.reset_password(uow, username, secret, now=now))
    typer.echo(f"密码已重置 / password reset: {username}")


@app.command()
def disable(username: Annotated[str, typer.Argument(help="用户名 / username")]) -> None:
    """Disable an account; its sessions end at once. 停用账号。"""
    from complaintdesk.org import auth

    _run(lambda uow, now: auth.disable_user(uow, username, now=now))
    typer.echo(f"账号已停用 / account disabled: {username}")
