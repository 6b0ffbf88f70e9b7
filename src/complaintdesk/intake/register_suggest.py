"""Live suggestions while an operator registers a complaint (SPEC §2).

:func:`suggest` runs the triage facade on what has been typed so far and adds what the
operator needs at first contact: a preview of the letter cut into plain and marked
segments (the browser renders each with ``textContent``, so nothing typed is ever HTML),
and the caller's earlier complaints by phone, on the centre side only.

Nothing here writes or logs: a suggestion is computed and forgotten. The text read is
bounded like triage's own (``READ_LIMIT`` for the model, entities and preview).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_
from sqlalchemy.orm import Session

from complaintdesk.complaints.queries import ComplaintQueries
from complaintdesk.complaints.tables import ComplainantRow, ComplaintRow
from complaintdesk.complaints.vocabulary import STATUS_LABELS, Status
from complaintdesk.org.model import Actor
from complaintdesk.org.repository import subtree_range
from complaintdesk.triage.facade import READ_LIMIT, ModelTriage, Triage, TriageResult

# Scope and importance rules read everything triage is given; no more than a filed letter.
TEXT_LIMIT = 20_000
EARLIER_LIMIT = 5
_MARK_KINDS = ("dates", "places", "persons", "units", "phones", "id_numbers")


@dataclass(frozen=True)
class Typed:
    title: str
    content: str
    phone: str


def routing_active(triage: Triage) -> bool:
    """False when no routing model is loaded: the panel then shows rule suggestions only."""
    return not (isinstance(triage, ModelTriage) and triage.model is None)


def segments(text: str, marks: dict[str, list[str]]) -> list[dict[str, str | None]]:
    """``text`` cut into ``{"text", "kind"}`` pieces, ``kind`` naming the entity or scope
    phrase a piece is (None for plain text). Longer phrases win over ones inside them."""
    spans: list[tuple[int, int, str]] = []
    taken = [False] * len(text)
    phrases = sorted(
        {(p, kind) for kind, found in marks.items() for p in found if p.strip()},
        key=lambda item: -len(item[0]),
    )
    for phrase, kind in phrases:
        start = text.find(phrase)
        while start != -1:
            end = start + len(phrase)
            if not any(taken[start:end]):
                spans.append((start, end, kind))
                for i in range(start, end):
                    taken[i] = True
            start = text.find(phrase, end)
    spans.sort()
    out: list[dict[str, str | None]] = []
    at = 0
    for start, end, kind in spans:
        if start > at:
            out.append({"text": text[at:start], "kind": None})
        out.append({"text": text[start:end], "kind": kind})
        at = end
    if at < len(text):
        out.append({"text": text[at:], "kind": None})
    return out


def earlier_complaints(session: Session, viewer: Actor, phone: str) -> list[dict[str, Any]]:
    """The caller's complaints by phone, newest first, among those the viewer's centre owns:
    a handling unit never learns who else complained (SPEC §5)."""
    phone = phone.strip()
    if len(phone) < 5:
        return []
    lo, hi = subtree_range(viewer.unit_path)
    rows = session.execute(
        ComplaintQueries(session)
        .scoped(viewer)
        .join(ComplainantRow, ComplainantRow.id == ComplaintRow.complainant_id)
        .where(
            ComplainantRow.phone == phone,
            and_(ComplaintRow.owner_unit_path >= lo, ComplaintRow.owner_unit_path < hi),
        )
        .order_by(ComplaintRow.id.desc())
        .limit(EARLIER_LIMIT)
        .with_only_columns(
            ComplaintRow.id,
            ComplaintRow.tracking_no,
            ComplaintRow.title,
            ComplaintRow.status,
            ComplaintRow.received_at,
        )
    ).all()
    return [
        {
            "id": r.id,
            "tracking_no": r.tracking_no,
            "title": r.title,
            "status": r.status,
            "status_label": list(STATUS_LABELS.get(Status(r.status), (r.status, r.status))),
            "received_at": r.received_at.isoformat() if r.received_at else None,
            "url": f"/staff/complaints/{r.id}",
        }
        for r in rows
    ]


def as_json(
    result: TriageResult, typed: Typed, *, active: bool, earlier: list[dict[str, Any]]
) -> dict[str, Any]:
    out = result.to_dict(masked=True)
    preview = typed.content[:READ_LIMIT]
    marks = {kind: list(getattr(result.entities, kind)) for kind in _MARK_KINDS}
    marks["scope"] = list(result.scope.matched_phrases)
    out["routing_active"] = active
    out["preview"] = segments(preview, marks)
    out["preview_truncated"] = len(typed.content) > READ_LIMIT
    out["earlier"] = earlier
    return out


def suggest(triage: Triage, session: Session, viewer: Actor, typed: Typed) -> dict[str, Any]:
    """Routing top-3, scope with its phrases or the competent authority, importance with its
    reasons, marked entities and earlier complaints — computed, never stored."""
    typed = Typed(typed.title[:300], typed.content[:TEXT_LIMIT], typed.phone[:40])
    result = triage.suggest(typed.title, typed.content)
    earlier = earlier_complaints(session, viewer, typed.phone)
    return as_json(result, typed, active=routing_active(triage), earlier=earlier)
