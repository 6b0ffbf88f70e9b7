"""Administration of staff users over HTTP: create, reset a password, disable. Admins only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from complaintdesk.complaints import schemas_decisions as h
from complaintdesk.http.deps import ActorDep, ContainerDep, UowDep
from complaintdesk.org import auth
from complaintdesk.org.auth import require_role

router = APIRouter(prefix="/api/v1/admin", tags=["admin 管理"])


@router.post("/users", status_code=201, summary="新建用户 / create a user")
def create_user(
    body: h.UserCreateIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    require_role(actor)
    user = auth.register_user(
        uow,
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        roles=body.roles,
        unit_code_or_id=str(body.unit_id),
        now=container.clock.now(),
        by=actor.user_id,
    )
    return {"id": user.id, "username": user.username}


@router.post("/users/{username}/reset-password", summary="重置密码 / reset a password")
def reset_password(
    username: str, body: h.PasswordIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    require_role(actor)
    auth.reset_password(uow, username, body.password, now=container.clock.now(), by=actor.user_id)
    return {"username": username, "reset": True}


@router.post("/users/{username}/disable", summary="停用账号 / disable an account")
def disable(username: str, actor: ActorDep, uow: UowDep, container: ContainerDep) -> dict[str, Any]:
    require_role(actor)
    auth.disable_user(uow, username, now=container.clock.now(), by=actor.user_id)
    return {"username": username, "active": False}
