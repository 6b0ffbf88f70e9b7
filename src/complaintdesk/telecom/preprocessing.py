"""Telecom pre-processing use cases (SPEC §7): two levels before the field, closed loop.

Filing runs level 1 at once: account look-ups (outside the transaction: they are network
calls), then the matcher over alarms, blind spots and scripts. A found cause waits for the
operator's confirmation (queue ``level1``); nothing found goes to the support centre
(queue ``level2``), which resolves or dispatches to a city branch with the evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from complaintdesk.clock import deadlines as sla
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import (
    AddNote,
    RecordNetworkReview,
    ReplyToComplainant,
    ResolveAtIntake,
)
from complaintdesk.complaints.queries import ComplaintQueries, private_names
from complaintdesk.complaints.service import persist
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import Action, DispatchMode, Status
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.evaluation import kpis
from complaintdesk.evaluation.service import Period
from complaintdesk.kernel.errors import (
    ConcurrencyConflict,
    InvalidInput,
    PermissionDenied,
    QuotaExceeded,
)
from complaintdesk.kernel.privacy import mask_text
from complaintdesk.org.model import Actor, Role, UnitKind
from complaintdesk.telecom import access, knowledge
from complaintdesk.telecom import kpis as telecom_kpis
from complaintdesk.telecom import sms as sms_out
from complaintdesk.telecom.diagnosis import (
    CAUSE_LABELS,
    PHENOMENON_LABELS,
    CauseClass,
    Phenomenon,
    TelecomCase,
    match_level1,
)
from complaintdesk.telecom.lookups import AccountLookups
from complaintdesk.telecom.rates import PreprocessingMetrics
from complaintdesk.telecom.tables import TelecomCaseRow, TelecomImprovementRow

# source §3 1.2: archived network-quality tickets come back for review after 48 hours.
REVIEW_AFTER = timedelta(hours=48)
LEVEL2_ROLES = frozenset({Role.DISPATCHER, Role.LEADER})
TELECOM_CATEGORY = "telecom_network"


class Queue:
    LEVEL1 = "level1"  # a cause was found; the operator confirms
    LEVEL2 = "level2"  # the support centre's queue
    BRANCH = "branch"  # dispatched to a city branch
    RESOLVED = "resolved"  # resolved at level 1 or 2


@dataclass(frozen=True)
class TelecomDetails:
    area: str = ""
    cell: str = ""
    longitude: float | None = None
    latitude: float | None = None
    handset_model: str = ""
    os: str = ""
    occurred_at: datetime | None = None


def file_telecom_complaint(
    uow: SqlUnitOfWork,
    lookups: AccountLookups,
    command: svc.FileComplaint,
    details: TelecomDetails,
    *,
    actor: Actor,
    now: datetime,
    calendar: sla.WorkingCalendar,
    root_code: str,
) -> svc.FiledComplaint:
    """Register, accept and pre-process a telecom complaint in one transaction.

    Only the support centre (and admins) file: level 1 runs over the whole knowledge base
    and its evidence shows what it matched, so filing from elsewhere would read it."""
    for action in (Action.ACCEPT, Action.START_PREPROCESSING):
        if not actor.may(action):
            raise PermissionDenied("无权受理电信投诉 / not allowed to take telecom complaints")
    root = knowledge.telecom_root(uow, root_code)
    if access.standing(actor, root) is not access.Standing.SUPPORT_CENTRE:
        raise PermissionDenied(
            "电信投诉由省客服中心登记 / telecom complaints are filed by the customer-service centre"
        )
    msisdn = (command.complainant.phone or "").strip() if command.complainant else ""
    if not msisdn:
        raise InvalidInput(
            "电信投诉须提供用户号码（投诉人电话）/ a telecom complaint needs the subscriber's"
            " number (complainant phone)"
        )
    if details.occurred_at is not None and details.occurred_at > now:
        raise InvalidInput("发生时间不能晚于现在 / occurred_at is in the future")
    if (details.longitude is None) != (details.latitude is None):
        raise InvalidInput("经度和纬度须同时提供 / give both longitude and latitude")
    account = lookups.check_all(msisdn)  # before any write: slow systems hold no locks
    filed = svc.file_complaint(uow, command, actor=actor, now=now, calendar=calendar, commit=False)
    row = uow.complaints.row(filed.id)
    case = TelecomCase(
        text=f"{row.title}\n{row.content}",
        area=details.area.strip(),
        cell=details.cell.strip(),
        location=(
            (details.longitude, details.latitude)
            if details.longitude is not None and details.latitude is not None
            else None
        ),
        handset_model=details.handset_model.strip(),
        os=details.os.strip(),
        occurred_at=details.occurred_at,
    )
    diagnosis = match_level1(
        case,
        alarms=knowledge.alarms(uow.session, now),
        blind_spots=knowledge.blind_spots(uow.session),
        scripts=knowledge.scripts(uow.session),
        account=account,
        now=now,
    )
    queue = Queue.LEVEL1 if diagnosis.resolvable_at_level1 else Queue.LEVEL2
    complaint = uow.complaints.get(filed.id)
    complaint.accept(now, actor.user_id, category=command.category or TELECOM_CATEGORY)
    complaint.start_preprocessing(
        now,
        actor.user_id,
        findings={
            "phenomena": [p.value for p in diagnosis.phenomena],
            "cause": diagnosis.cause.value if diagnosis.cause else None,
            "queue": queue,
            "unknown_systems": diagnosis.unknown_systems,
        },
    )
    persist(uow, complaint, row.received_at, now, calendar)
    uow.session.add(
        TelecomCaseRow(
            complaint_id=filed.id,
            area=case.area or _matched_area(diagnosis.as_evidence()),
            cell=case.cell,
            longitude=details.longitude,
            latitude=details.latitude,
            handset_model=case.handset_model,
            os=case.os,
            occurred_at=details.occurred_at,
            phenomena=[p.value for p in diagnosis.phenomena],
            diagnosis=diagnosis.as_evidence(),
            queue=queue,
            cause=diagnosis.cause.value if diagnosis.cause else None,
        )
    )
    uow.commit()
    return svc.FiledComplaint(filed.id, filed.tracking_no, filed.query_code, complaint.version)


def _matched_area(evidence: dict[str, Any]) -> str:
    for finding in evidence["findings"]:
        area = finding["evidence"].get("matched_area")
        if area:
            return str(area)
    return ""


# --- reading -------------------------------------------------------------------------


def _case(
    uow: SqlUnitOfWork, actor: Actor, complaint_id: int
) -> tuple[ComplaintRow, TelecomCaseRow]:
    row = ComplaintQueries(uow.session).get_row(actor, complaint_id)  # jurisdiction
    case = uow.session.get(TelecomCaseRow, complaint_id)
    if case is None:
        raise InvalidInput(
            f"投诉 {complaint_id} 不是电信预处理投诉 / complaint {complaint_id} is not a"
            " telecom pre-processing case"
        )
    return row, case


def case_views(
    uow: SqlUnitOfWork, actor: Actor, pairs: list[tuple[ComplaintRow, TelecomCaseRow]]
) -> list[dict[str, Any]]:
    """The cases as ``actor`` may read them: a branch below the owning centre reads the
    complainant's title masked (SPEC §5), as every other unit-side view does."""
    unit_side = [row for row, _ in pairs if not actor.sees(row.owner_unit_path)]
    names = private_names(uow.session, unit_side) if unit_side else {}
    masked = {row.id for row in unit_side}
    views = []
    for row, case in pairs:
        view = case_view(row, case)
        if row.id in masked:
            view["title"] = mask_text(row.title, names.get(row.id, ()))
        views.append(view)
    return views


