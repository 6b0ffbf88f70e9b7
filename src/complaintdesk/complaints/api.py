"""Complaint endpoints: file, list, read, timeline, and one endpoint per action."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from complaintdesk.complaints import schemas as s
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.actions import ACTION_ROUTES
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.queries import ComplaintFilter, ComplaintQueries
from complaintdesk.complaints.views import (
    _view,
    _view_if_visible,
    action_out,
    file_command,
    record_read,
    showed_personal_data,
)
from complaintdesk.complaints.vocabulary import Action, Status
from complaintdesk.http.deps import (
    ActorDep,
    ContainerDep,
    Day,
    DbId,
    IdempotencyHeader,
    UowDep,
    cursor_id,
)
from complaintdesk.intake import service as intake
from complaintdesk.kernel.errors import InvalidInput

router = APIRouter(prefix="/api/v1/complaints", tags=["complaints 投诉"])


@router.post("", status_code=201, response_model=s.FiledOut, summary="登记投诉 / file")
def file_complaint(
    body: s.ComplaintIn,
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
    response: Response,
    idempotency_key: IdempotencyHeader = None,
) -> s.FiledOut:
    result = intake.register_in(
        container,
        uow,
        intake.Intake(complaint=file_command(body)),
        actor=actor,
        idempotency=intake.IdempotencyKey.of(
            f"user:{actor.user_id}:file", idempotency_key, body.model_dump(mode="json")
        ),
    )
    if result.replayed:
        response.status_code = 200
    return s.FiledOut(
        id=result.id,
        tracking_no=result.tracking_no,
        query_code=result.query_code,
        complaint=_view_if_visible(uow, container, actor, result.id),
    )


def _parse_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    parsed = cursor_id(cursor)
    if parsed is None:
        raise InvalidInput("分页游标无效 / invalid cursor")
    return parsed


def _parse_statuses(values: list[str] | None) -> list[Status] | None:
    if not values:
        return None
    try:
        return [Status(v) for item in values for v in item.split(",") if v]
    except ValueError as exc:
        valid = ", ".join(st.value for st in Status)
        raise InvalidInput(f"未知状态 / unknown status; valid: {valid}") from exc


@router.get("", response_model=s.ComplaintPage, summary="投诉列表 / list")
def list_complaints(
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
    status: Annotated[list[str] | None, Query()] = None,
    unit_id: DbId | None = None,
    category: str | None = None,
    importance: str | None = None,
    received_from: Day | None = None,
    received_to: Day | None = None,
    overdue: bool | None = None,
    tracking_no: str | None = None,
    overdue_level: Annotated[int | None, Query(ge=0, le=3)] = None,
    unrouted: Annotated[
        bool | None, Query(description="派单队列：尚未确定业务类别 / awaiting a department")
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> s.ComplaintPage:
    queries = ComplaintQueries(uow.session)
    now = container.clock.now()
    rows = queries.page(
        actor,
        ComplaintFilter(
            status=_parse_statuses(status),
            unit_id=unit_id,
            category=category,
            importance=importance,
            received_from=received_from,
            received_to=received_to,
            overdue=overdue,
            tracking_no=tracking_no,
            overdue_level=overdue_level,
            unrouted=unrouted,
        ),
        limit=limit + 1,
        before_id=_parse_cursor(cursor),
        now=now,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    views = queries.views(actor, rows, now=now)
    page = s.ComplaintPage(
        items=[s.ComplaintOut(**v) for v in views],
        next_cursor=str(rows[-1].id) if more and rows else None,
    )
    shown = [v["id"] for v in views if showed_personal_data(v)]
    record_read(uow.session, actor, "list_complaints", shown, at=now, path="/api/v1/complaints")
    uow.commit()
    return page


@router.get("/{complaint_id}", response_model=s.ComplaintOut, summary="投诉详情 / read")
def get_complaint(
    complaint_id: DbId, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> s.ComplaintOut:
    view = _view(uow, container, actor, complaint_id)
    path = f"/api/v1/complaints/{complaint_id}"
    now = container.clock.now()
    record_read(uow.session, actor, "read_complaint", [complaint_id], at=now, path=path)
    uow.commit()
    return view


@router.get("/{complaint_id}/events", response_model=list[s.EventOut], summary="时间线 / timeline")
def timeline(
    complaint_id: DbId, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> list[s.EventOut]:
    events = [s.EventOut(**e) for e in ComplaintQueries(uow.session).timeline(actor, complaint_id)]
    path = f"/api/v1/complaints/{complaint_id}/events"
    now = container.clock.now()
    record_read(uow.session, actor, "read_timeline", [complaint_id], at=now, path=path)
    uow.commit()
    return events


@router.post(
    "/{complaint_id}/appeal",
    status_code=201,
    response_model=s.FiledOut,
    summary="申诉（上一级立案）/ appeal to the next level up",
)
def appeal(
    complaint_id: DbId, body: s.AppealIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> s.FiledOut:
    # The old case must be visible to the actor before anything else is said about it.
    ComplaintQueries(uow.session).get_row(actor, complaint_id)
    filed = svc.appeal(
        uow,
        complaint_id,
        reason=body.reason,
        actor=actor,
        **container.timing(),
    )
    return s.FiledOut(
        id=filed.id,
        tracking_no=filed.tracking_no,
        query_code=filed.query_code,
        complaint=_view_if_visible(uow, container, actor, filed.id),
    )


@router.post(
    "/{complaint_id}/reveal-identity", summary="查看投诉人身份（记录在案）/ reveal identity"
)
def reveal_identity(
    complaint_id: DbId, body: s.RevealIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    ComplaintQueries(uow.session).get_row(actor, complaint_id)
    person = svc.reveal_identity(
        uow, actor, complaint_id, reason=body.reason, now=container.clock.now()
    )
    return {"complainant": person}


def _action_route(action: Action, path: str, body_type: type[BaseModel], summary: str) -> None:
    def endpoint(
        complaint_id: DbId,
        body: body_type,  # type: ignore[valid-type]
        actor: ActorDep,
        uow: UowDep,
        container: ContainerDep,
    ) -> s.ActionOut:
        params = body.model_dump(exclude={"expected_version"})  # type: ignore[attr-defined]
        complaint = svc.perform(
            uow,
            actor,
            complaint_id,
            command_for(action, params),
            **container.timing(),
            expected_version=body.expected_version,  # type: ignore[attr-defined]
        )
        return action_out(uow, container, actor, complaint)

    endpoint.__name__ = f"complaint_{action.value}"
    # Annotations are strings under `from __future__ import annotations`; the body type
    # is a closure variable FastAPI cannot resolve by name, so give it the class itself.
    endpoint.__annotations__["body"] = body_type
    router.add_api_route(
        f"/{{complaint_id}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=s.ActionOut,
        summary=summary,
    )


for _action, _path, _body, _summary in ACTION_ROUTES:
    _action_route(_action, _path, _body, _summary)
