"""Telecom pre-processing endpoints (SPEC §7): filing with level 1, the two queues,
dispatch to city branches, the closed loop, metrics, and the knowledge sources."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from fractions import Fraction
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel, Field

from complaintdesk.bootstrap import Container
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.complaints import schemas as s
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.views import complainant_from
from complaintdesk.complaints.vocabulary import Channel
from complaintdesk.evaluation.service import Period
from complaintdesk.http.deps import ActorDep, ContainerDep, Day, DbId, UowDep
from complaintdesk.io.excel import MAX_UPLOAD_BYTES
from complaintdesk.io.tables import read_upload
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.kernel.figures import percent_2dp
from complaintdesk.telecom import importers
from complaintdesk.telecom import knowledge as kb
from complaintdesk.telecom import preprocessing as pre
from complaintdesk.telecom import sms as sms_out
from complaintdesk.telecom.diagnosis import CauseClass
from complaintdesk.telecom.lookups import AccountLookups, HttpAccountLookups
from complaintdesk.telecom.rates import PreprocessingMetrics
from complaintdesk.telecom.tables import TelecomAlarmRow, TelecomScriptRow

router = APIRouter(prefix="/api/v1/telecom", tags=["telecom 电信预处理"])


def lookups_for(request: Request) -> AccountLookups:
    """The account look-ups: set on ``app.state.telecom_lookups`` (tests, demo) or built
    from ``COMPLAINTDESK_TELECOM_*`` settings."""
    configured = getattr(request.app.state, "telecom_lookups", None)
    return configured if configured is not None else HttpAccountLookups.from_settings()


def _root(container: Container) -> str:
    return container.settings.telecom_root_unit


def _limits(container: Container) -> sms_out.SmsLimits:
    return sms_out.SmsLimits(
        per_complaint=container.settings.sms_per_complaint_per_day,
        per_number=container.settings.sms_per_number_per_day,
    )


# Bounded here; the service gives the exact per-placeholder limits in its message.
SmsValues = dict[str, Annotated[str, Field(max_length=1000)]]


# --- bodies ---------------------------------------------------------------------------


class TelecomComplaintIn(s.Strict):
    content: str = Field(max_length=s.TEXT_LIMIT * 2)
    title: str = Field("", max_length=600)
    channel: Channel = Channel.PHONE
    complainant: s.ComplainantIn
    received_at: datetime | None = None
    owner_unit_id: DbId | None = None
    area: str = Field("", max_length=200, description="投诉地点 / where it happens")
    cell: str = Field("", max_length=80, description="小区（基站扇区）/ cell id")
    longitude: float | None = Field(None, ge=-180, le=180)
    latitude: float | None = Field(None, ge=-90, le=90)
    handset_model: str = Field("", max_length=120)
    os: str = Field("", max_length=60)
    occurred_at: datetime | None = None


class ConfirmIn(s.ActionIn):
    finding: int = Field(0, ge=0, description="采纳第几条结论 / which finding to use")


class EscalateIn(s.Strict):
    reason: str = Field(min_length=1, max_length=2000)


class ResolveLevel2In(s.ActionIn):
    cause: CauseClass
    resolution: str = Field(min_length=1, max_length=4000)
    sms: str = Field("", max_length=1000, description="自由文本已停用，须用模板 / refused")
    sms_template_id: int | None = Field(None, description="已审核的短信模板 / approved")
    sms_values: SmsValues = Field(default_factory=dict, max_length=10)


class DispatchBranchIn(s.ActionIn):
    unit_id: DbId
    summary: str = Field("", max_length=4000)
    note: str = Field("", max_length=2000)


class BranchReplyIn(s.ActionIn):
    reply: str = Field(min_length=1, max_length=8000)
    channel: str = Field("phone", max_length=40)
    network_quality: bool = Field(description="确属网络质量问题 / really a network problem")


class ReviewIn(s.Strict):
    note: str = Field(min_length=1, max_length=4000)
    improved: bool


class ImprovementIn(s.Strict):
    area: str = Field(min_length=2, max_length=200)
    kind: str = Field("new_site", pattern="^(new_site|fix)$")
    description: str = Field(min_length=1, max_length=2000)
    live_at: datetime | None = None
    template_id: int = Field(description="已审核的短信模板 / approved SMS template")
    values: SmsValues = Field(default_factory=dict, max_length=10)


class SendSmsIn(s.Strict):
    template_id: int = Field(description="已审核的短信模板 / approved SMS template")
    values: SmsValues = Field(default_factory=dict, max_length=10)
    text: str = Field("", max_length=1000, description="自由文本已停用 / refused")


class AlarmIn(s.Strict):
    external_id: str = Field(min_length=1, max_length=80)
    site: str = Field(min_length=1, max_length=200)
    areas: list[str] = Field(default_factory=list)
    cells: list[str] = Field(default_factory=list)
    started_at: datetime
    expected_recovery_at: datetime | None = None
    cleared_at: datetime | None = None
    description: str = Field("", max_length=2000)
    branch: str = Field("", max_length=40, description="所属市分公司单位编码 / branch code")


class AlarmClearIn(s.Strict):
    cleared_at: datetime | None = None
    expected_recovery_at: datetime | None = None


class BlindSpotIn(s.Strict):
    external_id: str = Field(min_length=1, max_length=80)
    name: str = Field(min_length=1, max_length=200)
    areas: list[str] = Field(default_factory=list)
    cells: list[str] = Field(default_factory=list)
    polygon: list[tuple[float, float]] = Field(default_factory=list)
    planned_fix: str = Field("", max_length=2000)
    branch: str = Field("", max_length=40, description="所属市分公司单位编码 / branch code")


class ScriptIn(s.Strict):
    external_id: str = Field(min_length=1, max_length=80)
    title: str = Field(min_length=1, max_length=200)
    phenomena: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    handset_model: str = Field("", max_length=120)
    os: str = Field("", max_length=60)
    explanation: str = Field(min_length=1, max_length=4000)
    sms_template: str = Field(min_length=1, max_length=1000)


class FiledTelecomOut(BaseModel):
    id: int
    tracking_no: str
    query_code: str
    case: dict[str, Any]


def _aware(moment: datetime | None, what: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise InvalidInput(f"{what}须带时区 / {what} needs a time zone")
    return moment


# --- complaints and queues -----------------------------------------------------------


@router.post(
    "/complaints",
    status_code=201,
    response_model=FiledTelecomOut,
    summary="登记电信投诉并自动一级预处理 / file with level-1 pre-processing",
)
def file_telecom(
    body: TelecomComplaintIn,
    request: Request,
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
) -> FiledTelecomOut:
    filed = pre.file_telecom_complaint(
        uow,
        lookups_for(request),
        svc.FileComplaint(
            content=body.content,
            title=body.title,
            channel=body.channel,
            complainant=complainant_from(body.complainant),
            received_at=body.received_at,
            owner_unit_id=body.owner_unit_id,
        ),
        pre.TelecomDetails(
            area=body.area,
            cell=body.cell,
            longitude=body.longitude,
            latitude=body.latitude,
            handset_model=body.handset_model,
            os=body.os,
            occurred_at=_aware(body.occurred_at, "occurred_at"),
        ),
        actor=actor,
        **container.timing(),
        root_code=_root(container),
    )
    return FiledTelecomOut(
        id=filed.id,
        tracking_no=filed.tracking_no,
        query_code=filed.query_code,
        case=pre.get_case(uow, actor, filed.id),
    )


@router.get("/complaints/{complaint_id}", summary="预处理证据 / evidence and state")
def read_case(complaint_id: DbId, actor: ActorDep, uow: UowDep) -> dict[str, Any]:
    return pre.get_case(uow, actor, complaint_id)


@router.get("/queue", summary="预处理队列 / level1, level2, branch or resolved queue")
def list_queue(
    actor: ActorDep,
    uow: UowDep,
    queue: str = "level2",
    cursor: DbId | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    items = pre.queue(uow, actor, queue, limit=limit + 1, before_id=cursor)
    more = len(items) > limit
    items = items[:limit]
    return {
        "items": items,
        "next_cursor": str(items[-1]["complaint_id"]) if more and items else None,
    }


@router.post(
    "/complaints/{complaint_id}/confirm-level1",
    summary="确认一级预处理结论并发送短信 / confirm level 1, send the SMS",
)
def confirm_level1(
    complaint_id: DbId, body: ConfirmIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    return pre.confirm_level1(
        uow,
        actor,
        complaint_id,
        finding=body.finding,
        **container.timing(),
        expected_version=body.expected_version,
        limits=_limits(container),
    )


@router.post("/complaints/{complaint_id}/escalate", summary="转二级预处理 / to level 2")
def escalate(
    complaint_id: DbId, body: EscalateIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    return pre.escalate(
        uow,
        actor,
        complaint_id,
        reason=body.reason,
        **container.timing(),
    )


@router.post(
    "/complaints/{complaint_id}/resolve-level2",
    summary="二级预处理解决 / resolved by the support centre",
)
def resolve_level2(
    complaint_id: DbId,
    body: ResolveLevel2In,
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
) -> dict[str, Any]:
    return pre.resolve_level2(
        uow,
        actor,
        complaint_id,
        cause=body.cause,
        resolution=body.resolution,
        sms=body.sms,
        sms_template_id=body.sms_template_id,
        sms_values=body.sms_values,
        **container.timing(),
        expected_version=body.expected_version,
        limits=_limits(container),
    )


@router.post(
    "/complaints/{complaint_id}/dispatch-branch",
    summary="派市分公司现场处理（附证据）/ dispatch to the city branch with evidence",
)
def dispatch_branch(
    complaint_id: DbId,
    body: DispatchBranchIn,
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
) -> dict[str, Any]:
    return pre.dispatch_to_branch(
        uow,
        actor,
        complaint_id,
        unit_id=body.unit_id,
        summary=body.summary,
        note=body.note,
        **container.timing(),
        expected_version=body.expected_version,
    )


@router.post(
    "/complaints/{complaint_id}/branch-reply",
    summary="市分公司答复并认定是否网络质量问题 / branch reply with verdict",
)
def branch_reply(
    complaint_id: DbId,
    body: BranchReplyIn,
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
) -> dict[str, Any]:
    return pre.branch_reply(
        uow,
        actor,
        complaint_id,
        reply=body.reply,
        channel=body.channel,
        network_quality=body.network_quality,
        **container.timing(),
        expected_version=body.expected_version,
    )


@router.get("/review-queue", summary="归档48小时后的闭环复核队列 / 48-hour review queue")
def review_queue(actor: ActorDep, uow: UowDep, container: ContainerDep) -> dict[str, Any]:
    return {"items": pre.review_queue(uow, actor, now=container.clock.now())}


@router.post("/complaints/{complaint_id}/review", summary="闭环复核 / record the review")
def review(
    complaint_id: DbId, body: ReviewIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    return pre.record_review(
        uow,
        actor,
        complaint_id,
        note=body.note,
        improved=body.improved,
        **container.timing(),
    )


@router.post(
    "/improvements", status_code=201, summary="新站/整改上线，通知此前投诉用户 / improvement notice"
)
def improvement(
    body: ImprovementIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    now = container.clock.now()
    return pre.publish_improvement(
        uow,
        actor,
        area=body.area,
        kind=body.kind,
        description=body.description,
        live_at=_aware(body.live_at, "live_at") or now,
        now=now,
        template_id=body.template_id,
        values=body.values,
        root_code=_root(container),
        limits=_limits(container),
    )


@router.post(
    "/complaints/{complaint_id}/sms",
    status_code=201,
    summary="按已审核模板给投诉人发短信 / send an approved SMS template to the complainant",
)
def send_sms(
    complaint_id: DbId, body: SendSmsIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    if body.text.strip():
        raise InvalidInput(sms_out.FREE_TEXT_REFUSED)
    return sms_out.send_template(
        uow,
        actor,
        complaint_id,
        template_id=body.template_id,
        values=body.values,
        root_code=_root(container),
        limits=_limits(container),
        now=container.clock.now(),
    )


def _percent(value: Fraction | None) -> float | None:
    """A rate as a JSON number with 2 decimals, as ``GET /kpis/telecom`` rounds it."""
    shown = percent_2dp(value)
    return None if shown is None else float(shown)


def metrics_out(m: PreprocessingMetrics) -> dict[str, Any]:
    return {
        "total": m.total,
        "level1": m.level1,
        "level2": m.level2,
        "to_branch": m.to_branch,
        "branch_judged": m.branch_judged,
        "branch_network_quality": m.branch_network_quality,
        "success_rate": _percent(m.success_rate),  # % of all tickets
        "dispatch_accuracy": _percent(m.dispatch_accuracy),  # % of ALL branch tickets
        "branch_pending": m.branch_pending,  # branch tickets without a verdict yet
        "preprocessed": m.preprocessed,
    }


@router.get("/metrics", summary="预处理成功率与派单准确率 / success rate, dispatch accuracy")
def metrics(
    actor: ActorDep,
    uow: UowDep,
    received_from: Day | None = None,
    received_to: Day | None = None,
    period: Annotated[
        str | None,
        Query(description="月份 / month, YYYY-MM (instead of received_from/received_to)"),
    ] = None,
) -> dict[str, Any]:
    """The figures of ``GET /api/v1/kpis/telecom``'s summary, for a month or any span of days
    (both ends inclusive), within the viewer's jurisdiction."""
    start = datetime.combine(received_from, time.min, tzinfo=SHANGHAI) if received_from else None
    end = (
        datetime.combine(received_to + timedelta(days=1), time.min, tzinfo=SHANGHAI)
        if received_to
        else None
    )
    m = pre.metrics(
        uow,
        actor,
        received_from=start,
        received_to=end,
        period=Period.parse(period) if period is not None else None,
    )
    return metrics_out(m)


