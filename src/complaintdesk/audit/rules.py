"""Rules of verification: reading stored rows without trusting them, judging each link,
and the anchor kept outside the database.

Rows arrive as the database returns them (``at`` and JSON as text), because a row written with
raw SQL may hold anything: invalid JSON, NULLs, numbers where text belongs. Reading one that
breaks the schema raises :class:`Unreadable` instead of letting a decoder crash the walk.
Pure: standard library and :mod:`complaintdesk.audit.seal` only.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from complaintdesk.audit import seal

_MAC = re.compile(r"[0-9a-f]{64}")


class Unreadable(Exception):
    """A stored value breaks the schema; ``column`` names it."""

    def __init__(self, column: str, zh: str, en: str) -> None:
        self.column, self.zh, self.en = column, zh, en
        super().__init__(f"{column}: {zh} / {en}")


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    kind: str
    actor_id: int | None
    complaint_id: int | None
    event_id: int | None
    detail: dict[str, Any]
    prev_mac: str
    mac: str

    def body(self) -> dict[str, Any]:
        return seal.body(self.id, self.__dict__)


def _int(raw: Mapping[str, Any], column: str, *, optional: bool = True) -> int | None:
    value = raw.get(column)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unreadable(column, f"应为整数，实为 {value!r}", f"expected an integer, got {value!r}")
    return value


def _text(raw: Mapping[str, Any], column: str, *, optional: bool = False) -> str | None:
    value = raw.get(column)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise Unreadable(column, f"应为文本，实为 {value!r}", f"expected text, got {value!r}")
    return value


def _mac(raw: Mapping[str, Any], column: str) -> str:
    value = _text(raw, column) or ""
    if not _MAC.fullmatch(value):
        raise Unreadable(
            column, f"不是64位十六进制摘要：{value!r}", f"not a 64-hex-digit MAC: {value!r}"
        )
    return value


def _time(raw: Mapping[str, Any], column: str) -> datetime:
    value = raw.get(column)
    parsed: datetime | None = value if isinstance(value, datetime) else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
    if parsed is None:
        raise Unreadable(column, f"不是时间：{value!r}", f"not a time: {value!r}")
    # Stored naive UTC (UTCDateTime); an offset written by hand is honoured, not guessed.
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _json(raw: Mapping[str, Any], column: str, *, null_is_empty: bool = False) -> Any:
    value = raw.get(column)
    if value is None and null_is_empty:
        return {}
    if not isinstance(value, str):
        raise Unreadable(column, f"缺少 JSON：{value!r}", f"no JSON: {value!r}")
    try:
        return json.loads(value)
    except ValueError as exc:
        raise Unreadable(column, f"JSON 无效（{exc}）", f"invalid JSON ({exc})") from None


def read_entry(raw: Mapping[str, Any]) -> Entry:
    """An ``audit_log`` row (``at`` and ``detail`` as text) as a typed entry."""
    detail = _json(raw, "detail")
    if not isinstance(detail, dict):
        raise Unreadable(
            "detail", f"应为 JSON 对象，实为 {detail!r}", f"expected a JSON object, got {detail!r}"
        )
    return Entry(
        id=_int(raw, "id", optional=False) or 0,
        at=_time(raw, "at"),
        kind=_text(raw, "kind") or "",
        actor_id=_int(raw, "actor_id"),
        complaint_id=_int(raw, "complaint_id"),
        event_id=_int(raw, "event_id"),
        detail=detail,
        prev_mac=_mac(raw, "prev_hash"),
        mac=_mac(raw, "hash"),
    )


def read_head(raw: Mapping[str, Any]) -> tuple[int, str]:
    """The ``audit_head`` row: ``(last id, last MAC)``."""
    return _int(raw, "last_id", optional=False) or 0, _mac(raw, "last_hash")


def read_event(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A ``complaint_events`` row (``at`` and ``data`` as text) as the chain remembers events:
    the same shape the write path seals (``chain.event_detail``)."""
    return {
        "complaint_id": raw.get("complaint_id"),
        "action": raw.get("action"),
        "at": seal.iso(_time(raw, "at")),
        "actor_id": raw.get("actor_id"),
        "from_status": raw.get("from_status"),
        "to_status": raw.get("to_status"),
        "reason": raw.get("reason"),
        "data": _json(raw, "data", null_is_empty=True) or {},
    }


