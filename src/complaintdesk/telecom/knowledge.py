"""Knowledge sources of telecom pre-processing: alarms, blind spots, scripts (SPEC §7).

Imported from CSV/Excel or sent through the API; each record has an external id, so a
re-import updates instead of duplicating. ``actor=None`` is the local CLI (trusted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.errors import InvalidInput, NotFound, PermissionDenied
from complaintdesk.org.model import Actor, Role
from complaintdesk.telecom import importers
from complaintdesk.telecom.diagnosis import Alarm, BlindSpot, Phenomenon, Script
from complaintdesk.telecom.tables import TelecomAlarmRow, TelecomBlindSpotRow, TelecomScriptRow

EDITORS = frozenset({Role.ADMIN, Role.LEADER, Role.DISPATCHER})
# Alarms cleared longer ago than this cannot explain a complaint any more.
ALARM_LOOKBACK = timedelta(days=3)


def require_editor(actor: Actor | None) -> None:
    if actor is not None and not actor.roles & EDITORS:
        raise PermissionDenied(
            "无权维护预处理知识库 / not allowed to maintain the pre-processing knowledge"
        )


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
    row.sms_template = script.sms_template
    row.active = True


def upsert_alarms(
    uow: SqlUnitOfWork, actor: Actor | None, items: list[tuple[str, Alarm]], now: datetime
) -> ImportResult:
    require_editor(actor)
    return _upsert(uow, TelecomAlarmRow, items, now, _fill_alarm)


def upsert_blind_spots(
    uow: SqlUnitOfWork, actor: Actor | None, items: list[tuple[str, BlindSpot]], now: datetime
) -> ImportResult:
    require_editor(actor)
    return _upsert(uow, TelecomBlindSpotRow, items, now, _fill_blind_spot)


def upsert_scripts(
    uow: SqlUnitOfWork, actor: Actor | None, items: list[tuple[str, Script]], now: datetime
) -> ImportResult:
    require_editor(actor)
    return _upsert(uow, TelecomScriptRow, items, now, _fill_script)


def clear_alarm(
    uow: SqlUnitOfWork,
    actor: Actor | None,
    alarm_id: int,
    *,
    cleared_at: datetime | None,
    expected_recovery_at: datetime | None,
    now: datetime,
) -> TelecomAlarmRow:
    """Update an alarm: cleared (告警清除) and/or a new expected recovery time."""
    require_editor(actor)
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
    uow: SqlUnitOfWork, actor: Actor | None, kind: str, data: bytes, filename: str, now: datetime
) -> ImportResult:
    """Import one CSV/Excel file of ``kind`` (alarms, blind-spots, scripts): all or nothing."""
    require_editor(actor)
    if kind not in importers.PARSERS:
        raise InvalidInput(
            f"未知的知识库类型 {kind}，可用 {sorted(importers.PARSERS)} / unknown kind {kind}"
        )
    items = importers.parse_all(importers.read_rows(data, filename), importers.PARSERS[kind])
    if kind == "alarms":
        return upsert_alarms(uow, actor, items, now)
    if kind == "blind-spots":
        return upsert_blind_spots(uow, actor, items, now)
    return upsert_scripts(uow, actor, items, now)


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
    stmt = select(TelecomScriptRow).where(TelecomScriptRow.active).order_by(TelecomScriptRow.id)
    return [script_from_row(r) for r in session.scalars(stmt)]
