"""Walking the audit chain: the first edited, inserted, deleted or unreadable entry, by id.

Rows are read as the database returns them, ``at`` and JSON cast to text, and judged by
:mod:`complaintdesk.audit.rules`: a row written with raw SQL (invalid JSON, NULLs, wrong
types) becomes a finding that names it, never an exception out of a type decoder. With an
anchor (the head as `audit anchor` printed it, kept elsewhere), the walk also proves the
anchored entry still carries its MAC and the chain has not been cut back before it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from complaintdesk.audit import rules, seal

PAGE = 1000
ENTRIES = text(  # a page of entries after :after, as stored
    "SELECT id, CAST(at AS TEXT) AS at, kind, actor_id, complaint_id, event_id,"
    " CAST(detail AS TEXT) AS detail, prev_hash, hash"
    " FROM audit_log WHERE id > :after ORDER BY id LIMIT :n"
)
_EVENTS = text(
    "SELECT id, complaint_id, action, CAST(at AS TEXT) AS at, actor_id, from_status,"
    " to_status, reason, CAST(data AS TEXT) AS data FROM complaint_events WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True))
_UNCHAINED = text(
    "SELECT e.id FROM complaint_events e WHERE NOT EXISTS"
    " (SELECT 1 FROM audit_log a WHERE a.event_id = e.id) ORDER BY e.id LIMIT 1"
)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    entry_id: int | None = None
    message: str = ""
    last_id: int = 0  # the last entry walked, and its MAC: what `audit anchor` prints
    last_mac: str = seal.GENESIS


@dataclass(frozen=True)
class _Walk:
    verdict: Verdict
    legacy_through: int = 0  # the last entry sealed only with plain SHA-256 (rekey)


class _Broken(Exception):
    def __init__(self, entry_id: int | None, message: str) -> None:
        self.entry_id, self.message = entry_id, message


def verify(session: Session, key: bytes, anchor: rules.Anchor | None = None) -> Verdict:
    """Walk the chain from the start; name the first entry that does not verify."""
    return walk(session, key, anchor).verdict


def walk(
    session: Session,
    key: bytes,
    anchor: rules.Anchor | None = None,
    *,
    legacy_ok: bool = False,
    unchained_ok: bool = False,
) -> _Walk:
    """:func:`verify`; for re-sealing, ``legacy_ok`` lets a plain-SHA-256 prefix pass and
    ``unchained_ok`` events that never had an entry (re-sealing cannot add them)."""
    checked, prev, legacy = 0, seal.GENESIS, 0
    try:
        head_id, head_mac = _head(session)
        for entry, event in _entries(session, head_id):
            finding = rules.judge_seal(entry, prev, key, legacy_ok=legacy_ok)
            if finding == "legacy" and legacy < checked:  # after a keyed entry
                raise _Broken(entry.id, _legacy_after_keyed(entry.id))
            if finding == "legacy":
                legacy = entry.id
            elif finding is not None:
                raise _Broken(entry.id, finding)
            if entry.event_id is not None:
                _judge_event(entry, event)
            if anchor is not None and entry.id == anchor.last_id and entry.mac != anchor.mac:
                raise _Broken(entry.id, _anchor_mismatch(entry.id))
            prev, checked = entry.mac, checked + 1
        if checked < head_id:
            n = checked + 1
            raise _Broken(n, f"审计记录 {n} 起已被删除 / entries from {n} on were deleted")
        if prev != head_mac:
            raise _Broken(head_id, "审计链尾不符 / the chain's head does not match")
        if anchor is not None and anchor.last_id > checked:
            raise _Broken(checked + 1, _cut_before_anchor(checked, anchor.last_id))
        unchained = None if unchained_ok else session.execute(_UNCHAINED).scalar()
        if unchained is not None:
            raise _Broken(
                None,
                f"投诉事件 {unchained} 不在审计链中（链外插入）"
                f" / complaint event {unchained} is not in the chain (inserted outside it)",
            )
    except _Broken as broken:
        return _Walk(Verdict(False, checked, broken.entry_id, broken.message), legacy)
    message = f"审计链完整，共 {checked} 条 / chain intact: {checked}"
    if anchor is not None:
        message += f"；锚点 {anchor.last_id} 相符 / anchor at entry {anchor.last_id} holds"
    return _Walk(Verdict(True, checked, None, message, checked, prev), legacy)


def _head(session: Session) -> tuple[int, str]:
    raw = session.execute(text("SELECT last_id, last_hash FROM audit_head WHERE id = 1")).first()
    if raw is None:
        return 0, seal.GENESIS
    try:
        return rules.read_head(dict(raw._mapping))
    except rules.Unreadable as exc:
        raise _Broken(None, f"审计链头不可读（{exc}）/ the chain's head is unreadable") from None


def _entries(
    session: Session, head_id: int
) -> Iterator[tuple[rules.Entry, Mapping[str, Any] | None]]:
    """Entries in id order, each with its complaint event's row, a page at a time."""
    after, expected = 0, 1
    while True:
        page = [
            dict(r._mapping)
            for r in session.execute(ENTRIES, {"after": after, "n": PAGE}).fetchall()
        ]
        if not page:
            return
        event_ids = [r["event_id"] for r in page if isinstance(r["event_id"], int)]
        events = {}
        if event_ids:
            rows = session.execute(_EVENTS, {"ids": event_ids}).fetchall()
            events = {r.id: dict(r._mapping) for r in rows}
        for raw in page:
            n = raw["id"]
            if n > head_id:
                raise _Broken(
                    n, f"审计记录 {n} 是链外插入的 / entry {n} was inserted outside the chain"
                )
            if n != expected:
                raise _Broken(
                    expected, f"审计记录 {expected} 已被删除 / entry {expected} was deleted"
                )
            try:
                entry = rules.read_entry(raw)
            except rules.Unreadable as exc:
                raise _Broken(
                    n,
                    f"审计记录 {n} 不可读（{exc.column}：{exc.zh}）"
                    f" / entry {n} is unreadable ({exc.column}: {exc.en})",
                ) from None
            yield entry, events.get(entry.event_id) if entry.event_id is not None else None
            expected += 1
        after = page[-1]["id"]


