"""The audit chain: entries appended in the same transaction as what they record.

Every complaint event (each state change, each identity reveal) gets an entry when its
transaction commits, whichever code path wrote it: the session notes which complaints got
events, and ``before_commit`` chains that complaint's events not yet in the log. Other
entries (reads of personal data, user administration) are staged with :func:`stage`.

Appends are serialised by the single ``audit_head`` row (``FOR UPDATE`` on PostgreSQL; the
write lock on SQLite), held only from ``before_commit`` to the commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, exists, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session

from complaintdesk.audit.tables import AuditEntryRow, AuditHeadRow
from complaintdesk.complaints.tables import ComplaintEventRow

GENESIS = "0" * 64
_COMPLAINTS = "audit_complaint_ids"
_PENDING = "audit_pending"
_EVENTS = "audit_staged_events"


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def event_detail(row: ComplaintEventRow) -> dict[str, Any]:
    """The event as the chain remembers it."""
    return {
        "complaint_id": row.complaint_id,
        "action": row.action,
        "at": _iso(row.at),
        "actor_id": row.actor_id,
        "from_status": row.from_status,
        "to_status": row.to_status,
        "reason": row.reason,
        "data": row.data or {},
    }


def event_detail_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`event_detail` of an event given as its column values (a bulk writer's row)."""
    return {
        "complaint_id": values["complaint_id"],
        "action": values["action"],
        "at": _iso(values["at"]),
        "actor_id": values["actor_id"],
        "from_status": values["from_status"],
        "to_status": values["to_status"],
        "reason": values["reason"],
        "data": values["data"] or {},
    }


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(entry)).encode()).hexdigest()


def entry_body(row: AuditEntryRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": _iso(row.at),
        "kind": row.kind,
        "actor_id": row.actor_id,
        "complaint_id": row.complaint_id,
        "event_id": row.event_id,
        "detail": row.detail or {},
    }