def case_view(row: ComplaintRow, case: TelecomCaseRow) -> dict[str, Any]:
    """A case as its owning centre reads it; see :func:`case_views` for everyone else."""
    diagnosis = dict(case.diagnosis or {})
    for finding in diagnosis.get("findings", []):
        finding["cause_label"] = CAUSE_LABELS[CauseClass(finding["cause"])]
    return {
        "complaint_id": row.id,
        "tracking_no": row.tracking_no,
        "title": row.title,
        "status": row.status,
        "version": row.version,
        "received_at": row.received_at,
        "queue": case.queue,
        "area": case.area,
        "cell": case.cell,
        "handset_model": case.handset_model,
        "os": case.os,
        "occurred_at": case.occurred_at,
        "phenomena": [
            {"code": p, "label": PHENOMENON_LABELS[Phenomenon(p)]} for p in case.phenomena
        ],
        "cause": case.cause,
        "cause_label": CAUSE_LABELS[CauseClass(case.cause)] if case.cause else None,
        "diagnosis": diagnosis,
        "resolved_level": case.resolved_level,
        "branch_unit_id": case.branch_unit_id,
        "network_quality": case.network_quality,
        "reviewed_at": case.reviewed_at,
        "review_note": case.review_note,
    }


def get_case(uow: SqlUnitOfWork, actor: Actor, complaint_id: int) -> dict[str, Any]:
    return case_views(uow, actor, [_case(uow, actor, complaint_id)])[0]


