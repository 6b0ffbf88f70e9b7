"""Knowledge sources of telecom pre-processing: alarms, blind spots, scripts (SPEC §7).

Imported from CSV/Excel or sent through the API; each record has an external id, so a
re-import updates instead of duplicating. ``actor=None`` is the local CLI (trusted).

The knowledge is the telecom organisation's (:mod:`complaintdesk.telecom.access`): the
support centre (the root telecom unit named by ``telecom_root_unit``) keeps it and approves
the scripts' SMS templates; branches read what is theirs; the hotline tree reads nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from complaintdesk.audit import service as audit
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.errors import InvalidInput, NotFound
from complaintdesk.org.model import Actor, Unit, UnitKind
from complaintdesk.org.repository import subtree_range
from complaintdesk.org.tables import UnitRow
from complaintdesk.telecom import access, importers
from complaintdesk.telecom.diagnosis import Alarm, BlindSpot, Phenomenon, Script, check_template
from complaintdesk.telecom.tables import TelecomAlarmRow, TelecomBlindSpotRow, TelecomScriptRow

# Alarms cleared longer ago than this cannot explain a complaint any more.
ALARM_LOOKBACK = timedelta(days=3)


def telecom_root(uow: SqlUnitOfWork, root_code: str) -> Unit | None:
    """The root unit of the telecom organisation, or None when no unit has that code."""
    return uow.units.by_code(root_code) if root_code else None


def require_keeper(uow: SqlUnitOfWork, actor: Actor | None, root_code: str) -> Unit | None:
    if actor is None:
        return telecom_root(uow, root_code)
    root = telecom_root(uow, root_code)
    access.require_keeper(actor, root)
    return root


def require_reader(
    uow: SqlUnitOfWork, actor: Actor | None, root_code: str
) -> tuple[access.Standing, Unit | None]:
    root = telecom_root(uow, root_code)
    return access.require_reader(actor, root), root


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _upsert(
    uow: SqlUnitOfWork,
    model: type[Any],
    items: list[tuple[str, Any]],
    now: datetime,
    fill: Callable[[Any, Any], None],
) -> ImportResult:
    """Create or update rows by external id: the existing rows come in one query."""
    items = _unique(items)
    ids = [external_id for external_id, _ in items]
    existing = {
        row.external_id: row
        for row in uow.session.scalars(select(model).where(model.external_id.in_(ids)))
    }
    for external_id, record in items:
        row = existing.get(external_id)
        if row is None:
            row = model(external_id=external_id)
            uow.session.add(row)
        fill(row, record)
        row.updated_at = now
    uow.commit()
    return ImportResult(created=len(items) - len(existing), updated=len(existing))


def _branches(
    uow: SqlUnitOfWork, root: Unit | None, records: list[Alarm] | list[BlindSpot]
) -> dict[str, int]:
    """Unit ids of the branch codes named by ``records``: each must be a city branch in the
    telecom organisation, or the whole batch is refused."""
    out: dict[str, int] = {}
    for code in sorted({r.branch for r in records if r.branch}):
        unit = uow.units.by_code(code)
        if (
            unit is None
            or unit.kind is not UnitKind.BRANCH
            or (root is not None and not root.contains(unit.path))
        ):
            raise InvalidInput(
                f"所属分公司 {code} 不是电信市分公司 / branch {code} is not a telecom city branch"
            )
        out[code] = unit.id
    return out


def _fill_alarm(row: TelecomAlarmRow, alarm: Alarm) -> None:
    row.site = alarm.site
    row.areas = list(alarm.areas)
    row.cells = list(alarm.cells)
    row.description = alarm.description
    row.started_at = alarm.started_at
    row.expected_recovery_at = alarm.expected_recovery_at
    row.cleared_at = alarm.cleared_at


def _fill_blind_spot(row: TelecomBlindSpotRow, spot: BlindSpot) -> None:
    row.name = spot.name
    row.areas = list(spot.areas)
    row.cells = list(spot.cells)
    row.polygon = [list(p) for p in spot.polygon] or None
    row.planned_fix = spot.planned_fix
    row.active = True


def _fill_script(row: TelecomScriptRow, script: Script) -> None:
    row.title = script.title
    row.phenomena = [p.value for p in script.phenomena]
    row.keywords = list(script.keywords)
    row.handset_model = script.handset_model
    row.os = script.os
    row.explanation = script.explanation
    if row.sms_template != script.sms_template:
        # A changed text is a new template: it waits for a new approval before any send.
        row.approved_at, row.approved_by = None, None
    row.sms_template = script.sms_template
    row.active = True


def upsert_alarms(
    uow: SqlUnitOfWork,
    actor: Actor | None,
    items: list[tuple[str, Alarm]],
    now: datetime,
    *,
    root_code: str,
) -> ImportResult:
    root = require_keeper(uow, actor, root_code)
    branch = _branches(uow, root, [a for _, a in items])

    def fill(row: TelecomAlarmRow, alarm: Alarm) -> None:
        _fill_alarm(row, alarm)
        row.unit_id = branch.get(alarm.branch)

    return _upsert(uow, TelecomAlarmRow, items, now, fill)


def upsert_blind_spots(
    uow: SqlUnitOfWork,
    actor: Actor | None,
    items: list[tuple[str, BlindSpot]],
    now: datetime,
    *,
    root_code: str,
) -> ImportResult:
    root = require_keeper(uow, actor, root_code)
    branch = _branches(uow, root, [b for _, b in items])

    def fill(row: TelecomBlindSpotRow, spot: BlindSpot) -> None:
        _fill_blind_spot(row, spot)
        row.unit_id = branch.get(spot.branch)

    return _upsert(uow, TelecomBlindSpotRow, items, now, fill)


def upsert_scripts(
    uow: SqlUnitOfWork,
    actor: Actor | None,
    items: list[tuple[str, Script]],
    now: datetime,
    *,
    root_code: str,
) -> ImportResult:
    require_keeper(uow, actor, root_code)
    return _upsert(uow, TelecomScriptRow, items, now, _fill_script)


def approve_script(
    uow: SqlUnitOfWork, actor: Actor | None, script_id: int, *, root_code: str, now: datetime
) -> TelecomScriptRow:
    """The support centre approves a script's SMS template (审核): from now on it may be
    sent. The approval, with a digest of the exact text approved, goes into the audit log."""
    require_keeper(uow, actor, root_code)
    row = uow.session.get(TelecomScriptRow, script_id)
    if row is None:
        raise NotFound(f"脚本 {script_id} 不存在 / script {script_id} not found")
    check_template(row.sms_template)
    row.approved_at, row.approved_by = now, actor.user_id if actor else None
    audit.record(
        uow,
        actor_id=actor.user_id if actor else None,
        kind="telecom_template_approved",
        at=now,
        detail={
            "script_id": row.id,
            "external_id": row.external_id,
            "sms_template_sha256": hashlib.sha256(row.sms_template.encode()).hexdigest(),
        },
    )
    uow.commit()
    return row


def clear_alarm(
    uow: SqlUnitOfWork,
    actor: Actor | None,
    alarm_id: int,
    *,
    cleared_at: datetime | None,
    expected_recovery_at: datetime | None,
    now: datetime,
    root_code: str,
) -> TelecomAlarmRow:
    """Update an alarm: cleared (告警清除) and/or a new expected recovery time."""
    require_keeper(uow, actor, root_code)
    row = uow.session.get(TelecomAlarmRow, alarm_id)
    if row is None:
        raise NotFound(f"告警 {alarm_id} 不存在 / alarm {alarm_id} not found")
    if cleared_at is not None:
        if cleared_at < row.started_at:
            raise InvalidInput("清除时间早于开始时间 / cleared before it started")
        if cleared_at > now:
            raise InvalidInput("清除时间不能晚于现在 / cleared_at is in the future")
        row.cleared_at = cleared_at
    if expected_recovery_at is not None:
        row.expected_recovery_at = expected_recovery_at
    row.updated_at = now
    uow.commit()
    return row


def _unique(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    seen: set[str] = set()
    for external_id, _ in items:
        if not external_id.strip():
            raise InvalidInput("编号不能为空 / external id is required")
        if external_id in seen:
            raise InvalidInput(f"编号重复 / duplicate external id: {external_id}")
        seen.add(external_id)
    return items


def import_file(
    uow: SqlUnitOfWork,
    actor: Actor | None,
    kind: str,
    data: bytes,
    filename: str,
    now: datetime,
    *,
    root_code: str,
) -> ImportResult:
    """Import one CSV/Excel file of ``kind`` (alarms, blind-spots, scripts): all or nothing."""
    require_keeper(uow, actor, root_code)
    if kind not in importers.PARSERS:
        raise InvalidInput(
            f"未知的知识库类型 {kind}，可用 {sorted(importers.PARSERS)} / unknown kind {kind}"
        )
    items = importers.parse_all(importers.read_rows(data, filename), importers.PARSERS[kind])
    if kind == "alarms":
        return upsert_alarms(uow, actor, items, now, root_code=root_code)
    if kind == "blind-spots":
        return upsert_blind_spots(uow, actor, items, now, root_code=root_code)
    return upsert_scripts(uow, actor, items, now, root_code=root_code)


# --- reading -----------------------------------------------------------------------


def alarm_from_row(row: TelecomAlarmRow) -> Alarm:
    return Alarm(
        id=row.id,
        site=row.site,
        areas=tuple(row.areas or ()),
        cells=tuple(row.cells or ()),
        started_at=row.started_at,
        expected_recovery_at=row.expected_recovery_at,
        cleared_at=row.cleared_at,
        description=row.description,
    )


def blind_spot_from_row(row: TelecomBlindSpotRow) -> BlindSpot:
    return BlindSpot(
        id=row.id,
        name=row.name,
        areas=tuple(row.areas or ()),
        cells=tuple(row.cells or ()),
        polygon=tuple((float(p[0]), float(p[1])) for p in row.polygon or ()),
        planned_fix=row.planned_fix,
    )


def script_from_row(row: TelecomScriptRow) -> Script:
    return Script(
        id=row.id,
        title=row.title,
        explanation=row.explanation,
        sms_template=row.sms_template,
        phenomena=tuple(Phenomenon(p) for p in row.phenomena or ()),
        keywords=tuple(row.keywords or ()),
        handset_model=row.handset_model,
        os=row.os,
    )


def alarms(session: Session, now: datetime, *, active_only: bool = False) -> list[Alarm]:
    stmt = select(TelecomAlarmRow).order_by(TelecomAlarmRow.started_at.desc())
    if active_only:
        stmt = stmt.where(TelecomAlarmRow.cleared_at.is_(None))
    else:
        stmt = stmt.where(
            or_(
                TelecomAlarmRow.cleared_at.is_(None),
                TelecomAlarmRow.cleared_at >= now - ALARM_LOOKBACK,
            )
        )
    return [alarm_from_row(r) for r in session.scalars(stmt)]


def blind_spots(session: Session) -> list[BlindSpot]:
    stmt = (
        select(TelecomBlindSpotRow)
        .where(TelecomBlindSpotRow.active)
        .order_by(TelecomBlindSpotRow.id)
    )
    return [blind_spot_from_row(r) for r in session.scalars(stmt)]


def scripts(session: Session) -> list[Script]:
    """The scripts level 1 may offer: active and approved (an unapproved text is never sent)."""
    stmt = (
        select(TelecomScriptRow)
        .where(TelecomScriptRow.active, TelecomScriptRow.approved_at.is_not(None))
        .order_by(TelecomScriptRow.id)
    )
    return [script_from_row(r) for r in session.scalars(stmt)]


# --- what staff may read -------------------------------------------------------------


def _of_branch(stmt: Select[Any], model: Any, actor: Actor) -> Select[Any]:
    """Only the records of a branch in the actor's subtree (untagged ones are the centre's)."""
    lo, hi = subtree_range(actor.unit_path)
    mine = select(UnitRow.id).where(UnitRow.path >= lo, UnitRow.path < hi)
    return stmt.where(model.unit_id.in_(mine))


def list_alarms(
    uow: SqlUnitOfWork, actor: Actor | None, *, root_code: str, active: bool
) -> list[TelecomAlarmRow]:
    seat, _root = require_reader(uow, actor, root_code)
    stmt = select(TelecomAlarmRow).order_by(TelecomAlarmRow.started_at.desc()).limit(500)
    if active:
        stmt = stmt.where(TelecomAlarmRow.cleared_at.is_(None))
    if seat is access.Standing.BRANCH and actor is not None:
        stmt = _of_branch(stmt, TelecomAlarmRow, actor)
    return list(uow.session.scalars(stmt))


def list_blind_spots(
    uow: SqlUnitOfWork, actor: Actor | None, *, root_code: str
) -> list[TelecomBlindSpotRow]:
    seat, _root = require_reader(uow, actor, root_code)
    stmt = select(TelecomBlindSpotRow).order_by(TelecomBlindSpotRow.id)
    if seat is access.Standing.BRANCH and actor is not None:
        stmt = _of_branch(stmt, TelecomBlindSpotRow, actor)
    return list(uow.session.scalars(stmt))


def list_scripts(
    uow: SqlUnitOfWork, actor: Actor | None, *, root_code: str
) -> list[TelecomScriptRow]:
    """Scripts serve the whole province: branches read the approved ones, which they may send."""
    seat, _root = require_reader(uow, actor, root_code)
    stmt = select(TelecomScriptRow).order_by(TelecomScriptRow.id)
    if seat is access.Standing.BRANCH:
        stmt = stmt.where(TelecomScriptRow.active, TelecomScriptRow.approved_at.is_not(None))
    return list(uow.session.scalars(stmt))