def judge_seal(entry: Entry, prev_mac: str, key: bytes, *, legacy_ok: bool) -> str | None:
    """Why ``entry`` does not follow ``prev_mac`` under ``key``; ``None`` when it does.

    ``"legacy"`` means it verifies only as plain SHA-256, acceptable solely while re-sealing
    a legacy prefix (``legacy_ok``)."""
    n = entry.id
    if entry.prev_mac != prev_mac:
        return (
            f"审计记录 {n} 与前一条不衔接（被替换或插入）"
            f" / entry {n} does not follow the one before (replaced or inserted)"
        )
    if hmac_equal(seal.entry_mac(key, prev_mac, entry.body()), entry.mac):
        return None
    if hmac_equal(seal.legacy_hash(prev_mac, entry.body()), entry.mac):
        if legacy_ok:
            return "legacy"
        return (
            f"审计记录 {n} 只有无密钥的 SHA-256 摘要：被无密钥者重写，或是启用密钥封存前的旧库"
            f"（旧库请运行一次 complaintdesk audit rekey）"
            f" / entry {n} carries a plain SHA-256 hash, not a keyed MAC: rewritten by someone"
            f" without the key, or a database from before keyed sealing (then run"
            f" `complaintdesk audit rekey` once)"
        )
    return (
        f"审计记录 {n} 已被修改（或以其他密钥封存）"
        f" / entry {n} was edited (or sealed with another key)"
    )


def hmac_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# --- the anchor ------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """The head as it was, kept outside the database: entry ``last_id`` had MAC ``mac``."""

    last_id: int
    mac: str
    at: str
    entries: int

    def line(self) -> str:
        return seal.canonical(
            {"last_id": self.last_id, "mac": self.mac, "at": self.at, "entries": self.entries}
        )


class BadAnchor(ValueError):
    """The anchor given is not one `audit anchor` printed."""


def parse_anchor(text: str) -> Anchor:
    """An anchor from the JSON line `complaintdesk audit anchor` printed."""
    try:
        value = json.loads(text)
    except ValueError:
        raise BadAnchor("锚点不是 JSON / the anchor is not JSON") from None
    if not isinstance(value, dict):
        raise BadAnchor("锚点应为 JSON 对象 / the anchor must be a JSON object")
    return make_anchor(
        value.get("last_id"), value.get("mac"), value.get("at"), value.get("entries")
    )


def make_anchor(last_id: Any, mac: Any, at: Any = "", entries: Any = None) -> Anchor:
    """Check an anchor's values (from a file or an API query)."""
    if isinstance(last_id, bool) or not isinstance(last_id, int) or last_id < 0:
        raise BadAnchor(
            f"锚点的 last_id 应为非负整数：{last_id!r} / the anchor's last_id must be a"
            f" non-negative integer: {last_id!r}"
        )
    if not isinstance(mac, str) or not _MAC.fullmatch(mac):
        raise BadAnchor(
            f"锚点的 mac 应为64位小写十六进制：{mac!r} / the anchor's mac must be 64 lowercase"
            f" hex digits: {mac!r}"
        )
    if last_id == 0 and mac != seal.GENESIS:
        raise BadAnchor("空链的锚点 mac 应为全零 / an empty chain's anchor mac is all zeros")
    if entries is None:
        entries = last_id
    if entries != last_id:  # ids are gap-free from 1, so the count is the last id
        raise BadAnchor(
            f"锚点自相矛盾：entries={entries!r}，last_id={last_id}"
            f" / the anchor contradicts itself: entries={entries!r}, last_id={last_id}"
        )
    return Anchor(last_id, mac, at if isinstance(at, str) else "", last_id)
