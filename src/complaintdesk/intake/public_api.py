"""What the public may do without signing in: file, check progress, appeal (SPEC §1, §3)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response
from sqlalchemy import select

from complaintdesk.complaints import schemas as s
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.views import complainant_from
from complaintdesk.complaints.vocabulary import (
    ACTION_LABELS,
    STATUS_LABELS,
    Action,
    Channel,
    Status,
)
from complaintdesk.http.deps import ContainerDep, UowDep
from complaintdesk.intake import service as intake

router = APIRouter(prefix="/api/v1/public", tags=["public 公众"])

# Steps a complainant sees; internal notes, returns and identity reveals stay inside.
PUBLIC_ACTIONS = frozenset(
    {
        Action.FILE,
        Action.ACCEPT,
        Action.REJECT,
        Action.HAND_OVER,
        Action.RESOLVE_AT_INTAKE,
        Action.DISPATCH,
        Action.RECEIVE,
        Action.APPROVE_EXTENSION,
        Action.REPLY,
        Action.RECORD_CALLBACK,
        Action.REOPEN,
        Action.CLOSE,
        Action.APPEAL,
        Action.FILE_APPEAL,
    }
)
# Whose words the complainant may read: the reply and the explanations meant for them.
PUBLIC_REASONS = frozenset(
    {Action.REJECT, Action.HAND_OVER, Action.RESOLVE_AT_INTAKE, Action.REPLY, Action.APPEAL}
)


@router.post("/complaints", status_code=201, summary="公众投诉（无需登录）/ file without sign-in")
def file_public(
    body: s.PublicComplaintIn,
    uow: UowDep,
    container: ContainerDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="重试时携带同一值，不会重复登记 / a retry files nothing new",
        ),
    ] = None,
) -> dict[str, Any]:
    result = intake.register_in(
        container,
        uow,
        intake.Intake(
            complaint=svc.FileComplaint(
                content=body.content,
                title=body.title,
                channel=Channel.WEB,
                complained_unit_name=body.complained_unit_name,
                complained_person=body.complained_person,
                complainant=complainant_from(body.complainant),
                consent_publish=body.consent_publish,
            )
        ),
        actor=None,
        idempotency=intake.IdempotencyKey.of(
            "public", idempotency_key, body.model_dump(mode="json")
        ),
        default_unit_id=uow.units.default_centre().id,
    )
    if result.replayed:
        response.status_code = 200
    # The repeat link is for staff; the public answer stays the same either way.
    return {"tracking_no": result.tracking_no, "query_code": result.query_code}


def public_status(uow: Any, row: ComplaintRow) -> dict[str, Any]:
    events = uow.session.scalars(
        select(ComplaintEventRow)
        .where(ComplaintEventRow.complaint_id == row.id)
        .order_by(ComplaintEventRow.id)
    )
    steps = []
    for e in events:
        action = Action(e.action)
        if action not in PUBLIC_ACTIONS:
            continue
        steps.append(
            {
                "at": e.at,
                "action": action.value,
                "label": ACTION_LABELS[action],
                "message": e.reason if action in PUBLIC_REASONS else "",
            }
        )
    zh, en = STATUS_LABELS[Status(row.status)]
    return {
        "tracking_no": row.tracking_no,
        "status": row.status,
        "status_label": zh,
        "status_label_en": en,
        "title": row.title,
        "received_at": row.received_at,
        "due_at": row.due_at,
        "steps": steps,
    }


@router.post("/status", summary="查询办理进度 / check progress")
def check_status(body: s.StatusQueryIn, uow: UowDep) -> dict[str, Any]:
    row = svc.find_by_query_code(uow, body.tracking_no, body.query_code)
    return public_status(uow, row)


@router.post("/appeal", status_code=201, summary="申诉 / appeal a result")
def public_appeal(body: s.PublicAppealIn, uow: UowDep, container: ContainerDep) -> dict[str, Any]:
    row = svc.find_by_query_code(uow, body.tracking_no, body.query_code)
    filed = svc.appeal(
        uow,
        row.id,
        reason=body.reason,
        actor=None,
        now=container.clock.now(),
        calendar=container.calendar,
    )
    return {"tracking_no": filed.tracking_no, "query_code": filed.query_code}