def stage(
    session: Session,
    *,
    kind: str,
    at: datetime,
    actor_id: int | None,
    complaint_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Queue an entry; it is chained when the session commits (and dropped on rollback)."""
    session.info.setdefault(_PENDING, []).append(
        {
            "kind": kind,
            "at": at,
            "actor_id": actor_id,
            "complaint_id": complaint_id,
            "event_id": None,
            "detail": json.loads(canonical(detail or {})),
        }
    )


def stage_events(session: Session, events: Iterable[Mapping[str, Any]]) -> None:
    """Chain complaint events a bulk writer has stored outside the ORM (COPY, raw executemany).

    Each mapping holds the event's column values as stored, ``id`` included, with JSON-native
    ``data``; the events are chained at commit like any other, without being read back.
    """
    staged = session.info.setdefault(_EVENTS, [])
    for values in events:
        staged.append(
            {
                "kind": f"event:{values['action']}",
                "at": values["at"],
                "actor_id": values["actor_id"],
                "complaint_id": values["complaint_id"],
                "event_id": values["id"],
                "detail": event_detail_of(values),
            }
        )


# --- noticing events, whichever way they were written --------------------------------


@event.listens_for(Session, "do_orm_execute")
def _notice_event_inserts(state: ORMExecuteState) -> None:
    if not state.is_insert:
        return
    table = getattr(state.statement, "table", None)
    if table is None or table.name != ComplaintEventRow.__tablename__:
        return
    params: Any = state.parameters
    rows: list[Any] = params if isinstance(params, list) else [params or {}]
    ids = state.session.info.setdefault(_COMPLAINTS, set())
    ids.update(r["complaint_id"] for r in rows if r.get("complaint_id") is not None)


@event.listens_for(Session, "before_flush")
def _notice_event_objects(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in session.new:
        if isinstance(obj, ComplaintEventRow) and obj.complaint_id is not None:
            session.info.setdefault(_COMPLAINTS, set()).add(obj.complaint_id)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_COMPLAINTS, None)
    session.info.pop(_PENDING, None)
    session.info.pop(_EVENTS, None)


@event.listens_for(Session, "before_commit")
def _chain(session: Session) -> None:
    complaint_ids = session.info.pop(_COMPLAINTS, set())
    pending = session.info.pop(_PENDING, [])
    staged = session.info.pop(_EVENTS, [])
    if not complaint_ids and not pending and not staged:
        return
    session.flush()
    entries: list[dict[str, Any]] = []
    if complaint_ids:
        chained = exists().where(AuditEntryRow.event_id == ComplaintEventRow.id)
        rows = session.scalars(
            select(ComplaintEventRow)
            .where(ComplaintEventRow.complaint_id.in_(sorted(complaint_ids)), ~chained)
            .order_by(ComplaintEventRow.id)
        )
        for row in rows:
            entries.append(
                {
                    "kind": f"event:{row.action}",
                    "at": row.at,
                    "actor_id": row.actor_id,
                    "complaint_id": row.complaint_id,
                    "event_id": row.id,
                    "detail": event_detail(row),
                }
            )
    if staged:
        # Staged events were written outside the ORM, so the query above did not see them
        # unless the same complaints also got ORM events; chain each once, in id order.
        have = {e["event_id"] for e in entries}
        entries.extend(e for e in staged if e["event_id"] not in have)
        entries.sort(key=lambda e: e["event_id"])
    entries.extend(pending)
    if entries:
        _append(session, entries)


def _append(session: Session, entries: list[dict[str, Any]]) -> None:
    # The INSERT takes SQLite's write lock at once; FOR UPDATE takes PostgreSQL's row lock.
    session.execute(
        text(
            "INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, :g)"
            " ON CONFLICT (id) DO NOTHING"
        ),
        {"g": GENESIS},
    )
    head = session.execute(
        select(AuditHeadRow.last_id, AuditHeadRow.last_hash)
        .where(AuditHeadRow.id == 1)
        .with_for_update()
    ).one()
    last_id, last_hash = int(head.last_id), str(head.last_hash)
    values = []
    for entry in entries:
        last_id += 1
        # entry_body() of the row about to be stored, without building ORM objects.
        body = {
            "id": last_id,
            "at": _iso(entry["at"]),
            "kind": entry["kind"],
            "actor_id": entry["actor_id"],
            "complaint_id": entry["complaint_id"],
            "event_id": entry["event_id"],
            "detail": entry["detail"] or {},
        }
        prev_hash, last_hash = last_hash, entry_hash(last_hash, body)
        values.append({**entry, "id": last_id, "prev_hash": prev_hash, "hash": last_hash})
    _insert_entries(session, values)
    session.execute(
        update(AuditHeadRow)
        .where(AuditHeadRow.id == 1)
        .values(last_id=last_id, last_hash=last_hash)
    )


_COPY_FROM = 100  # entries; below this a plain INSERT is as quick
_ENTRY_COLUMNS = (
    "id",
    "at",
    "kind",
    "actor_id",
    "complaint_id",
    "event_id",
    "detail",
    "prev_hash",
    "hash",
)


def _insert_entries(session: Session, values: list[dict[str, Any]]) -> None:
    """Store chained entries: Core executemany, or ``COPY`` for a bulk import on PostgreSQL."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or len(values) < _COPY_FROM:
        connection.execute(insert(AuditEntryRow.__table__), values)  # type: ignore[arg-type]
        return
    raw: Any = connection.connection.driver_connection
    statement = f"COPY audit_log ({', '.join(_ENTRY_COLUMNS)}) FROM STDIN"
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for v in values:
                at = v["at"]
                if at.tzinfo is None:  # as UTCDateTime refuses it
                    raise ValueError("naive datetime given to a UTC column")
                copy.write_row(
                    (
                        v["id"],
                        at.astimezone(UTC).replace(tzinfo=None),
                        v["kind"],
                        v["actor_id"],
                        v["complaint_id"],
                        v["event_id"],
                        canonical(v["detail"] or {}),
                        v["prev_hash"],
                        v["hash"],
                    )
                )
    except raw.Error as exc:
        raise DBAPIError.instance(statement, None, exc, raw.Error) from exc


# --- verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    entry_id: int | None = None
    message: str = ""


def verify(session: Session) -> Verdict:
    """Walk the chain from the start; report the first edited, inserted or deleted entry."""
    head = session.execute(select(AuditHeadRow.last_id, AuditHeadRow.last_hash)).first()
    head_id = int(head.last_id) if head else 0
    prev, expected_id, checked = GENESIS, 1, 0
    stmt = select(AuditEntryRow).order_by(AuditEntryRow.id).execution_options(yield_per=1000)
    for row in session.scalars(stmt):
        if row.id > head_id:
            return Verdict(
                False,
                checked,
                row.id,
                f"审计记录 {row.id} 是链外插入的 / entry {row.id} was inserted outside the chain",
            )
        if row.id != expected_id:
            return Verdict(
                False,
                checked,
                expected_id,
                f"审计记录 {expected_id} 已被删除 / entry {expected_id} was deleted",
            )
        if row.prev_hash != prev:
            return Verdict(
                False,
                checked,
                row.id,
                f"审计记录 {row.id} 与前一条不衔接（被替换或插入）"
                f" / entry {row.id} does not follow the one before (replaced or inserted)",
            )
        if entry_hash(prev, entry_body(row)) != row.hash:
            return Verdict(
                False, checked, row.id, f"审计记录 {row.id} 已被修改 / entry {row.id} was edited"
            )
        if row.event_id is not None:
            found = session.get(ComplaintEventRow, row.event_id)
            if found is None:
                return Verdict(
                    False,
                    checked,
                    row.id,
                    f"投诉事件 {row.event_id}（审计记录 {row.id}）已被删除"
                    f" / complaint event {row.event_id} (entry {row.id}) was deleted",
                )
            if canonical(event_detail(found)) != canonical(row.detail):
                return Verdict(
                    False,
                    checked,
                    row.id,
                    f"投诉事件 {row.event_id}（审计记录 {row.id}）已被修改"
                    f" / complaint event {row.event_id} (entry {row.id}) was edited",
                )
            session.expunge(found)
        prev, expected_id, checked = row.hash, expected_id + 1, checked + 1
    if expected_id - 1 < head_id:
        return Verdict(
            False,
            checked,
            expected_id,
            f"审计记录 {expected_id} 起已被删除 / entries from {expected_id} on were deleted",
        )
    if head is not None and prev != head.last_hash:
        return Verdict(False, checked, head_id, "审计链尾不符 / the chain's head does not match")
    unchained = session.scalar(
        select(ComplaintEventRow.id)
        .where(~exists().where(AuditEntryRow.event_id == ComplaintEventRow.id))
        .order_by(ComplaintEventRow.id)
        .limit(1)
    )
    if unchained is not None:
        return Verdict(
            False,
            checked,
            None,
            f"投诉事件 {unchained} 不在审计链中（链外插入）"
            f" / complaint event {unchained} is not in the chain (inserted outside it)",
        )
    return Verdict(True, checked, None, f"审计链完整，共 {checked} 条 / chain intact: {checked}")
