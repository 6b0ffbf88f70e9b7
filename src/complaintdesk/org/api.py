"""Sign-in for the API (bearer tokens) and who-am-I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from complaintdesk.http.deps import ActorDep, ContainerDep, UowDep, bearer_token
from complaintdesk.http.ratelimit import rate_limit
from complaintdesk.org import auth
from complaintdesk.org import schemas as s
from complaintdesk.org.tables import UnitRow

router = APIRouter(prefix="/api/v1", tags=["auth 登录"])


@router.post(
    "/auth/token",
    response_model=s.TokenOut,
    summary="登录 / sign in",
    dependencies=[rate_limit("login")],
)
def sign_in(body: s.TokenIn, uow: UowDep, container: ContainerDep) -> s.TokenOut:
    settings = container.settings
    token, user = auth.login(
        uow,
        body.username,
        body.password,
        now=container.clock.now(),
        ttl_hours=settings.token_ttl_hours,
        max_failures=settings.max_failed_logins,
        lockout_minutes=settings.lockout_minutes,
    )
    actor = auth.actor_for(uow, user)
    return s.TokenOut(
        access_token=token,
        expires_in=settings.token_ttl_hours * 3600,
        user=s.ActorOut(
            id=actor.user_id,
            username=actor.username,
            display_name=actor.display_name,
            roles=sorted(r.value for r in actor.roles),
            unit_id=actor.unit_id,
        ),
    )


@router.post("/auth/logout", status_code=204, summary="退出 / sign out")
def sign_out(uow: UowDep, token: Annotated[str, Depends(bearer_token)]) -> None:
    auth.logout(uow, token)


@router.get("/me", response_model=s.ActorOut, summary="当前用户 / who am I")
def me(actor: ActorDep) -> s.ActorOut:
    return s.ActorOut(
        id=actor.user_id,
        username=actor.username,
        display_name=actor.display_name,
        roles=sorted(r.value for r in actor.roles),
        unit_id=actor.unit_id,
    )


@router.get("/units", response_model=list[s.UnitOut], tags=["org 组织"], summary="单位 / units")
def units(actor: ActorDep, uow: UowDep) -> list[s.UnitOut]:
    """The units the caller may see — its own subtree — and the chain above it (whom it
    reports to); an admin sees the whole tree. A unit never lists its siblings' trees."""
    rows = [
        r
        for r in uow.session.scalars(select(UnitRow).where(UnitRow.active).order_by(UnitRow.path))
        if actor.is_admin or actor.sees(r.path) or actor.unit_path.startswith(r.path)
    ]
    return [
        s.UnitOut(
            id=r.id,
            code=r.code,
            name=r.name,
            level=r.level,
            kind=r.kind,
            category=r.category,
            parent_id=r.parent_id,
            path=r.path,
        )
        for r in rows
    ]
