"""FastAPI dependencies: the container, a unit of work per request, the acting user."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Annotated

from annotated_types import Ge, Le
from fastapi import Depends, Header, Request

from complaintdesk.bootstrap import Container
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.ids import BIGINT_MAX
from complaintdesk.org import auth
from complaintdesk.org.model import Actor

# A database id in a path or query: 1 … BIGINT_MAX, anything else is a bilingual 422.
DbId = Annotated[int, Ge(1), Le(BIGINT_MAX)]
# A calendar day in a query: years a clerk could mean. Outside them the conversion to a
# Shanghai-time instant overflows (0001-01-01 is before year 1 in UTC).
Day = Annotated[date, Ge(date(1900, 1, 1)), Le(date(2999, 12, 31))]


def cursor_id(value: str) -> int | None:
    """A keyset cursor (the last id seen) from text; None unless it is a valid id."""
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 1 <= number <= BIGINT_MAX else None


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_uow(container: ContainerDep) -> Iterator[SqlUnitOfWork]:
    with container.uow() as uow:
        yield uow


UowDep = Annotated[SqlUnitOfWork, Depends(get_uow)]


def bearer_token(authorization: Annotated[str | None, Header()] = None) -> str:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise auth.AuthenticationFailed("请先登录 / sign in first (Authorization: Bearer …)")
    return authorization.split(" ", 1)[1].strip()


def current_actor(
    container: ContainerDep, uow: UowDep, token: Annotated[str, Depends(bearer_token)]
) -> Actor:
    return auth.authenticate(uow, token, now=container.clock.now())


ActorDep = Annotated[Actor, Depends(current_actor)]

# The client's key for a filing: a retry with the same value files nothing new.
IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="重试时携带同一值，不会重复登记 / the same value on a retry files nothing new",
    ),
]
