"""The search page (``/staff/search``): a tracking number, a phone number (centre side only),
Chinese words, with unit, status and received-date filters, inside the viewer's jurisdiction.

The query runs through :meth:`ComplaintQueries.search`, the one place jurisdiction is applied;
this module parses the form, re-checks what a handling unit may see, and renders.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from complaintdesk.complaints.queries import ComplaintFilter, ComplaintQueries
from complaintdesk.complaints.views import record_read, showed_personal_data
from complaintdesk.complaints.vocabulary import STATUS_LABELS, Status
from complaintdesk.http.deps import ContainerDep, cursor_id
from complaintdesk.http.rendering import render
from complaintdesk.http.session import UserDep
from complaintdesk.org.model import Actor
from complaintdesk.search.matching import (
    RECENT_WINDOW,
    QueryKind,
    SearchQuery,
    highlight,
    parse,
)

router = APIRouter(prefix="/staff", include_in_schema=False)
PAGE_SIZE = 50


def _date(value: str, errors: dict[str, str], field: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = "日期格式应为 2026-12-01 / a date looks like 2026-12-01"
        return None


def _visible_to_unit(view: dict[str, Any], query: SearchQuery) -> bool:
    """A handling-side row matched on the stored title or summary; it counts only if the
    words are still there once masked — a complainant's name blacked out of the text the unit
    reads must not be findable by the unit either (SPEC §5)."""
    if query.kind is not QueryKind.WORDS or view["content"] is not None:
        return True
    seen = f"{view['title'] or ''} {view['summary'] or ''}".lower()
    return all(word in seen for word in query.words)


def _results(
    session: Session,
    actor: Actor,
    query: SearchQuery,
    filters: ComplaintFilter,
    before: str,
    now: datetime,
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of views with the title cut for highlighting, and the id to continue
    from (None on the last page). Records the read of the personal data it shows."""
    queries = ComplaintQueries(session)
    rows = queries.search(
        actor, query, filters, limit=PAGE_SIZE + 1, before_id=cursor_id(before), now=now
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    items = [v for v in queries.views(actor, rows, now=now) if _visible_to_unit(v, query)]
    for view in items:
        view["title_parts"] = highlight(view["title"] or "", query.words)
    shown = [v["id"] for v in items if showed_personal_data(v)]
    record_read(session, actor, "search_complaints", shown, at=now, path="/staff/search")
    return items, (rows[-1].id if more else None)


@router.get("/search")
def search_page(
    request: Request,
    container: ContainerDep,
    user: UserDep,
    q: str = "",
    unit: str = "",
    status: str = "",
    received_from: Annotated[str, Query(alias="from")] = "",
    received_to: Annotated[str, Query(alias="to")] = "",
    before: str = "",
) -> Response:
    query = parse(q)
    errors: dict[str, str] = {}
    day_from = _date(received_from, errors, "from")
    day_to = _date(received_to, errors, "to")
    if day_from and day_to and day_from > day_to:
        errors["to"] = "结束日期早于开始日期 / the end date is before the start date"
    statuses = [Status(status)] if status in {s.value for s in Status} else None
    now = container.clock.now()
    with container.uow() as uow:
        own = uow.units.get(user.actor.unit_id)
        units = [
            (u.id, u.name, u.path.count("/") - own.path.count("/")) for u in uow.units.subtree(own)
        ]
        unit_id = cursor_id(unit)
        if unit and unit_id not in {u[0] for u in units}:
            errors["unit"] = "请从列表中选择单位 / choose a unit from the list"
        searched = not errors and (
            query.kind is not QueryKind.EMPTY or bool(unit or status or day_from or day_to)
        )
        items: list[dict[str, Any]] = []
        last_id = None
        if searched:
            filters = ComplaintFilter(
                status=statuses, unit_id=unit_id, received_from=day_from, received_to=day_to
            )
            items, last_id = _results(uow.session, user.actor, query, filters, before, now)
            if query.kind is QueryKind.TRACKING and len(items) == 1 and not before:
                return RedirectResponse(f"/staff/complaints/{items[0]['id']}", status_code=303)
            uow.commit()  # the audit entry of the read
    form = {"q": q, "unit": unit, "status": status, "from": received_from, "to": received_to}
    next_query = None
    if last_id is not None:
        next_query = urlencode({**{k: v for k, v in form.items() if v}, "before": last_id})
    return render(
        request,
        "search.html",
        {
            "form": form,
            "errors": errors,
            "searched": searched,
            "kind": query.kind.value,
            "one_character": query.one_character_only,
            "window": RECENT_WINDOW,
            "items": items,
            "units": units,
            "statuses": [(s.value, *STATUS_LABELS[s]) for s in Status],
            "next_query": next_query,
            "first_page": not before,
            "first_query": urlencode({k: v for k, v in form.items() if v}),
        },
        status_code=400 if errors else 200,
    )
