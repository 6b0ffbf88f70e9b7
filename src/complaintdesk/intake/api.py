"""Intake endpoints: operator registration (phone, walk-in, letter) with proxy and group,
attachments, repeat counts, and spreadsheet upload. Filing honours ``Idempotency-Key``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from complaintdesk.complaints import schemas as s
from complaintdesk.complaints.queries import ComplaintQueries
from complaintdesk.complaints.views import file_command, record_read
from complaintdesk.complaints.vocabulary import Action, Channel
from complaintdesk.http.deps import ActorDep, ContainerDep, Day, DbId, IdempotencyHeader, UowDep
from complaintdesk.intake import attachments, importer, repeats
from complaintdesk.intake import service as intake
from complaintdesk.intake.tables import AttachmentRow
from complaintdesk.io import tables
from complaintdesk.kernel.errors import InvalidInput, NotFound, PermissionDenied
from complaintdesk.org.model import Actor, Role

router = APIRouter(tags=["intake 受理"])

MAX_IMPORT_BYTES = 50 * 1024 * 1024


class RepresentativeIn(s.Strict):
    name: str = Field(max_length=120)
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+\-() ]{3,40}$")
    id_number: str | None = Field(None, max_length=40)


class GroupIn(s.Strict):
    """群体投诉. The limit of 3 representatives is checked by the service, which names it."""

    member_count: int = Field(ge=1, le=100_000)
    representatives: list[RepresentativeIn] = Field(max_length=50)


class RegistrationIn(s.ComplaintIn):
    """An operator registers a phone call, a visit or a letter (proxy = 委托 in complainant)."""

    channel: Channel = Channel.PHONE
    group: GroupIn | None = None


class RegisteredOut(BaseModel):
    id: int
    tracking_no: str
    query_code: str = Field(description="查询码：请告知投诉人 / tell the complainant")
    repeat_of: dict[str, Any] | None = Field(
        description="重复投诉时的原投诉 / the original when this is a repeat"
    )
    attachments: list[dict[str, Any]]
    replayed: bool = Field(description="同一 Idempotency-Key 的重放 / replay of an earlier request")


def registered_out(result: intake.Registered) -> RegisteredOut:
    return RegisteredOut(**result.as_dict(), replayed=result.replayed)


@router.post(
    "/api/v1/intake/complaints",
    status_code=201,
    response_model=RegisteredOut,
    summary="登记来电、来访、来信投诉（含委托、群体）/ register a phone, walk-in or letter",
)
def register(
    body: RegistrationIn,
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
    response: Response,
    idempotency_key: IdempotencyHeader = None,
) -> RegisteredOut:
    if body.channel is Channel.IMPORT:
        raise InvalidInput("批量导入请使用导入功能 / use the import for bulk files")
    group = None
    if body.group is not None:
        group = intake.Group(
            member_count=body.group.member_count,
            representatives=tuple(
                intake.Representative(r.name, r.phone, r.id_number)
                for r in body.group.representatives
            ),
        )
    result = intake.register_in(
        container,
        uow,
        intake.Intake(
            complaint=file_command(body),
            group=group,
        ),
        actor=actor,
        idempotency=intake.IdempotencyKey.of(
            f"user:{actor.user_id}", idempotency_key, body.model_dump(mode="json")
        ),
    )
    if result.replayed:
        response.status_code = 200
    return registered_out(result)


@router.get(
    "/api/v1/complaints/{complaint_id}/group", summary="群体投诉代表 / group and representatives"
)
def group(
    complaint_id: DbId, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    row = ComplaintQueries(uow.session).get_row(actor, complaint_id)
    _owner_side(actor, row.owner_unit_path)
    out = {"group": intake.group_of(uow, complaint_id)}
    path = f"/api/v1/complaints/{complaint_id}/group"
    now = container.clock.now()
    record_read(uow.session, actor, "read_representatives", [complaint_id], at=now, path=path)
    uow.commit()
    return out


def _owner_side(actor: Actor, owner_path: str) -> None:
    # SPEC §5: original material stays with the centre that received it; a handling unit
    # works from the summary unless the centre passes more on.
    if not actor.sees(owner_path):
        raise PermissionDenied(
            "原始材料仅受理单位可见 / original material is visible to the receiving centre only"
        )


def _attachment_out(row: AttachmentRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "source": row.source,
        "created_at": row.created_at,
    }


@router.get("/api/v1/complaints/{complaint_id}/attachments", summary="附件列表 / attachments")
def list_attachments(complaint_id: DbId, actor: ActorDep, uow: UowDep) -> list[dict[str, Any]]:
    row = ComplaintQueries(uow.session).get_row(actor, complaint_id)
    _owner_side(actor, row.owner_unit_path)
    return [_attachment_out(a) for a in attachments.for_complaint(uow.session, complaint_id)]


@router.post(
    "/api/v1/complaints/{complaint_id}/attachments",
    status_code=201,
    summary="上传附件 / add an attachment",
)
def upload_attachment(
    complaint_id: DbId,
    file: Annotated[UploadFile, File(description="≤10 MB")],
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
) -> dict[str, Any]:
    row = ComplaintQueries(uow.session).get_row(actor, complaint_id)
    _owner_side(actor, row.owner_unit_path)
    if not actor.may(Action.FILE):
        raise PermissionDenied("无权补充附件 / your role may not add attachments")
    data = file.file.read(attachments.MAX_ATTACHMENT_BYTES + 1)
    upload = attachments.Upload(file.filename or "", data, file.content_type)
    content_type = attachments.check(upload)
    stored = attachments.store(
        uow.session,
        container.settings.attachments_dir,
        complaint_id,
        upload,
        content_type=content_type,
        source="upload",
        uploaded_by=actor.user_id,
        now=container.clock.now(),
    )
    out = _attachment_out(stored)
    uow.commit()
    return out


@router.get(
    "/api/v1/complaints/{complaint_id}/attachments/{attachment_id}",
    summary="下载附件 / download an attachment",
    response_class=Response,
)
def download_attachment(
    complaint_id: DbId, attachment_id: DbId, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> Response:
    row = ComplaintQueries(uow.session).get_row(actor, complaint_id)
    _owner_side(actor, row.owner_unit_path)
    att = uow.session.get(AttachmentRow, attachment_id)
    if att is None or att.complaint_id != complaint_id:
        raise NotFound(f"附件 {attachment_id} 不存在 / attachment {attachment_id} not found")
    data = attachments.read(container.settings.attachments_dir, att)
    path = f"/api/v1/complaints/{complaint_id}/attachments/{attachment_id}"
    now = container.clock.now()
    record_read(uow.session, actor, "read_attachment", [complaint_id], at=now, path=path)
    uow.commit()
    return Response(
        data,
        media_type=att.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(att.filename)}",
            "X-Content-Type-Options": "nosniff",
            "X-Checksum-SHA256": att.sha256,
        },
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@router.get("/api/v1/intake/repeats", summary="重复投诉统计 / repeat complaint counts")
def repeat_counts(
    actor: ActorDep,
    uow: UowDep,
    received_from: Day | None = None,
    received_to: Day | None = None,
) -> dict[str, int]:
    return repeats.repeat_counts(
        uow.session, actor, received_from=received_from, received_to=received_to
    )


@router.post(
    "/api/v1/intake/imports",
    summary="批量导入 Excel/CSV / import a spreadsheet",
)
def import_spreadsheet(
    file: Annotated[UploadFile, File(description=".xlsx or .csv, ≤50 MB")],
    actor: ActorDep,
    container: ContainerDep,
    mapping: Annotated[str | None, Form(description="如 content=内容,title=标题")] = None,
    source: Annotated[str, Form(max_length=40)] = "import",
) -> Any:
    """All or nothing: a bad row anywhere stores nothing and answers 422 with every bad row.

    A plain ``def``: parsing and the bulk write run in the threadpool, not on the event
    loop. The upload is copied to a temporary file in chunks (refused past the limit) and
    streamed from there, never held whole in memory."""
    if not (actor.is_admin or Role.INTAKE_OPERATOR in actor.roles):
        raise PermissionDenied("仅受理员或管理员可批量导入 / only intake operators may import")
    name = file.filename or "upload.csv"
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix[:10]) as spooled:
        tables.copy_upload(file.file, spooled, MAX_IMPORT_BYTES)
        spooled.flush()
        with importer.read_table(Path(spooled.name), name) as table:
            report = importer.import_rows(
                container,
                table,
                importer.ImportOptions(
                    mapping=importer.parse_mapping(mapping),
                    source=source,
                    owner_unit_id=actor.unit_id,
                ),
            )
    out = report.as_dict(limit_errors=200)
    if report.stored:
        return out
    rows = [{"row": e.row, "reason": e.reason, "ref": e.ref} for e in report.errors[:200]]
    return JSONResponse(
        {"error": {"code": "invalid", "message": report.message, "rows": rows}, "report": out},
        status_code=422,
    )