# --- knowledge sources -----------------------------------------------------------------


def _alarm_out(r: TelecomAlarmRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "external_id": r.external_id,
        "site": r.site,
        "areas": r.areas,
        "cells": r.cells,
        "description": r.description,
        "started_at": r.started_at,
        "expected_recovery_at": r.expected_recovery_at,
        "cleared_at": r.cleared_at,
        "unit_id": r.unit_id,
    }


@router.get("/alarms", summary="基站告警 / base-station alarms")
def list_alarms(
    actor: ActorDep, uow: UowDep, container: ContainerDep, active: bool = True
) -> list[dict[str, Any]]:
    rows = kb.list_alarms(uow, actor, root_code=_root(container), active=active)
    return [_alarm_out(r) for r in rows]


@router.post("/alarms", summary="新增或更新告警 / upsert alarms")
def put_alarms(
    body: list[AlarmIn], actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, int]:
    items = importers.parse_all([a.model_dump() for a in body], importers.alarm_from_row)
    now = container.clock.now()
    return kb.upsert_alarms(uow, actor, items, now, root_code=_root(container)).__dict__


@router.post("/alarms/{alarm_id}/clear", summary="告警清除或更新恢复时间 / clear an alarm")
def clear_alarm(
    alarm_id: DbId, body: AlarmClearIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    now = container.clock.now()
    row = kb.clear_alarm(
        uow,
        actor,
        alarm_id,
        cleared_at=_aware(body.cleared_at, "cleared_at")
        or (now if body.expected_recovery_at is None else None),
        expected_recovery_at=_aware(body.expected_recovery_at, "expected_recovery_at"),
        now=now,
        root_code=_root(container),
    )
    return _alarm_out(row)


@router.get("/blind-spots", summary="覆盖盲点 / blind spots")
def list_blind_spots(actor: ActorDep, uow: UowDep, container: ContainerDep) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "external_id": r.external_id,
            "name": r.name,
            "areas": r.areas,
            "cells": r.cells,
            "polygon": r.polygon,
            "planned_fix": r.planned_fix,
            "active": r.active,
            "unit_id": r.unit_id,
        }
        for r in kb.list_blind_spots(uow, actor, root_code=_root(container))
    ]


