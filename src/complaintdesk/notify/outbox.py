"""Transactional outbox: notifications are written with the event that caused them and
delivered later by workers, with retry and exponential backoff (ARCHITECTURE decision 6).

Exactly-once, as far as the database can promise it:

- ``enqueue`` inserts with ``ON CONFLICT (dedup_key) DO NOTHING``: a second sweep, a second
  worker or a retried transaction cannot queue the same notice twice.
- ``deliver`` claims due rows with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL and keeps
  them locked while it sends, so two workers never send one row. SQLite has no row locks:
  run one worker there (it is the single-writer laptop database anyway).
- A worker that dies after the SMTP server accepted a message but before its commit will send
  that message again: delivery is at-least-once across crashes. The dedup key travels with the
  message (``X-Complaintdesk-Ref`` header, SMS ``ref``) so receivers can drop such a repeat.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from complaintdesk.kernel.errors import InvalidInput, NotFound
from complaintdesk.kernel.sealing import SealBroken, seal, unseal
from complaintdesk.notify.base import DeliveryError, Message
from complaintdesk.notify.registry import NotifierRegistry
from complaintdesk.notify.tables import OutboxRow

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"
STATES = (PENDING, SENT, FAILED)
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 60
BACKOFF_CAP_SECONDS = 6 * 3600


# A secret in a message body (a query code) is queued sealed and opened only when sent:
# the outbox table never holds it in plaintext (kernel.sealing).
SEAL_PURPOSE = "outbox-secret"
_SEALED = re.compile(r"⟦sealed:([A-Za-z0-9_.-]+)⟧")


def sealed(secret_key: str, secret: str) -> str:
    """``secret`` as it may stand in a queued body; :func:`deliver` opens it at send time."""
    return f"⟦sealed:{seal(secret_key, SEAL_PURPOSE, secret)}⟧"


def opened(body: str, secret_key: str | None) -> str:
    """The body as sent: every sealed secret opened (DeliveryError when one cannot be)."""
    if "⟦sealed:" not in body:
        return body
    if not secret_key:
        raise DeliveryError("通知含密封内容但未提供密钥 / sealed content but no secret key")
    try:
        return _SEALED.sub(lambda m: unseal(secret_key, SEAL_PURPOSE, m.group(1)), body)
    except SealBroken as exc:
        raise DeliveryError(f"密封内容无法打开 / sealed content cannot be opened: {exc}") from exc


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt wait 1, 2, 4, 8 … minutes, at most 6 hours."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, BACKOFF_CAP_SECONDS))


def enqueue(
    session: Session,
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    dedup_key: str,
    now: datetime,
    complaint_id: int | None = None,
    reply_to: str | None = None,
    message_id: str | None = None,
) -> bool:
    """Queue one message in the caller's transaction. False if the key was already queued.

    ``message_id`` (an e-mail's ``Message-ID``, with its angle brackets) is kept so that
    e-mail intake can recognise a reply to it."""
    values: dict[str, Any] = {
        "channel": channel,
        "recipient": recipient,
        "subject": subject[:300],
        "body": body,
        "reply_to": reply_to[:300] if reply_to else None,
        "message_id": message_id[:300] if message_id else None,
        "complaint_id": complaint_id,
        "dedup_key": dedup_key[:200],
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        make(OutboxRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(OutboxRow.id)
    )
    # A row comes back only when it was inserted (rowcount is not reliable with RETURNING).
    return session.execute(stmt).first() is not None


def queued_since(session: Session, *, recipient: str, key_prefix: str, since: datetime) -> int:
    """How many messages with this dedup-key prefix were queued for ``recipient`` since then.

    On PostgreSQL this first takes a transaction-scoped advisory lock on the recipient, so
    two processes counting for one address take turns and cannot both see "none yet" and
    both queue. SQLite needs no lock: the caller has already written in this transaction,
    so it holds the database write lock, and a snapshot older than another writer's commit
    cannot write (SQLITE_BUSY) rather than count stale rows.
    """
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"outbox:{recipient}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    found = session.scalar(
        select(func.count(OutboxRow.id)).where(
            OutboxRow.recipient == recipient,
            OutboxRow.created_at >= since,
            OutboxRow.dedup_key.startswith(key_prefix, autoescape=True),
        )
    )
    return int(found or 0)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.sent + other.sent, self.retried + other.retried, self.failed + other.failed
        )


def _claim(session: Session, now: datetime, batch: int) -> Select[tuple[OutboxRow]]:
    stmt = (
        select(OutboxRow)
        .where(OutboxRow.state == PENDING, OutboxRow.next_attempt_at <= now)
        .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return stmt


def deliver(
    session_factory: sessionmaker[Session],
    registry: NotifierRegistry,
    now: datetime,
    *,
    batch: int = 50,
    max_batches: int = 100,
    max_attempts: int = MAX_ATTEMPTS,
    secret_key: str | None = None,
) -> DeliveryReport:
    """Send what is due. Each batch is one transaction holding its rows' locks.

    ``secret_key`` opens the sealed secrets of bodies queued with :func:`sealed`."""
    total = DeliveryReport()
    for _ in range(max_batches):
        with session_factory() as session:
            rows = list(session.scalars(_claim(session, now, batch)))
            if not rows:
                break
            report = DeliveryReport()
            for row in rows:
                _deliver_one(row, registry, now, max_attempts, report, secret_key)
            session.commit()
        total = total + report
        if len(rows) < batch:
            break
    return total


def _deliver_one(
    row: OutboxRow,
    registry: NotifierRegistry,
    now: datetime,
    max_attempts: int,
    report: DeliveryReport,
    secret_key: str | None = None,
) -> None:
    row.attempts += 1
    try:
        message = Message(
            row.channel,
            row.recipient,
            opened(row.subject, secret_key),
            opened(row.body, secret_key),
            row.dedup_key or "",
            reply_to=opened(row.reply_to or "", secret_key),
            message_id=row.message_id or "",
        )
        registry.send(message)
    except Exception as exc:
        # Any failure of a channel, even a bug, is a failed attempt of this row only: the
        # rest of the batch (maybe already sent) must still commit.
        if not isinstance(exc, DeliveryError):
            log.exception("outbox %s: unexpected error from channel %s", row.id, row.channel)
        row.last_error = str(exc)[:2000]
        if row.attempts >= max_attempts:
            row.state = FAILED
            report.failed += 1
            log.warning("outbox %s failed for good: %s", row.id, exc)
        else:
            row.next_attempt_at = now + retry_delay(row.attempts)
            report.retried += 1
            log.info("outbox %s attempt %s failed: %s", row.id, row.attempts, exc)
        return
    row.state = SENT
    row.sent_at = now
    row.last_error = None
    report.sent += 1


# --- what admins see and do -------------------------------------------------------------


def list_messages(
    session: Session,
    *,
    state: str | None = None,
    complaint_id: int | None = None,
    limit: int = 50,
) -> list[OutboxRow]:
    if state is not None and state not in STATES:
        raise InvalidInput(f"未知状态 {state}，可选 {', '.join(STATES)} / unknown state {state}")
    stmt = select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit)
    if state:
        stmt = stmt.where(OutboxRow.state == state)
    if complaint_id is not None:
        stmt = stmt.where(OutboxRow.complaint_id == complaint_id)
    return list(session.scalars(stmt))


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxRow.state, func.count()).group_by(OutboxRow.state))
    return {state: int(n) for state, n in rows}


def retry_now(session: Session, message_id: int, now: datetime) -> OutboxRow:
    """Put a failed (or waiting) message back in the queue for the next worker cycle."""
    row = session.get(OutboxRow, message_id)
    if row is None:
        raise NotFound(f"通知 {message_id} 不存在 / outbox message {message_id} not found")
    if row.state == SENT:
        raise InvalidInput(f"通知 {message_id} 已发送 / message {message_id} was already sent")
    row.state = PENDING
    row.next_attempt_at = now
    row.attempts = 0
    return row


def as_dict(row: OutboxRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel": row.channel,
        "recipient": row.recipient,
        "subject": row.subject,
        "complaint_id": row.complaint_id,
        "dedup_key": row.dedup_key,
        "state": row.state,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "last_error": row.last_error,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
    }
