"""What the dispatcher's pages read beside the complaint itself: the pending decisions of a
page of complaints in one query, the unit a routing label points to, the units one may
send to as a tree, the summary (摘要) a transfer starts from, and a complaint's dispatch and
return history (SPEC §2, §3, §5). No page code: the dispatch pages call it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from complaintdesk.complaints.queries import private_names
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import Action, Status
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.privacy import mask_text
from complaintdesk.org.model import Actor
from complaintdesk.org.repository import subtree_range
from complaintdesk.org.tables import UnitRow

# Where a complaint waits for the dispatcher: accepted (perhaps pre-processed) or returned.
TO_DISPATCH = (Status.ACCEPTED, Status.PREPROCESSING, Status.RETURNED)
# The steps of a dispatch's life the arbitration shows (and that reset a sign-off).
HISTORY_ACTIONS = frozenset(
    {
        Action.INSTRUCT,
        Action.SIGN_OFF,
        Action.DISPATCH,
        Action.RETURN_DISPATCH,
        Action.RULE_ON_RETURN,
        Action.TAKE_OVER,
        Action.HAND_OVER,
        Action.RECEIVE,
    }
)
# SPEC §2's first-level routing labels and the words a competent bureau's name carries.
LABEL_UNIT_WORDS: dict[str, tuple[str, ...]] = {
    "城乡建设": ("住房和城乡建设", "住建", "城乡建设"),
    "环境保护": ("生态环境", "环境保护", "环保"),
    "交通运输": ("交通运输", "交通"),
    "教育文体": ("教育", "文体", "体育"),
    "劳动和社会保障": ("人力资源和社会保障", "人社", "社会保障"),
    "商贸旅游": ("商务", "商贸", "文化和旅游", "旅游"),
    "卫生计生": ("卫生健康", "卫生计生", "卫健"),
}
SUMMARY_CHARS = 200


@dataclass
class Decisions:
    """The state that guards a dispatch, as the timeline leaves it (the aggregate's rule:
    ``Complaint.restore_decisions``), plus the last return for the arbitration."""

    instructed: bool = False
    signed_off: dict[str, Any] | None = None
    returned_by: int | None = None
    return_reason: str = ""
    returned_at: datetime | None = None
    history: list[ComplaintEventRow] = field(default_factory=list)


def owned_by(viewer: Actor) -> Any:
    """The dispatcher's side of the jurisdiction: complaints owned (filed) in the viewer's
    subtree, not those merely dispatched to it."""
    lo, hi = subtree_range(viewer.unit_path)
    return and_(ComplaintRow.owner_unit_path >= lo, ComplaintRow.owner_unit_path < hi)


def decisions_for(session: Session, ids: list[int]) -> dict[int, Decisions]:
    """The pending 批示/签批 and last return of each complaint: one query for a page."""
    out = {i: Decisions() for i in ids}
    if not ids:
        return out
    events = session.scalars(
        select(ComplaintEventRow)
        .where(
            ComplaintEventRow.complaint_id.in_(ids),
            ComplaintEventRow.action.in_([a.value for a in HISTORY_ACTIONS]),
        )
        .order_by(ComplaintEventRow.id)
    )
    for event in events:
        state = out[event.complaint_id]
        state.history.append(event)
        action = Action(event.action)
        data = dict(event.data or {})
        if action is Action.INSTRUCT:
            state.instructed = True
        elif action is Action.SIGN_OFF:
            state.signed_off = data
        elif action in (Action.DISPATCH, Action.TAKE_OVER, Action.HAND_OVER):
            state.signed_off = None
        elif action is Action.RETURN_DISPATCH:
            state.signed_off = None
            state.returned_by = data.get("unit_id")
            state.return_reason = event.reason or ""
            state.returned_at = event.at
    return out


def unit_tree(uow: SqlUnitOfWork, actor: Actor) -> list[dict[str, Any]]:
    """The active units the actor may send to (its own and those below), in tree order.

    Four columns, not unit objects: the picker on every queue page lists a hundred units."""
    top = uow.units.get(actor.unit_id)
    base = top.path.count("/")
    lo, hi = subtree_range(top.path)
    rows = uow.session.execute(
        select(UnitRow.id, UnitRow.name, UnitRow.path, UnitRow.parent_id).where(
            UnitRow.path >= lo, UnitRow.path < hi, UnitRow.active.is_(True)
        )
    )
    below: dict[int | None, list[dict[str, Any]]] = {}
    for uid, name, path, parent in rows:
        node = {
            "id": uid,
            "name": name,
            "depth": path.count("/") - base,
            "path": path,
            "parent_id": parent,
        }
        below.setdefault(parent if uid != top.id else None, []).append(node)
    # Paths sort as text ("/1/100/" before "/1/12/"): walk the tree instead, each unit's
    # children in the order they were created, so a bureau comes before the counties.
    out: list[dict[str, Any]] = []
    stack = list(below.get(None, []))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(sorted(below.get(node["id"], []), key=lambda n: int(n["id"]), reverse=True))
    return out


def suggest_unit(units: list[dict[str, Any]], label: str | None) -> dict[str, Any] | None:
    """The unit a routing label points to: for the label's words in order (the likeliest
    first), the highest unit in the tree whose name carries it (a bureau before its
    sections). None when no unit fits."""
    for word in LABEL_UNIT_WORDS.get(label or "", ()):
        fitting = [u for u in units if word in u["name"]]
        if fitting:
            return min(fitting, key=lambda u: int(u["depth"]))
    return None


def default_summary(session: Session, row: ComplaintRow) -> str:
    """The stored summary, or the title and the start of the letter with the identity
    masked (phones, ID numbers, addresses and the complainant's known names)."""
    if row.summary:
        return row.summary
    names = private_names(session, [row]).get(row.id, [])
    content = (row.content or "").strip()
    start = content[:SUMMARY_CHARS] + ("…" if len(content) > SUMMARY_CHARS else "")
    text = f"{row.title}：{start}" if row.title else start
    return mask_text(text, names)


def mask_summary(session: Session, row: ComplaintRow, summary: str) -> str:
    """What a dispatcher typed, as the unit will read it: the identity never goes."""
    return mask_text(summary, private_names(session, [row]).get(row.id, []))
