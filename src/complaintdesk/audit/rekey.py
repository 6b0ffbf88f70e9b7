"""Re-sealing a chain from before keyed sealing: once, under the head's lock, recorded.

A database upgraded from the plain SHA-256 chain holds a prefix of unkeyed entries (and,
once the new code ran, keyed entries chained onto it). ``complaintdesk audit rekey`` checks
the whole chain as it stands (the prefix as plain SHA-256, the rest keyed, the events, the
head), then re-seals every entry with the key and appends an ``audit:rekey`` entry naming
the prefix and its old head hash. Afterwards a plain-SHA-256 entry never verifies again.

What it cannot do: prove the legacy prefix was not rewritten before the re-sealing; anyone
could recompute a plain SHA-256 chain. Compare the old head hash it prints with any copy of
it kept elsewhere, and take a new anchor afterwards (old anchors name the old MACs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from complaintdesk.audit import chain, rules, seal, verify

_WRITE = text("UPDATE audit_log SET prev_hash = :prev_hash, hash = :hash WHERE id = :id")


@dataclass(frozen=True)
class Rekeyed:
    ok: bool
    message: str
    resealed: int = 0  # entries given new MACs
    legacy: int = 0  # of which were plain SHA-256


def rekey(session: Session, *, now: datetime, actor_id: int | None = None) -> Rekeyed:
    """Re-seal a legacy prefix and everything after it; the caller commits."""
    key = chain.key_of(session)
    last_id, old_head = chain.lock_head(session)
    walked = verify.walk(session, key, legacy_ok=True, unchained_ok=True)
    if not walked.verdict.ok:
        return Rekeyed(False, f"未重新封存 / nothing re-sealed: {walked.verdict.message}")
    through = walked.legacy_through
    if through == 0:
        return Rekeyed(True, "审计链已全部以密钥封存，无需处理 / the chain is already keyed")
    legacy_head = ""
    prev, after = seal.GENESIS, 0
    while rows := session.execute(verify.ENTRIES, {"after": after, "n": verify.PAGE}).fetchall():
        updates = []
        for raw in rows:
            entry = rules.read_entry(dict(raw._mapping))  # the walk above read every one
            if entry.id == through:
                legacy_head = entry.mac
            mac = seal.entry_mac(key, prev, entry.body())
            updates.append({"id": entry.id, "prev_hash": prev, "hash": mac})
            prev = mac
        session.execute(_WRITE, updates)
        after = rows[-1].id
    session.execute(
        text("UPDATE audit_head SET last_hash = :h WHERE id = 1 AND last_id = :n"),
        {"h": prev, "n": last_id},
    )
    chain.stage(
        session,
        kind="audit:rekey",
        at=now,
        actor_id=actor_id,
        detail={
            "legacy_through": through,
            "legacy_head_sha256": legacy_head,
            "old_head": old_head,
            "resealed": last_id,
        },
    )
    return Rekeyed(
        True,
        f"已以密钥重新封存 {last_id} 条（其中旧 SHA-256 记录 1–{through}，旧链尾 {legacy_head}）"
        f" / re-sealed {last_id} entries with the key (plain SHA-256 entries 1–{through},"
        f" their old head {legacy_head}); take a new anchor now",
        last_id,
        through,
    )