def _fresh(uow: SqlUnitOfWork, actor: Actor, complaint_id: int) -> dict[str, Any]:
    # The repository saves with a bulk UPDATE: reload what the session holds.
    uow.session.expire_all()
    return get_case(uow, actor, complaint_id)


def queue(
    uow: SqlUnitOfWork, actor: Actor, name: str, *, limit: int, before_id: int | None
) -> list[dict[str, Any]]:
    """A pre-processing queue, newest first, within the viewer's jurisdiction."""
    if name not in {Queue.LEVEL1, Queue.LEVEL2, Queue.BRANCH, Queue.RESOLVED}:
        raise InvalidInput(
            f"未知队列 {name}（level1/level2/branch/resolved）/ unknown queue {name}"
        )
    stmt = (
        ComplaintQueries(uow.session)
        .scoped(actor)
        .add_columns(TelecomCaseRow)
        .join(TelecomCaseRow, TelecomCaseRow.complaint_id == ComplaintRow.id)
        .where(TelecomCaseRow.queue == name)
    )
    if before_id is not None:
        stmt = stmt.where(ComplaintRow.id < before_id)
    rows = uow.session.execute(stmt.order_by(ComplaintRow.id.desc()).limit(limit))
    return case_views(uow, actor, [(r, c) for r, c in rows])


# --- level 1 and level 2 ----------------------------------------------------------


def _check_version(row: ComplaintRow, expected: int | None) -> None:
    if expected is not None and expected != row.version:
        raise ConcurrencyConflict(row.id, expected, row.version)


def confirm_level1(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    *,
    finding: int = 0,
    now: datetime,
    calendar: sla.WorkingCalendar,
    expected_version: int | None = None,
    limits: sms_out.SmsLimits = sms_out.SmsLimits(),
) -> dict[str, Any]:
    """The operator confirms level 1's cause: the SMS goes out, resolved at intake.

    The text is the platform's: built at filing from an alarm, a blind spot, an account
    finding or an approved script (unapproved scripts are never matched)."""
    row, case = _case(uow, actor, complaint_id)
    _check_version(row, expected_version)
    if case.queue != Queue.LEVEL1:
        raise InvalidInput(
            "该投诉不在一级预处理待确认队列 / the complaint is not awaiting level-1 confirmation"
        )
    findings = case.diagnosis.get("findings", [])
    if not 0 <= finding < len(findings):
        raise InvalidInput(f"没有第{finding}条预处理结论 / no finding number {finding}")
    chosen = findings[finding]
    sms_out.queue_sms(
        uow,
        row,
        chosen["sms"],
        key=f"telecom:level1:{row.id}",
        subject="预处理短信 / pre-processing SMS",
        actor_id=actor.user_id,
        now=now,
        limits=limits,
    )
    case.queue, case.resolved_level, case.cause = Queue.RESOLVED, 1, chosen["cause"]
    svc.perform(
        uow,
        actor,
        complaint_id,
        ResolveAtIntake(resolution=chosen["explanation"], level=1),
        now=now,
        calendar=calendar,
    )  # commits the SMS, the case and the event together
    return _fresh(uow, actor, complaint_id)


def escalate(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    *,
    reason: str,
    now: datetime,
    calendar: sla.WorkingCalendar,
) -> dict[str, Any]:
    """The operator does not accept level 1's cause: on to the support centre."""
    _, case = _case(uow, actor, complaint_id)
    if case.queue != Queue.LEVEL1:
        raise InvalidInput("该投诉不在一级预处理队列 / the complaint is not in the level-1 queue")
    case.queue = Queue.LEVEL2
    svc.perform(
        uow,
        actor,
        complaint_id,
        AddNote(note=f"一级预处理结论不成立，转省客户支撑中心 / level 1 rejected: {reason}"),
        now=now,
        calendar=calendar,
    )
    return _fresh(uow, actor, complaint_id)


