"""Supervision by hand (催办/督办/挂牌督办) and the notification outbox for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from complaintdesk.domain.errors import PermissionDenied
from complaintdesk.domain.model import Action
from complaintdesk.domain.org import Actor
from complaintdesk.entrypoints.api import schemas as s
from complaintdesk.entrypoints.api.complaints import _view_if_visible
from complaintdesk.entrypoints.api.deps import ActorDep, ContainerDep, UowDep
from complaintdesk.services import outbox
from complaintdesk.services.sweep import supervise_by_hand

router = APIRouter(tags=["supervision 督办"])


class SupervisionIn(s.ActionIn):
    reason: str = Field("", max_length=2000, description="督办意见 / what is asked of the unit")


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


def _supervision_route(action: Action, path: str, summary: str) -> None:
    def endpoint(
        complaint_id: int,
        body: SupervisionIn,
        actor: ActorDep,
        uow: UowDep,
        container: ContainerDep,
    ) -> s.ActionOut:
        complaint = supervise_by_hand(
            uow,
            actor,
            complaint_id,
            action,
            reason=body.reason,
            now=container.clock.now(),
            calendar=container.calendar,
            expected_version=body.expected_version,
        )
        return s.ActionOut(
            id=complaint_id,
            status=complaint.status.value,
            version=complaint.version,
            complaint=_view_if_visible(uow, container, actor, complaint_id),
        )

    endpoint.__name__ = f"complaint_{action.value}"
    router.add_api_route(
        f"/api/v1/complaints/{{complaint_id}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=s.ActionOut,
        summary=summary,
    )


SUPERVISION_ROUTES = [
    (Action.REMIND, "remind", "催办 / remind before the deadline"),
    (Action.SUPERVISE, "supervise", "督办 / supervise"),
    (Action.LIST_SUPERVISION, "list-supervision", "挂牌督办 / list for supervision"),
]
for _action, _path, _summary in SUPERVISION_ROUTES:
    _supervision_route(_action, _path, _summary)


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("仅管理员可查看通知发件箱 / only admins may see the outbox")


@router.get("/api/v1/outbox", response_model=list[OutboxOut], summary="通知发件箱 / outbox")
def list_outbox(
    actor: ActorDep,
    uow: UowDep,
    state: str | None = None,
    complaint_id: int | None = None,
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
    message_id: int, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    _admin(actor)
    row = outbox.retry_now(uow.session, message_id, container.clock.now())
    uow.commit()
    return outbox.as_dict(row)
