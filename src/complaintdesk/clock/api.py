"""Supervision by hand (催办/督办/挂牌督办): one endpoint per step of the ladder."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from complaintdesk.clock.sweep import supervise_by_hand
from complaintdesk.complaints import schemas as s
from complaintdesk.complaints.views import action_out
from complaintdesk.complaints.vocabulary import Action
from complaintdesk.http.deps import ActorDep, ContainerDep, DbId, UowDep

router = APIRouter(tags=["supervision 督办"])


class SupervisionIn(s.ActionIn):
    reason: str = Field("", max_length=2000, description="督办意见 / what is asked of the unit")


def _supervision_route(action: Action, path: str, summary: str) -> None:
    def endpoint(
        complaint_id: DbId,
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
            **container.timing(),
            expected_version=body.expected_version,
        )
        return action_out(uow, container, actor, complaint)

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
