"""Dispatch decisions that depend on who signs (签批, 提级) and the returns per unit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import schemas as s
from complaintdesk.complaints import schemas_decisions as h
from complaintdesk.complaints.views import _view_if_visible, action_out
from complaintdesk.http.deps import ActorDep, ContainerDep, DbId, UowDep
from complaintdesk.kernel.errors import NotFound

router = APIRouter(prefix="/api/v1", tags=["handling 办理"])


@router.post(
    "/complaints/{complaint_id}/sign-off",
    response_model=s.ActionOut,
    summary="领导签批（自办/转办）/ leader's sign-off",
)
def sign_off(
    complaint_id: DbId, body: h.SignOffIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> s.ActionOut:
    complaint = handling.sign_off(
        uow,
        actor,
        complaint_id,
        mode=body.mode,
        unit_id=body.unit_id,
        opinion=body.opinion,
        **container.timing(),
        expected_version=body.expected_version,
    )
    return action_out(uow, container, actor, complaint)


@router.post(
    "/complaints/{complaint_id}/take-over",
    response_model=s.ActionOut,
    summary="提级办理 / take over a lower level's case",
)
def take_over(
    complaint_id: DbId, body: h.TakeOverIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> s.ActionOut:
    complaint = handling.take_over(
        uow,
        actor,
        complaint_id,
        reason=body.reason,
        **container.timing(),
        expected_version=body.expected_version,
    )
    view = _view_if_visible(uow, container, actor, complaint_id)
    if view is None:  # pragma: no cover - the new owner is the actor's own unit
        raise NotFound(f"投诉 {complaint_id} 不存在 / complaint {complaint_id} not found")
    return s.ActionOut(
        id=complaint_id, status=complaint.status.value, version=complaint.version, complaint=view
    )


@router.get("/returns", summary="退单统计（按单位）/ returns per unit")
def returns(actor: ActorDep, uow: UowDep) -> list[dict[str, Any]]:
    return [r.__dict__ for r in handling.returns_per_unit(uow, actor)]