def _require_level2(actor: Actor) -> None:
    if not (actor.is_admin or actor.roles & LEVEL2_ROLES):
        raise PermissionDenied(
            "二级预处理由省客户支撑中心处理 / level 2 is the support centre's work"
        )


def resolve_level2(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    *,
    cause: CauseClass,
    resolution: str,
    sms: str = "",
    sms_template_id: int | None = None,
    sms_values: Mapping[str, str] | None = None,
    now: datetime,
    calendar: sla.WorkingCalendar,
    expected_version: int | None = None,
    limits: sms_out.SmsLimits = sms_out.SmsLimits(),
) -> dict[str, Any]:
    """The support centre resolves with its own tools; the SMS is optional and comes from
    an approved template (``sms_template_id`` and its values): free text is refused."""
    _require_level2(actor)
    if sms.strip():
        raise InvalidInput(sms_out.FREE_TEXT_REFUSED)
    row, case = _case(uow, actor, complaint_id)
    _check_version(row, expected_version)
    if case.queue not in {Queue.LEVEL1, Queue.LEVEL2}:
        raise InvalidInput("该投诉不在预处理队列 / the complaint is not being pre-processed")
    if cause is CauseClass.NETWORK_QUALITY:
        raise InvalidInput(
            "网络质量问题须派市分公司现场处理 / network-quality problems go to the city branch"
        )
    if sms_template_id is not None:
        template = sms_out.approved_template(uow, sms_template_id)
        body = sms_out.fill(
            template.sms_template, sms_values or {}, sms_out.platform_values(row, case)
        )
        sms_out.queue_sms(
            uow,
            row,
            body,
            key=f"telecom:level2:{row.id}",
            subject="预处理短信 / pre-processing SMS",
            actor_id=actor.user_id,
            now=now,
            limits=limits,
            template_id=template.id,
        )
    elif sms_values:
        raise InvalidInput("给出了短信占位符但未选模板 / sms_values without sms_template_id")
    case.queue, case.resolved_level, case.cause = Queue.RESOLVED, 2, cause.value
    svc.perform(
        uow,
        actor,
        complaint_id,
        ResolveAtIntake(resolution=resolution, level=2),
        now=now,
        calendar=calendar,
    )
    return _fresh(uow, actor, complaint_id)