@router.post("/blind-spots", summary="新增或更新盲点 / upsert blind spots")
def put_blind_spots(
    body: list[BlindSpotIn], actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, int]:
    items = importers.parse_all([b.model_dump() for b in body], importers.blind_spot_from_row)
    now = container.clock.now()
    return kb.upsert_blind_spots(uow, actor, items, now, root_code=_root(container)).__dict__


def _script_out(r: TelecomScriptRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "external_id": r.external_id,
        "title": r.title,
        "phenomena": r.phenomena,
        "keywords": r.keywords,
        "handset_model": r.handset_model,
        "os": r.os,
        "explanation": r.explanation,
        "sms_template": r.sms_template,
        "placeholders": sorted(sms_out.placeholders(r.sms_template)),
        "active": r.active,
        "approved": r.approved_at is not None,
        "approved_at": r.approved_at,
    }


@router.get("/scripts", summary="终端与使用类脚本 / terminal and usage scripts")
def list_scripts(actor: ActorDep, uow: UowDep, container: ContainerDep) -> list[dict[str, Any]]:
    return [_script_out(r) for r in kb.list_scripts(uow, actor, root_code=_root(container))]


@router.post("/scripts", summary="新增或更新脚本 / upsert scripts")
def put_scripts(
    body: list[ScriptIn], actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, int]:
    items = importers.parse_all([x.model_dump() for x in body], importers.script_from_row)
    now = container.clock.now()
    return kb.upsert_scripts(uow, actor, items, now, root_code=_root(container)).__dict__


@router.post(
    "/scripts/{script_id}/approve",
    summary="审核脚本短信模板（省客户支撑中心）/ approve a script's SMS template",
)
def approve_script(
    script_id: DbId, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    row = kb.approve_script(
        uow, actor, script_id, root_code=_root(container), now=container.clock.now()
    )
    return _script_out(row)


@router.post(
    "/imports/{kind}",
    summary="从CSV/Excel导入知识库 / import alarms, blind-spots or scripts from CSV/Excel",
)
def import_file(
    kind: str,
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
    file: Annotated[UploadFile, File()],
) -> dict[str, int]:
    # All or nothing (one commit after every row parsed); read at most the limit + 1 bytes.
    data = read_upload(file.file, MAX_UPLOAD_BYTES)
    return kb.import_file(
        uow,
        actor,
        kind,
        data,
        file.filename or "upload.csv",
        container.clock.now(),
        root_code=_root(container),
    ).__dict__
