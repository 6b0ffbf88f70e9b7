"""Repeat complaints (SPEC §1, §3 1.3 "用户反复投诉"): linked, counted, never merged.

A new complaint is a repeat when the same contact (phone, e-mail or the platform's user id)
filed a near-identical text within the last 90 days. Every repeat points at the first
complaint of its chain (``repeat_of_id``), so a chain's size is one COUNT.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.complaints.queries import ComplaintQueries
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.complaints.tables import ComplainantRow, ComplaintRow
from complaintdesk.complaints.vocabulary import Action, Event, Status
from complaintdesk.org.model import Actor

REPEAT_WINDOW = timedelta(days=90)
# Character-bigram Jaccard similarity; 0.8 keeps "same letter, a few words changed" and
# drops "same person, another matter".
NEAR_IDENTICAL = 0.8
_CANDIDATES = 50


@dataclass(frozen=True)
class Contact:
    phone: str | None = None
    email: str | None = None
    external_user: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.phone or self.email or self.external_user)


@dataclass(frozen=True)
class RepeatMatch:
    original_id: int
    original_tracking_no: str
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.original_id,
            "tracking_no": self.original_tracking_no,
            "similarity": round(self.similarity, 3),
        }


def contact_of(person: NewComplainant | None) -> Contact:
    if person is None:
        return Contact()
    return contact(person.phone, person.email, person.external_user)


def contact(phone: str | None, email: str | None, external_user: str | None) -> Contact:
    """A new complaint's contact as the rule compares it: trimmed, the e-mail lower-cased."""
    return Contact(
        phone=_digits(phone),
        email=(email or "").strip().lower() or None,
        external_user=(external_user or "").strip() or None,
    )


# The one notion of "same contact": a key per contact field, and the stored column (as the
# database computes it) a key is compared with. Filing and bulk import both select stored
# complainants through these columns and match through these keys.
_PHONE, _EMAIL, _USER = "p", "e", "u"
KEY_COLUMNS: dict[str, Any] = {
    _PHONE: ComplainantRow.phone,
    _EMAIL: func.lower(ComplainantRow.email),
    _USER: ComplainantRow.external_user,
}


def contact_keys(contact: Contact) -> list[str]:
    """``p:<phone>``, ``e:<e-mail>``, ``u:<user id>`` for the fields the contact has."""
    keys = []
    if contact.phone:
        keys.append(f"{_PHONE}:{contact.phone}")
    if contact.email:
        keys.append(f"{_EMAIL}:{contact.email}")
    if contact.external_user:
        keys.append(f"{_USER}:{contact.external_user}")
    return keys


def stored_keys(phone: str | None, email: str | None, external_user: str | None) -> list[str]:
    """The keys of a stored complainant: its columns as :data:`KEY_COLUMNS` evaluates them."""
    lowered = (email or "").lower() or None
    return contact_keys(Contact(phone or None, lowered, external_user or None))


def key_values(keys: Iterable[str]) -> dict[str, set[str]]:
    """Keys grouped by field: ``{"p": {phones}, "e": {e-mails}, "u": {user ids}}``."""
    grouped: dict[str, set[str]] = {}
    for key in keys:
        kind, _, value = key.partition(":")
        grouped.setdefault(kind, set()).add(value)
    return grouped


def _digits(phone: str | None) -> str | None:
    return (phone or "").strip() or None


def normalise(text: str) -> str:
    """Letters and digits only, case-folded: white space and punctuation do not count."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


class Signature(NamedTuple):
    """A text as the rule compares it: a digest of its normal form and its sorted bigram codes."""

    digest: bytes
    codes: np.ndarray  # uint64, sorted, unique: (first char << 21) | second char


def signature(text: str) -> Signature:
    normal = normalise(text)
    digest = hashlib.blake2b(normal.encode(), digest_size=16).digest()
    chars = np.frombuffer(normal.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(chars) < 2:
        return Signature(digest, chars)  # "" has no bigram; one character stands for itself
    return Signature(digest, np.unique((chars[:-1] << np.uint64(21)) | chars[1:]))


def _size(signature: Signature) -> int:
    return signature.codes.nbytes + 200  # the array, the digest and the bookkeeping


class _SignatureCache:
    """Signatures of recently compared texts, bounded by the bytes they hold, not by count:
    one caller filing many 20,000-character letters must not grow memory without bound."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = budget_bytes
        self.used = 0
        self.items: OrderedDict[bytes, Signature] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, text: str) -> Signature:
        key = hashlib.blake2b(text.encode(), digest_size=16).digest()
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
                return found
        made = signature(text)
        size = _size(made)
        if size > self.budget:
            return made
        with self.lock:
            if key not in self.items:
                self.items[key] = made
                self.used += size
                while self.used > self.budget:
                    _, dropped = self.items.popitem(last=False)
                    self.used -= _size(dropped)
        return made


