"""The audit chain: entries appended in the same transaction as what they record.

Every complaint event (each state change, each identity reveal) gets an entry when its
transaction commits, whichever code path wrote it: the session notes which complaints got
events, and ``before_commit`` chains that complaint's events not yet in the log. Other
entries (reads of personal data, user administration) are staged with :func:`stage`.

Appends are serialised by the single ``audit_head`` row (``FOR UPDATE`` on PostgreSQL; the
write lock on SQLite), held only from ``before_commit`` to the commit. Entries are sealed with
the HMAC key (:func:`complaintdesk.audit.seal.seal`) on every path, the ``COPY`` of a bulk
import included; verification lives in :mod:`complaintdesk.audit.verify`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, exists, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from complaintdesk.audit import keys, seal
from complaintdesk.audit.tables import AuditEntryRow, AuditHeadRow
from complaintdesk.complaints.tables import ComplaintEventRow

AUDIT_KEY = "audit_key"  # session.info: the HMAC key, set by the composition root
_COMPLAINTS = "audit_complaint_ids"
_PENDING = "audit_pending"
_EVENTS = "audit_staged_events"
canonical = seal.canonical


def bind_key(session_factory: sessionmaker[Session], key: bytes) -> None:
    """Give every session of ``session_factory`` the audit key (``bootstrap`` does this)."""
    session_factory.configure(info={AUDIT_KEY: key})


def key_of(session: Session) -> bytes:
    """The audit key of ``session``: the one bootstrap bound, else this process's settings
    (a worker that made its own engine and sessions still seals with the same key)."""
    key = session.info.get(AUDIT_KEY)
    if key is None:
        from complaintdesk.config import get_settings

        settings = get_settings()
        key = session.info[AUDIT_KEY] = keys.load_key(settings.audit_key_file, settings.secret_key)
    return bytes(key)


def event_detail(row: ComplaintEventRow) -> dict[str, Any]:
    """The event as the chain remembers it."""
    return {
        "complaint_id": row.complaint_id,
        "action": row.action,
        "at": seal.iso(row.at),
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
        "at": seal.iso(values["at"]),
        "actor_id": values["actor_id"],
        "from_status": values["from_status"],
        "to_status": values["to_status"],
        "reason": values["reason"],
        "data": values["data"] or {},
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
    key = key_of(session)  # before the lock: a bad key file fails without holding it
    # The INSERT takes SQLite's write lock at once; FOR UPDATE takes PostgreSQL's row lock.
    last_id, last_mac = lock_head(session)
    values = seal.seal(key, last_id, last_mac, entries)
    _insert_entries(session, values)
    session.execute(
        update(AuditHeadRow)
        .where(AuditHeadRow.id == 1)
        .values(last_id=values[-1]["id"], last_hash=values[-1]["hash"])
    )


def lock_head(session: Session) -> tuple[int, str]:
    """Create the head if needed and lock it until commit: ``(last id, last MAC)``."""
    session.execute(
        text(
            "INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, :g)"
            " ON CONFLICT (id) DO NOTHING"
        ),
        {"g": seal.GENESIS},
    )
    head = session.execute(
        select(AuditHeadRow.last_id, AuditHeadRow.last_hash)
        .where(AuditHeadRow.id == 1)
        .with_for_update()
    ).one()
    return int(head.last_id), str(head.last_hash)


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
