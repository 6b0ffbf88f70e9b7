"""What the public may do without signing in: file, check progress, appeal (SPEC §1, §3)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from complaintdesk.complaints import schemas as s
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.views import complainant_from
from complaintdesk.complaints.vocabulary import (
    Channel,
)
from complaintdesk.http.deps import ContainerDep, IdempotencyHeader, UowDep
from complaintdesk.http.ratelimit import rate_limit
from complaintdesk.intake import service as intake
from complaintdesk.intake.status import public_status

router = APIRouter(prefix="/api/v1/public", tags=["public 公众"])


@router.post(
    "/complaints",
    status_code=201,
    summary="公众投诉（无需登录）/ file without sign-in",
    dependencies=[rate_limit("filing")],
)
def file_public(
    body: s.PublicComplaintIn,
    uow: UowDep,
    container: ContainerDep,
    response: Response,
    idempotency_key: IdempotencyHeader = None,
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


@router.post(
    "/status", summary="查询办理进度 / check progress", dependencies=[rate_limit("status")]
)
def check_status(body: s.StatusQueryIn, uow: UowDep) -> dict[str, Any]:
    row = svc.find_by_query_code(uow, body.tracking_no, body.query_code)
    return public_status(uow, row)


@router.post(
    "/appeal",
    status_code=201,
    summary="申诉 / appeal a result",
    dependencies=[rate_limit("status")],  # it checks a query code as well
)
def public_appeal(body: s.PublicAppealIn, uow: UowDep, container: ContainerDep) -> dict[str, Any]:
    row = svc.find_by_query_code(uow, body.tracking_no, body.query_code)
    filed = svc.appeal(
        uow,
        row.id,
        reason=body.reason,
        actor=None,
        **container.timing(),
    )
    return {"tracking_no": filed.tracking_no, "query_code": filed.query_code}