_SIGNATURES = _SignatureCache(budget_bytes=32 * 1024 * 1024)


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the two texts' character bigrams (1.0 for the same normal form)."""
    sa, sb = _SIGNATURES.get(a), _SIGNATURES.get(b)
    if sa.digest == sb.digest:
        return 1.0
    na, nb = len(sa.codes), len(sb.codes)
    if not na or not nb:
        return 0.0
    # Jaccard never exceeds the ratio of the set sizes: below the threshold, skip the set work
    # (the score is then reported as 0 — "not near-identical" is all callers ask).
    if min(na, nb) < NEAR_IDENTICAL * max(na, nb):
        return 0.0
    # Both are sorted and unique: look each of b up in a (no re-sorting of the union).
    at = np.searchsorted(sa.codes, sb.codes)
    at[at == na] = 0
    common = int(np.count_nonzero(sa.codes[at] == sb.codes))
    return common / (na + nb - common)


class Candidate(NamedTuple):
    """An earlier complaint of the same contact, as the rule sees it."""

    received_at: datetime
    rank: tuple[int, int]  # ties of received_at: the higher rank is the more recent
    content: str
    ref: Any  # the caller's handle on it


def pick(
    content: str, received_at: datetime, candidates: Iterable[Candidate]
) -> tuple[Candidate, float] | None:
    """The rule: of the same contact's complaints in the window before ``received_at``, the
    ``_CANDIDATES`` most recent are compared; the most similar at or above ``NEAR_IDENTICAL``
    wins, the more recent on a tie."""
    earliest = received_at - REPEAT_WINDOW
    recent = sorted(
        (c for c in candidates if earliest <= c.received_at <= received_at),
        key=lambda c: (c.received_at, c.rank),
        reverse=True,
    )
    best: tuple[Candidate, float] | None = None
    for candidate in recent[:_CANDIDATES]:
        score = similarity(content, candidate.content)
        if score >= NEAR_IDENTICAL and (best is None or score > best[1]):
            best = (candidate, score)
    return best


# What a stored complaint is judged on as a possible original, and how it is named.
CANDIDATE_COLUMNS = (
    ComplaintRow.id,
    ComplaintRow.tracking_no,
    ComplaintRow.repeat_of_id,
    ComplaintRow.content,
    ComplaintRow.received_at,
)


def find_repeat(
    session: Session, contact: Contact, content: str, received_at: datetime
) -> RepeatMatch | None:
    """The original this complaint repeats, if any (see :func:`pick`), at its chain's root."""
    keys = contact_keys(contact)
    if not keys:
        return None
    same_contact = [
        KEY_COLUMNS[kind].in_(sorted(values)) for kind, values in key_values(keys).items()
    ]
    rows = session.execute(
        select(*CANDIDATE_COLUMNS)
        .join(ComplainantRow, ComplainantRow.id == ComplaintRow.complainant_id)
        .where(
            or_(*same_contact),
            ComplaintRow.received_at >= received_at - REPEAT_WINDOW,
            ComplaintRow.received_at <= received_at,
        )
        .order_by(ComplaintRow.received_at.desc(), ComplaintRow.id.desc())
        .limit(_CANDIDATES)
    ).all()
    chosen = pick(
        content,
        received_at,
        (Candidate(r.received_at, (0, r.id), r.content, r) for r in rows),
    )
    if chosen is None:
        return None
    row, score = chosen[0].ref, chosen[1]
    if row.repeat_of_id is None:
        return RepeatMatch(row.id, row.tracking_no, score)
    root_no = session.scalar(
        select(ComplaintRow.tracking_no).where(ComplaintRow.id == row.repeat_of_id)
    )
    return RepeatMatch(row.repeat_of_id, root_no or "", score)


def link_event(match: RepeatMatch, now: datetime, actor_id: int | None) -> Event:
    """The timeline entry that shows the operator the link (the complaint stays separate)."""
    return Event(
        action=Action.LINK_REPEAT,
        at=now,
        actor_id=actor_id,
        from_status=Status.REGISTERED,
        to_status=Status.REGISTERED,
        reason=f"重复投诉，原投诉 {match.original_tracking_no}"
        f" / repeat of {match.original_tracking_no}",
        data={
            "repeat_of_id": match.original_id,
            "repeat_of_tracking_no": match.original_tracking_no,
            "similarity": round(match.similarity, 3),
        },
    )


def repeat_counts(
    session: Session, viewer: Actor, *, received_from: date | None, received_to: date | None
) -> dict[str, int]:
    """KPI figures in the viewer's jurisdiction: complaints, repeats, chains repeated."""
    scoped = ComplaintQueries(session).scoped(viewer)
    if received_from:
        scoped = scoped.where(
            ComplaintRow.received_at >= datetime.combine(received_from, time.min, SHANGHAI)
        )
    if received_to:
        scoped = scoped.where(
            ComplaintRow.received_at <= datetime.combine(received_to, time.max, SHANGHAI)
        )
    sub = scoped.subquery()
    total, repeats, chains = session.execute(
        select(
            func.count(sub.c.id),
            func.count(sub.c.repeat_of_id),
            func.count(func.distinct(sub.c.repeat_of_id)),
        )
    ).one()
    return {"complaints": int(total), "repeats": int(repeats), "repeated_originals": int(chains)}