def dispatch_to_branch(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    *,
    unit_id: int,
    summary: str = "",
    note: str = "",
    now: datetime,
    calendar: sla.WorkingCalendar,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Both levels failed: transfer to the city branch, the evidence attached to the
    dispatch event. A support-centre head signs off (签批) in the same step."""
    _require_level2(actor)
    row, case = _case(uow, actor, complaint_id)
    _check_version(row, expected_version)
    if not actor.may(Action.DISPATCH) or not actor.sees(row.owner_unit_path):
        raise PermissionDenied("无权派单 / not allowed to dispatch this complaint")
    if case.queue not in {Queue.LEVEL1, Queue.LEVEL2}:
        raise InvalidInput("该投诉不在预处理队列 / the complaint is not being pre-processed")
    unit = uow.units.get(unit_id)
    if unit.kind is not UnitKind.BRANCH or not actor.sees(unit.path):
        raise InvalidInput(
            "只能派往辖区内的市分公司 / dispatch goes to a city branch in your jurisdiction"
        )
    phenomena = "、".join(PHENOMENON_LABELS[Phenomenon(p)].split(" / ")[0] for p in case.phenomena)
    summary = summary.strip() or (
        f"用户反映{phenomena or '网络问题'}（区域：{case.area or '未注明'}），"
        "一、二级预处理未发现告警、盲点、终端或账户原因，请现场测试处理。"
    )
    evidence = {
        **case.diagnosis,
        "area": case.area,
        "cell": case.cell,
        "level2_note": note.strip() or None,
    }
    complaint = uow.complaints.get(complaint_id)
    if complaint.signed_off is None and actor.may(Action.SIGN_OFF):
        complaint.sign_off(
            now,
            actor.user_id,
            mode=DispatchMode.TRANSFER,
            unit_id=unit.id,
            opinion="两级预处理未能解决，同意派市分公司现场处理 / both levels failed",
        )
    complaint.dispatch(
        now,
        actor.user_id,
        unit_id=unit.id,
        mode=DispatchMode.TRANSFER,
        summary=summary,
        reason=note.strip(),
        evidence=evidence,
    )
    persist(uow, complaint, row.received_at, now, calendar)
    case.queue, case.branch_unit_id = Queue.BRANCH, unit.id
    uow.commit()
    return _fresh(uow, actor, complaint_id)


def branch_reply(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    *,
    reply: str,
    channel: str,
    network_quality: bool,
    now: datetime,
    calendar: sla.WorkingCalendar,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """The city branch answers and says whether it really was network quality; the
    verdict is event data (``network_quality``), read by the dispatch-accuracy KPI."""
    _, case = _case(uow, actor, complaint_id)
    if case.queue != Queue.BRANCH:
        raise InvalidInput("该投诉未派往市分公司 / the complaint was not sent to a branch")
    case.network_quality = network_quality
    svc.perform(
        uow,
        actor,
        complaint_id,
        ReplyToComplainant(reply=reply, channel=channel, network_quality=network_quality),
        now=now,
        calendar=calendar,
        expected_version=expected_version,
    )
    return _fresh(uow, actor, complaint_id)


# --- closed loop -----------------------------------------------------------------------


def _archived_at() -> Any:
    return (
        select(
            ComplaintEventRow.complaint_id.label("complaint_id"),
            func.max(ComplaintEventRow.at).label("archived_at"),
        )
        .where(ComplaintEventRow.action == Action.ARCHIVE.value)
        .group_by(ComplaintEventRow.complaint_id)
        .subquery()
    )


def review_queue(uow: SqlUnitOfWork, actor: Actor, *, now: datetime) -> list[dict[str, Any]]:
    """Network-quality tickets archived 48 hours ago or more, not yet reviewed."""
    archived = _archived_at()
    stmt = (
        ComplaintQueries(uow.session)
        .scoped(actor)
        .add_columns(TelecomCaseRow, archived.c.archived_at)
        .join(TelecomCaseRow, TelecomCaseRow.complaint_id == ComplaintRow.id)
        .join(archived, archived.c.complaint_id == ComplaintRow.id)
        .where(
            ComplaintRow.status == Status.ARCHIVED.value,
            TelecomCaseRow.queue == Queue.BRANCH,
            TelecomCaseRow.network_quality.is_not(False),
            TelecomCaseRow.reviewed_at.is_(None),
            archived.c.archived_at <= now - REVIEW_AFTER,
        )
        .order_by(ComplaintRow.id)
    )
    out = []
    found = uow.session.execute(stmt).all()
    views = case_views(uow, actor, [(row, case) for row, case, _ in found])
    for view, (_, _, archived_at) in zip(views, found, strict=True):
        view["archived_at"] = archived_at
        view["review_due_at"] = archived_at + REVIEW_AFTER
        out.append(view)
    return out


def record_review(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    *,
    note: str,
    improved: bool,
    now: datetime,
    calendar: sla.WorkingCalendar,
) -> dict[str, Any]:
    if not actor.may(Action.NETWORK_REVIEW):  # before any state check: deny first
        raise PermissionDenied("无权进行闭环复核 / not allowed to record the review")
    due = {v["complaint_id"] for v in review_queue(uow, actor, now=now)}
    _, case = _case(uow, actor, complaint_id)
    if complaint_id not in due:
        raise InvalidInput(
            "该投诉不在复核队列（须为归档满48小时的网络质量投诉）/ not in the review queue:"
            " only network-quality tickets archived 48 hours ago or more"
        )
    case.reviewed_at, case.review_note = now, note.strip()
    svc.perform(
        uow,
        actor,
        complaint_id,
        RecordNetworkReview(note=note, improved=improved),
        now=now,
        calendar=calendar,
    )
    return _fresh(uow, actor, complaint_id)


def publish_improvement(
    uow: SqlUnitOfWork,
    actor: Actor,
    *,
    area: str,
    kind: str,
    description: str,
    live_at: datetime,
    now: datetime,
    template_id: int,
    values: Mapping[str, str] | None = None,
    root_code: str,
    limits: sms_out.SmsLimits = sms_out.SmsLimits(),
) -> dict[str, Any]:
    """A new site or fix went live: earlier complainants in the area get a notice (SMS),
    the approved template ``template_id`` filled per complaint (``area`` is the improved
    area). A recipient over the daily limit is skipped and listed in ``rate_limited``: one
    citizen's quota must not stop the notice to everyone else."""
    root = knowledge.telecom_root(uow, root_code)
    if (
        not actor.may(Action.IMPROVEMENT_NOTICE)
        or access.standing(actor, root) is access.Standing.OUTSIDE
    ):
        raise PermissionDenied("无权发布网络改善信息 / not allowed to publish improvements")
    area = area.strip()
    if len(area) < 2:
        raise InvalidInput("区域名称至少2个字 / the area name needs at least 2 characters")
    if kind not in {"new_site", "fix"}:
        raise InvalidInput("类型应为 new_site 或 fix / kind is new_site or fix")
    if not description.strip():
        raise InvalidInput("改善说明不能为空 / description is required")
    if live_at > now:
        raise InvalidInput("上线时间不能晚于现在 / live_at is in the future")
    template = sms_out.approved_template(uow, template_id)
    sms_out.fill(  # refuse bad values before anything is stored
        template.sms_template,
        values or {},
        {"tracking_no": "TS00000000-000000", "area": area, "model": "-", "os": "-"},
    )
    improvement = TelecomImprovementRow(
        area=area,
        kind=kind,
        description=description.strip(),
        live_at=live_at,
        created_by=actor.user_id,
        created_at=now,
    )
    uow.session.add(improvement)
    uow.session.flush()
    stmt = (
        ComplaintQueries(uow.session)
        .scoped(actor)
        .add_columns(TelecomCaseRow)
        .join(TelecomCaseRow, TelecomCaseRow.complaint_id == ComplaintRow.id)
        .where(
            TelecomCaseRow.area.contains(area, autoescape=True),
            ComplaintRow.received_at < live_at,
            TelecomCaseRow.network_quality.is_not(False),
            (TelecomCaseRow.queue == Queue.BRANCH)
            | TelecomCaseRow.cause.in_(
                [CauseClass.BLIND_SPOT.value, CauseClass.NETWORK_QUALITY.value]
            ),
        )
        .order_by(ComplaintRow.id)
    )
    notified: list[str] = []
    limited: list[str] = []
    for row, case in uow.session.execute(stmt).all():
        body = sms_out.fill(
            template.sms_template,
            values or {},
            sms_out.platform_values(row, case, area=area),
        )
        try:
            queued = sms_out.queue_sms(
                uow,
                row,
                body,
                key=f"telecom:improve:{improvement.id}:{row.id}",
                subject="网络改善通知",
                actor_id=actor.user_id,
                now=now,
                limits=limits,
                template_id=template.id,
            )
        except QuotaExceeded:
            limited.append(row.tracking_no)
            continue
        if not queued:
            continue
        complaint = uow.complaints.get(row.id)
        complaint.record_improvement_notice(
            now, actor.user_id, improvement_id=improvement.id, area=area
        )
        # A notice changes nothing the handlers act on: no version bump, like a reveal.
        uow.complaints.append_events(row.id, complaint.take_events())
        notified.append(row.tracking_no)
    improvement.notified = len(notified)
    uow.commit()
    return {
        "id": improvement.id,
        "area": area,
        "notified": len(notified),
        "tracking_nos": notified,
        "rate_limited": limited,
    }


# --- metrics --------------------------------------------------------------------------


def metrics(
    uow: SqlUnitOfWork,
    actor: Actor | None,
    *,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    period: Period | None = None,
) -> PreprocessingMetrics:
    """Success rate and dispatch accuracy (SPEC §7) of a calendar month or of a span of time,
    within the viewer's jurisdiction (``actor=None`` is the local CLI and sees everything).

    Counted by the KPI engine — the same figures and code path as ``GET /api/v1/kpis/
    telecom`` for that month: tickets received in the span, of those resolved at level 1 /
    level 2 (``level`` of ``resolve_at_intake``); dispatches to branches in the span, of
    those with the branch's ``network_quality`` verdict true, or with any verdict. Tickets
    still awaiting a verdict count in the accuracy's denominator (``branch_pending``).
    """
    if period is not None and (received_from is not None or received_to is not None):
        raise InvalidInput(
            "月份与起止日期只能给出一种 / give either a period or received_from/received_to"
        )
    span: Period | kpis.Window = (
        period if period is not None else kpis.Window(received_from, received_to)
    )
    return telecom_kpis.preprocessing(uow, kpis.scoped_context(uow, actor, span))
