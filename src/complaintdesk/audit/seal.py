"""Sealing audit entries (SPEC §5): each entry's MAC is keyed and covers the one before.

    mac(n) = HMAC-SHA256(key, mac(n-1) + canonical JSON of entry n),   mac(0) = GENESIS

The key never touches the database (``COMPLAINTDESK_AUDIT_KEY_FILE``, or derived from
``COMPLAINTDESK_SECRET_KEY``), so whoever can write to the database can still delete or edit
rows but cannot produce entries that verify. Chains written before keyed sealing used a plain
SHA-256 (:func:`legacy_hash`); ``complaintdesk audit rekey`` re-seals them once.

Pure: the key is an argument; nothing here reads settings or the database. :func:`seal` is
the one place entries get their MAC, whoever stores them (the commit hook, a bulk import, a
future sealing worker).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
MIN_KEY_BYTES = 32
# Domain separator: the audit key derived from the secret key differs from every other use
# of that secret (session tokens), and a token can never double as an audit MAC.
KEY_CONTEXT = b"complaintdesk/audit-chain/hmac-sha256/v1"
SEALED_FIELDS = ("id", "at", "kind", "actor_id", "complaint_id", "event_id", "detail")


def iso(value: datetime | None) -> str | None:
    """Times as the chain remembers them: UTC, microseconds, ``Z``."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def derive_key(secret_key: str) -> bytes:
    """The audit key when no key file is configured: HMAC of a fixed context under the secret."""
    return hmac.new(secret_key.encode(), KEY_CONTEXT, hashlib.sha256).digest()


def entry_mac(key: bytes, prev_mac: str, body: Mapping[str, Any]) -> str:
    """The MAC of one entry (its :data:`SEALED_FIELDS`) chained on the previous MAC."""
    message = (prev_mac + canonical(dict(body))).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def legacy_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """The unkeyed SHA-256 chain of databases from before keyed sealing (anyone can compute it)."""
    return hashlib.sha256((prev_hash + canonical(dict(body))).encode()).hexdigest()


def body(entry_id: int, entry: Mapping[str, Any]) -> dict[str, Any]:
    """What the MAC covers, from an entry's column values (``at`` a datetime)."""
    return {
        "id": entry_id,
        "at": iso(entry["at"]),
        "kind": entry["kind"],
        "actor_id": entry["actor_id"],
        "complaint_id": entry["complaint_id"],
        "event_id": entry["event_id"],
        "detail": entry["detail"] or {},
    }


def seal(
    key: bytes, last_id: int, last_mac: str, entries: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Number and seal entries after the head ``(last_id, last_mac)``.

    Returns each entry's column values with ``id``, ``prev_hash`` and ``hash`` (the MAC) set;
    the new head is the last one's id and hash. The caller holds the head's lock.
    """
    sealed = []
    for entry in entries:
        last_id += 1
        prev_mac, last_mac = last_mac, entry_mac(key, last_mac, body(last_id, entry))
        sealed.append({**entry, "id": last_id, "prev_hash": prev_mac, "hash": last_mac})
    return sealed
