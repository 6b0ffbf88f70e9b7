"""The read side: every query of complaints goes through :meth:`ComplaintQueries.scoped`.

Jurisdiction lives here and nowhere else. A viewer sees a complaint when it is owned by
(filed at) a unit in the viewer's subtree, or dispatched to one. A viewer who sees it only
from the handling side gets the summary (摘要) instead of the original letter and never
the complainant's identity (SPEC §5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.clock.tables import calendar_warnings
from complaintdesk.complaints.tables import ComplainantRow, ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import OPEN_STATUSES, Status
from complaintdesk.intake.tables import RepresentativeRow
from complaintdesk.kernel.errors import NotFound
from complaintdesk.kernel.privacy import (
    mask_email,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
)
from complaintdesk.org.model import Actor
from complaintdesk.org.repository import subtree_range
from complaintdesk.org.tables import UnitRow, UserRow
from complaintdesk.search.matching import (
    RECENT_WINDOWS,
    QueryKind,
    SearchQuery,
    word_condition,
)


@dataclass(frozen=True)
class ComplaintFilter:
    status: list[Status] | None = None
    unit_id: int | None = None
    category: str | None = None
    importance: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    overdue: bool | None = None
    tracking_no: str | None = None
    overdue_level: int | None = None  # 1 催办 / 2 督办 / 3 挂牌督办: this level or higher
    unrouted: bool | None = None  # the dispatcher queue: no department decided yet


# Where a complaint waits for a person to settle its department (SPEC §2: below the
# confidence threshold a person decides).
UNROUTED_STATUSES = (Status.REGISTERED, Status.ACCEPTED, Status.PREPROCESSING, Status.RETURNED)


def _in_subtree(column: Any, path: str) -> Any:
    lo, hi = subtree_range(path)
    return and_(column >= lo, column < hi)


class ComplaintQueries:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- the one place where jurisdiction is applied ---------------------------

    def scoped(self, viewer: Actor) -> Select[tuple[ComplaintRow]]:
        return select(ComplaintRow).where(
            or_(
                _in_subtree(ComplaintRow.owner_unit_path, viewer.unit_path),
                _in_subtree(ComplaintRow.handling_unit_path, viewer.unit_path),
            )
        )

    def get_row(self, viewer: Actor, complaint_id: int) -> ComplaintRow:
        row = self.session.scalar(self.scoped(viewer).where(ComplaintRow.id == complaint_id))
        if row is None:
            # Same answer for "does not exist" and "not yours": existence is not leaked.
            raise NotFound(f"投诉 {complaint_id} 不存在 / complaint {complaint_id} not found")
        return row

    def page(
        self,
        viewer: Actor,
        filters: ComplaintFilter,
        *,
        limit: int,
        before_id: int | None,
        now: datetime,
        where: Sequence[Any] = (),
    ) -> list[ComplaintRow]:
        """Newest first, keyset-paginated on id (no OFFSET: page 5,000 costs what page 1 does).

        ``where``: further conditions (the search's words, phone or tracking number)."""
        stmt = self.scoped(viewer).where(*where)
        if filters.status:
            stmt = stmt.where(ComplaintRow.status.in_([s.value for s in filters.status]))
        if filters.unit_id is not None:
            unit = self.session.get(UnitRow, filters.unit_id)
            if unit is None:
                return []
            stmt = stmt.where(_in_subtree(ComplaintRow.handling_unit_path, unit.path))
        if filters.category:
            stmt = stmt.where(ComplaintRow.category == filters.category)
        if filters.importance:
            stmt = stmt.where(ComplaintRow.importance == filters.importance)
        if filters.received_from:
            start = datetime.combine(filters.received_from, time.min, tzinfo=SHANGHAI)
            stmt = stmt.where(ComplaintRow.received_at >= start)
        if filters.received_to:
            end = datetime.combine(filters.received_to, time.max, tzinfo=SHANGHAI)
            stmt = stmt.where(ComplaintRow.received_at <= end)
        if filters.overdue is not None:
            open_values = [s.value for s in OPEN_STATUSES]
            late = and_(ComplaintRow.status.in_(open_values), ComplaintRow.due_at < now)
            stmt = stmt.where(late if filters.overdue else ~late)
        if filters.tracking_no:
            stmt = stmt.where(ComplaintRow.tracking_no == filters.tracking_no.strip())
        if filters.overdue_level is not None:
            stmt = stmt.where(ComplaintRow.overdue_level >= filters.overdue_level)
        if filters.unrouted:
            stmt = stmt.where(
                ComplaintRow.department_label.is_(None),
                ComplaintRow.status.in_([s.value for s in UNROUTED_STATUSES]),
            )
        if before_id is not None:
            stmt = stmt.where(ComplaintRow.id < before_id)
        return list(self.session.scalars(stmt.order_by(ComplaintRow.id.desc()).limit(limit)))

    def search(
        self,
        viewer: Actor,
        query: SearchQuery,
        filters: ComplaintFilter,
        *,
        limit: int,
        before_id: int | None,
        now: datetime,
    ) -> list[ComplaintRow]:
        """The search box (issue 13 item 7) within the viewer's jurisdiction, newest first.

        A phone number is looked up on the centre side only: among complaints the viewer's
        subtree registered (SPEC §5, the handling side never sees who complained). Words are
        matched in the title and summary, and in the letter only where the viewer is the
        owning side. Handling-side rows still need the masked check of ``search.pages``.
        """
        owner_side = _in_subtree(ComplaintRow.owner_unit_path, viewer.unit_path)
        where: list[Any] = []
        if query.kind is QueryKind.TRACKING:
            where.append(ComplaintRow.tracking_no == query.text)
        elif query.kind is QueryKind.TRACKING_PREFIX:
            # "~" sorts after every digit and "-": the range is the prefix's, index-served.
            number = ComplaintRow.tracking_no
            where += [number >= query.text, number < query.text + "~"]
        elif query.kind is QueryKind.PHONE:
            callers = select(ComplainantRow.id).where(ComplainantRow.phone.in_(query.phones))
            where += [owner_side, ComplaintRow.complainant_id.in_(callers)]
        elif query.kind is QueryKind.WORDS:
            return self._words(viewer, query, filters, limit=limit, before_id=before_id, now=now)
        return self.page(viewer, filters, limit=limit, before_id=before_id, now=now, where=where)

    def _words(
        self,
        viewer: Actor,
        query: SearchQuery,
        filters: ComplaintFilter,
        *,
        limit: int,
        before_id: int | None,
        now: datetime,
    ) -> list[ComplaintRow]:
        """The newest complaints walked first, then the index (``search/matching.py``).

        A page found among the newest ids is the true first page: every older id is smaller.
        """
        dialect = self.session.get_bind().dialect.name
        owner_side = _in_subtree(ComplaintRow.owner_unit_path, viewer.unit_path)
        newest = (
            before_id - 1 if before_id else self.session.scalar(select(func.max(ComplaintRow.id)))
        )
        walk = [word_condition(dialect, w, owner_side, indexed=False) for w in query.words]
        for window in RECENT_WINDOWS:
            recent = [ComplaintRow.id > (newest or 0) - window]
            rows = self.page(
                viewer, filters, limit=limit, before_id=before_id, now=now, where=walk + recent
            )
            if len(rows) >= limit:
                return rows
        if query.one_character_only:
            return rows
        indexed = [word_condition(dialect, w, owner_side, indexed=True) for w in query.words]
        return self.page(viewer, filters, limit=limit, before_id=before_id, now=now, where=indexed)

    # --- presentation ------------------------------------------------------------

    def view(self, viewer: Actor, row: ComplaintRow, *, now: datetime) -> dict[str, Any]:
        return self.views(viewer, [row], now=now)[0]

    def views(
        self, viewer: Actor, rows: list[ComplaintRow], *, now: datetime
    ) -> list[dict[str, Any]]:
        """What a viewer may see of each complaint; identity masked, always.

        Complainants and unit names are fetched in one query each for the whole page.
        """
        people = self._complainants({r.complainant_id for r in rows})
        unit_ids: set[int | None] = {r.owner_unit_id for r in rows}
        units = self._unit_names(unit_ids | {r.handling_unit_id for r in rows})
        unit_side = [r for r in rows if not viewer.sees(r.owner_unit_path)]
        names = private_names(self.session, unit_side, people) if unit_side else {}
        views = [self._view(viewer, row, people, units, names, now) for row in rows]
        # "calendar unknown for YEAR": a deadline counted Monday–Friday only (issue 3).
        warnings = calendar_warnings(self.session, rows)
        for view in views:
            view["calendar_warning"] = warnings.get(view["id"])
        return views

    def _view(
        self,
        viewer: Actor,
        row: ComplaintRow,
        people: dict[int, ComplainantRow],
        units: dict[int, str],
        names: dict[int, list[str]],
        now: datetime,
    ) -> dict[str, Any]:
        owner_side = viewer.sees(row.owner_unit_path)
        # The handling side reads complainant-written text masked (SPEC §5): the letter not
        # at all, the title and the summary (which may quote it) through mask_text.
        hidden = names.get(row.id, [])
        person = people.get(row.complainant_id) if row.complainant_id else None
        overdue = (
            Status(row.status) in OPEN_STATUSES and row.due_at is not None and row.due_at < now
        )
        return {
            "id": row.id,
            "tracking_no": row.tracking_no,
            "status": row.status,
            "channel": row.channel,
            "title": row.title if owner_side else mask_text(row.title, hidden),
            "content": row.content if owner_side else None,
            "summary": row.summary if owner_side else mask_text(row.summary, hidden),
            "complained_unit_name": row.complained_unit_name,
            "complained_person": row.complained_person,
            "complainant": masked_complainant(person) if owner_side else None,
            "consent_publish": row.consent_publish,
            "importance": row.importance,
            "category": row.category,
            "department_label": row.department_label,
            "triage": row.triage if owner_side else None,
            "owner_unit": {"id": row.owner_unit_id, "name": units.get(row.owner_unit_id)},
            "handling_unit": (
                {"id": row.handling_unit_id, "name": units.get(row.handling_unit_id)}
                if row.handling_unit_id
                else None
            ),
            "dispatch_mode": row.dispatch_mode,
            "received_at": row.received_at,
            "due_at": row.due_at,
            "overdue": overdue,
            "overdue_level": row.overdue_level,
            "closed_at": row.closed_at,
            "extension_days": row.extension_days,
            "extension_pending_days": row.extension_pending_days,
            "reopen_count": row.reopen_count,
            "return_count": row.return_count,
            "double_deduction": row.double_deduction,
            "appeal_of_id": row.appeal_of_id,
            "repeat_of_id": row.repeat_of_id,
            "version": row.version,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }

    def _complainants(self, ids: set[int | None]) -> dict[int, ComplainantRow]:
        wanted = [i for i in ids if i is not None]
        if not wanted:
            return {}
        rows = self.session.scalars(select(ComplainantRow).where(ComplainantRow.id.in_(wanted)))
        return {r.id: r for r in rows}

    def _unit_names(self, ids: set[int | None]) -> dict[int, str]:
        wanted = [i for i in ids if i is not None]
        if not wanted:
            return {}
        rows = self.session.execute(select(UnitRow.id, UnitRow.name).where(UnitRow.id.in_(wanted)))
        return {r.id: r.name for r in rows}

    def timeline(self, viewer: Actor, complaint_id: int) -> list[dict[str, Any]]:
        row = self.get_row(viewer, complaint_id)
        owner_side = viewer.sees(row.owner_unit_path)
        hidden = [] if owner_side else private_names(self.session, [row]).get(row.id, [])
        result = self.session.execute(
            select(ComplaintEventRow, UserRow.display_name, UserRow.unit_id)
            .outerjoin(UserRow, UserRow.id == ComplaintEventRow.actor_id)
            .where(ComplaintEventRow.complaint_id == complaint_id)
            .order_by(ComplaintEventRow.id)
        )
        out = []
        for event, actor_name, _unit in result:
            data = dict(event.data or {})
            out.append(
                {
                    "id": event.id,
                    "action": event.action,
                    "at": event.at,
                    "actor_id": event.actor_id,
                    "actor_name": actor_name,
                    "from_status": event.from_status,
                    "to_status": event.to_status,
                    # Appeal reasons and callback notes quote the complainant.
                    "reason": event.reason if owner_side else mask_text(event.reason, hidden),
                    "data": _owner_side_data(data) if owner_side else _unit_side_data(data),
                }
            )
        return out


def private_names(
    session: Session,
    rows: list[ComplaintRow],
    people: dict[int, ComplainantRow] | None = None,
) -> dict[int, list[str]]:
    """Per complaint, the names its record holds of the people behind it: the complainant,
    their organisation, the proxy who filed for them and the group's representatives.

    What :func:`~complaintdesk.kernel.privacy.mask_text` blacks out of text for those who
    may not know them (handling units, supervision e-mails, the public). Two queries at
    most for a whole page.
    """
    if not rows:
        return {}
    wanted = {r.complainant_id for r in rows if r.complainant_id is not None}
    if people is None or not wanted <= people.keys():
        found = session.scalars(select(ComplainantRow).where(ComplainantRow.id.in_(wanted)))
        people = {**(people or {}), **{p.id: p for p in found}}
    names: dict[int, list[str]] = {}
    for row in rows:
        person = people.get(row.complainant_id) if row.complainant_id else None
        own = []
        if person is not None:
            proxy = person.proxy if isinstance(person.proxy, dict) else {}
            own = [person.name or "", person.organisation or "", str(proxy.get("name") or "")]
        names[row.id] = [n for n in own if n]
    reps = session.execute(
        select(RepresentativeRow.complaint_id, RepresentativeRow.name).where(
            RepresentativeRow.complaint_id.in_([r.id for r in rows])
        )
    )
    for complaint_id, name in reps:
        if name:
            names.setdefault(complaint_id, []).append(name)
    return names


_CONTACT_MASKS = {
    "from": mask_email,
    "email": mask_email,
    "phone": mask_phone,
    "id_number": mask_id_number,
    "name": mask_name,
}


def _owner_side_data(data: dict[str, Any]) -> dict[str, Any]:
    """Event data as the owning centre sees it: what the complainant wrote, with their
    contact details masked as every other view masks them (the reveal is the way to the
    real ones)."""
    out = dict(data)
    for key in ("complainant", "contact"):
        value = out.get(key)
        if isinstance(value, dict):
            out[key] = {
                k: _CONTACT_MASKS[k](v) if k in _CONTACT_MASKS and isinstance(v, str) else v
                for k, v in value.items()
            }
        elif isinstance(value, str):
            out[key] = mask_text(value)
    return out


def _unit_side_data(data: dict[str, Any]) -> dict[str, Any]:
    """Event data as a handling unit may see it: nothing that identifies the complainant."""
    return {k: v for k, v in data.items() if k not in {"complainant", "contact"}}


def masked_complainant(person: ComplainantRow | None) -> dict[str, Any] | None:
    if person is None:
        return None
    if person.anonymous:
        return {"anonymous": True, "name": "匿名", "phone": None, "email": None}
    return {
        "anonymous": False,
        "name": mask_name(person.name),
        "phone": mask_phone(person.phone),
        "email": mask_email(person.email),
        "id_number": mask_id_number(person.id_number),
        "organisation": mask_name(person.organisation),
        "proxy": bool(person.proxy),
    }


def revealed_complainant(person: ComplainantRow | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {
        "anonymous": person.anonymous,
        "name": person.name,
        "phone": person.phone,
        "email": person.email,
        "id_number": person.id_number,
        "organisation": person.organisation,
        "address": person.address,
        "external_user": person.external_user,
        "proxy": person.proxy,
    }
