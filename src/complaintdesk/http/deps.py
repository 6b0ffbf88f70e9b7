"""FastAPI dependencies: the container, a unit of work per request, the acting user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request

from complaintdesk.bootstrap import Container
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.org import auth
from complaintdesk.org.model import Actor


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
