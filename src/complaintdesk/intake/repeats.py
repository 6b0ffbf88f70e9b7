"""Repeat complaints (SPEC §1, §3 1.3 "用户反复投诉"): linked, counted, never merged.

A new complaint is a repeat when the same contact (phone, e-mail or the platform's user id)
filed a near-identical text within the last 90 days. Every repeat points at the first
complaint of its chain (``repeat_of_id``), so a chain's size is one COUNT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

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
    return Contact(
        phone=_digits(person.phone),
        email=(person.email or "").strip().lower() or None,
        external_user=(person.external_user or "").strip() or None,
    )


def _digits(phone: str | None) -> str | None:
    return (phone or "").strip() or None


def normalise(text: str) -> str:
    """Letters and digits only, case-folded: white space and punctuation do not count."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or {text}


@lru_cache(maxsize=8192)
def _signature(text: str) -> tuple[str, frozenset[str]]:
    normal = normalise(text)
    return normal, frozenset(bigrams(normal))


def similarity(a: str, b: str) -> float:
    na, sa = _signature(a)
    nb, sb = _signature(b)
    if na == nb:
        return 1.0
    if not na or not nb:
        return 0.0
    # Jaccard never exceeds the ratio of the set sizes: below the threshold, skip the set work
    # (the score is then reported as 0 — "not near-identical" is all callers ask).
    if min(len(sa), len(sb)) < NEAR_IDENTICAL * max(len(sa), len(sb)):
        return 0.0
    return len(sa & sb) / len(sa | sb)


def find_repeat(
    session: Session, contact: Contact, content: str, received_at: datetime
) -> RepeatMatch | None:
    """The original this complaint repeats, if any (most similar recent candidate wins)."""
    if contact.empty:
        return None
    same_contact = []
    if contact.phone:
        same_contact.append(ComplainantRow.phone == contact.phone)
    if contact.email:
        same_contact.append(func.lower(ComplainantRow.email) == contact.email)
    if contact.external_user:
        same_contact.append(ComplainantRow.external_user == contact.external_user)
    rows = session.execute(
        select(
            ComplaintRow.id,
            ComplaintRow.tracking_no,
            ComplaintRow.repeat_of_id,
            ComplaintRow.content,
        )
        .join(ComplainantRow, ComplainantRow.id == ComplaintRow.complainant_id)
        .where(
            or_(*same_contact),
            ComplaintRow.received_at >= received_at - REPEAT_WINDOW,
            ComplaintRow.received_at <= received_at,
        )
        .order_by(ComplaintRow.received_at.desc(), ComplaintRow.id.desc())
        .limit(_CANDIDATES)
    ).all()
    return best_match(
        content, [(r.id, r.tracking_no, r.repeat_of_id, r.content) for r in rows], session
    )


def best_match(
    content: str,
    candidates: list[tuple[int, str, int | None, str]],
    session: Session | None = None,
    roots: dict[int, str] | None = None,
) -> RepeatMatch | None:
    """Pick the most similar candidate at or above the threshold and point at its chain's root."""
    best: tuple[float, int, str, int | None] | None = None
    for cid, tracking_no, repeat_of, text in candidates:
        score = similarity(content, text)
        if score >= NEAR_IDENTICAL and (best is None or score > best[0]):
            best = (score, cid, tracking_no, repeat_of)
    if best is None:
        return None
    score, cid, tracking_no, repeat_of = best
    if repeat_of is None:
        return RepeatMatch(cid, tracking_no, score)
    root_no = (roots or {}).get(repeat_of)
    if root_no is None and session is not None:
        root_no = session.scalar(
            select(ComplaintRow.tracking_no).where(ComplaintRow.id == repeat_of)
        )
    return RepeatMatch(repeat_of, root_no or "", score)


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
