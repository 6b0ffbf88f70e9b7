"""`complaintdesk db …`: schema migrations."""

from __future__ import annotations

import typer

from complaintdesk.config import get_settings
from complaintdesk.db import migrate

app = typer.Typer(help="数据库迁移 / database migrations", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("heads")) -> None:
    """Upgrade the schema (default: to the newest). 升级数据库结构。"""
    migrate.upgrade(get_settings().database_url, revision)
    typer.echo(f"数据库已升级到 {revision} / database upgraded to {revision}")


@app.command()
def downgrade(revision: str) -> None:
    """Downgrade the schema to REVISION. 回退数据库结构。"""
    migrate.downgrade(get_settings().database_url, revision)


@app.command()
def current() -> None:
    """Show the schema revision. 显示当前版本。"""
    migrate.current(get_settings().database_url)


@app.command()
def revision(message: str = typer.Option(..., "-m", "--message")) -> None:
    """Autogenerate a migration from the tables (developers). 生成迁移脚本。"""
    migrate.revision(get_settings().database_url, message)
