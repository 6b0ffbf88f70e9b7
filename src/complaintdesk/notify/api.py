"""The notification outbox for admins: list the messages, retry a failed one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from complaintdesk.http.deps import ActorDep, ContainerDep, DbId, UowDep
from complaintdesk.kernel.errors import PermissionDenied
from complaintdesk.notify import outbox
from complaintdesk.org.model import Actor

router = APIRouter(tags=["outbox 通知"])


class OutboxOut(BaseModel):
    id: int
    channel: str
    recipient: str
    subject: str
    complaint_id: int | None
    dedup_key: str | None
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("仅管理员可查看通知发件箱 / only admins may see the outbox")


@router.get("/api/v1/outbox", response_model=list[OutboxOut], summary="通知发件箱 / outbox")
def list_outbox(
    actor: ActorDep,
    uow: UowDep,
    state: str | None = None,
    complaint_id: DbId | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    _admin(actor)
    rows = outbox.list_messages(uow.session, state=state, complaint_id=complaint_id, limit=limit)
    return [outbox.as_dict(r) for r in rows]


@router.post(
    "/api/v1/outbox/{message_id}/retry",
    response_model=OutboxOut,
    summary="重新发送失败的通知 / queue a failed notification again",
)
def retry_outbox(
    message_id: DbId, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    _admin(actor)
    row = outbox.retry_now(uow.session, message_id, container.clock.now())
    uow.commit()
    return outbox.as_dict(row)