def _judge_event(entry: rules.Entry, event: Mapping[str, Any] | None) -> None:
    n, e = entry.id, entry.event_id
    if event is None:
        raise _Broken(
            n, f"投诉事件 {e}（审计记录 {n}）已被删除 / complaint event {e} (entry {n}) was deleted"
        )
    try:
        remembered = rules.read_event(event)
    except rules.Unreadable as exc:
        raise _Broken(
            n,
            f"投诉事件 {e}（审计记录 {n}）不可读（{exc.column}：{exc.zh}）"
            f" / complaint event {e} (entry {n}) is unreadable ({exc.column}: {exc.en})",
        ) from None
    if seal.canonical(remembered) != seal.canonical(entry.detail):
        raise _Broken(
            n, f"投诉事件 {e}（审计记录 {n}）已被修改 / complaint event {e} (entry {n}) was edited"
        )


def _legacy_after_keyed(n: int) -> str:
    return (
        f"审计记录 {n} 在有密钥的记录之后却只有 SHA-256 摘要（被无密钥者重写）"
        f" / entry {n} carries a plain SHA-256 hash after keyed entries (rewritten without the key)"
    )


def _anchor_mismatch(n: int) -> str:
    return (
        f"审计记录 {n} 与锚点的 MAC 不符（锚定后被重写）"
        f" / entry {n} does not carry the anchored MAC (rewritten since it was anchored)"
    )


def _cut_before_anchor(last: int, anchored: int) -> str:
    return (
        f"审计链止于记录 {last}，锚点记录到 {anchored}：记录 {last + 1}–{anchored} 已被删除"
        f" / the chain ends at entry {last} but the anchor reaches {anchored}:"
        f" entries {last + 1}–{anchored} were deleted (tail truncated)"
    )
