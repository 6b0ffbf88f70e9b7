"""The staff pages of a complaint: the queue, a complaint with its timeline and action forms,
returns per unit. Server-rendered; every POST carries a CSRF token."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import forms
from complaintdesk.complaints.queries import ComplaintFilter, ComplaintQueries
from complaintdesk.complaints.views import record_read, showed_personal_data
from complaintdesk.complaints.vocabulary import STATUS_LABELS, Action, Status
from complaintdesk.complaints.web_actions import run_action, status_of
from complaintdesk.http.deps import ContainerDep, DbId, cursor_id
from complaintdesk.http.rendering import lang_of, render
from complaintdesk.http.session import UserDep, WebUser, check_csrf
from complaintdesk.intake import filed_notice
from complaintdesk.kernel.errors import DomainError, NotFound
from complaintdesk.workbench import queues

router = APIRouter(prefix="/staff", include_in_schema=False)
PAGE_SIZE = 50


QUEUE_STATUSES = [s for s in Status]


@router.get("/queue")
def queue(
    request: Request,
    container: ContainerDep,
    user: UserDep,
    q: str = "",
    status: str = "",
    overdue: str = "",
    before: str = "",
) -> Response:
    """The list of complaints: all in the viewer's jurisdiction, or one named queue of a role
    home (``?q=``, workbench.queues), with the status and overdue filters on top; keyset
    paging, 50 rows in one request (one query for rows, one per page for units, people…)."""
    statuses = [Status(status)] if status in {s.value for s in Status} else None
    named = queues.get(q)
    now = container.clock.now()
    moment = queues.Moment.at(now, container.calendar)
    extra = [queues.where(user.actor, named, moment)] if named else []
    filters = ComplaintFilter(status=statuses, overdue=True if overdue == "1" else None)
    with container.uow() as uow:
        if named is not None:
            queues.tune(uow.session)
        queries = ComplaintQueries(uow.session)
        rows = queries.page(
            user.actor,
            filters,
            limit=PAGE_SIZE + 1,
            before_id=cursor_id(before),
            now=now,
            where=extra,
        )
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        items = queries.views(user.actor, rows, now=now)
        # The count the home showed, on the first page of the bare named queue.
        total = None
        if named is not None and not before and not statuses and overdue != "1":
            total = queues.counts(uow.session, user.actor, [named], moment)[named.key]
        last_id = rows[-1].id if rows else None
        shown = [v["id"] for v in items if showed_personal_data(v)]
        record_read(uow.session, user.actor, "list_complaints", shown, at=now, path="/staff/queue")
        uow.commit()
    keep = {
        "q": named.key if named else "",
        "status": status if statuses else "",
        "overdue": "1" if overdue == "1" else "",
    }
    kept = {k: v for k, v in keep.items() if v}
    next_query = None
    if more and last_id is not None:
        next_query = urlencode({**kept, "before": last_id})
    lang = lang_of(request)
    return render(
        request,
        "staff_queue.html",
        {
            "items": items,
            "q": named.key if named else "",
            "queue_label": named.label(lang) if named else None,
            "opens": named.opens if named else "/staff/complaints/{id}",
            "queue_total": total,
            "status": status,
            "overdue": overdue == "1",
            "statuses": [(s.value, *STATUS_LABELS[s]) for s in QUEUE_STATUSES],
            "next_query": next_query,
            "first_query": urlencode(kept),
            "first_page": not before,
        },
    )


def _complaint_context(container: Container, user: WebUser, complaint_id: int) -> dict[str, Any]:
    now = container.clock.now()
    with container.uow() as uow:
        queries = ComplaintQueries(uow.session)
        row = queries.get_row(user.actor, complaint_id)
        view = queries.view(user.actor, row, now=now)
        timeline = queries.timeline(user.actor, complaint_id)
        actions = handling.available_actions(user.actor, row)
        decisions = handling.decision_state(uow, complaint_id)
        units = [
            (u.id, u.name, u.path.count("/") - user.actor.unit_path.count("/"))
            for u in uow.units.subtree(uow.units.get(user.actor.unit_id))
        ]
        # The complaint and its timeline: a read of personal data, logged once per request.
        path = f"/staff/complaints/{complaint_id}"
        record_read(uow.session, user.actor, "read_complaint", [complaint_id], at=now, path=path)
        uow.commit()
    return {
        "c": view,
        "timeline": timeline,
        "actions": [(a, forms.fields_of(a)) for a in actions],
        "decisions": decisions,
        "units": units,
        "owner_side": view["content"] is not None,
    }


@router.get("/complaints/{complaint_id}")
def complaint_page(
    request: Request, container: ContainerDep, user: UserDep, complaint_id: DbId, done: str = ""
) -> Response:
    try:
        context = _complaint_context(container, user, complaint_id)
    except NotFound as exc:
        return _not_found(request, exc)
    # Only an action this page can perform names a message; any other text shows nothing.
    if done in {a.value for a in forms.BODIES}:
        lang = lang_of(request)
        label = forms.action_label(done, lang)
        text = f"Done: {label}" if lang == "en" else f"已完成：{label}"
        context["messages"] = [{"kind": "ok", "text": text}]
    # Just registered on /staff/register: the tracking number and query code, shown once.
    notice = filed_notice.take(
        request, container.settings.secret_key, complaint_id, lang_of(request)
    )
    if notice:
        context["messages"] = [*context.get("messages", []), {"kind": "ok", "text": notice}]
    response = render(request, "staff_complaint.html", context)
    if notice:
        filed_notice.forget(response, complaint_id)
    return response


@router.post("/complaints/{complaint_id}/act/{action}")
async def complaint_act(
    request: Request, container: ContainerDep, user: UserDep, complaint_id: DbId, action: str
) -> Response:
    form = await request.form()
    check_csrf(
        container.settings.secret_key,
        request.state.session_token,
        str(form.get("csrf_token") or ""),
    )
    try:
        chosen = Action(action)
        if chosen not in forms.BODIES:
            raise ValueError(action)
    except ValueError:
        return _not_found(request, NotFound(f"未知操作 / unknown action: {action}"))
    # The form is read here; the action (a transaction, perhaps a triage example) runs in the
    # threadpool, off the event loop every other request of this worker waits on.
    return await run_in_threadpool(_act, request, container, user, complaint_id, chosen, form)


def _act(
    request: Request,
    container: Container,
    user: WebUser,
    complaint_id: int,
    chosen: Action,
    form: FormData,
) -> Response:
    now = container.clock.now()
    try:
        body = forms.parse(chosen, form)
        with container.uow() as uow:
            _run(uow, container, user, complaint_id, chosen, body, now)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            return _not_found(request, exc)
        context = _complaint_context(container, user, complaint_id)
        context["messages"] = [{"kind": "error", "text": str(exc)}]
        context["failed_action"] = chosen.value
        return render(request, "staff_complaint.html", context, status_code=_status_of(exc))
    with container.uow() as uow:
        try:
            ComplaintQueries(uow.session).get_row(user.actor, complaint_id)
            target = f"/staff/complaints/{complaint_id}?done={chosen.value}"
        except NotFound:  # it left this user's jurisdiction (a return, an appeal up)
            target = "/staff/home"
    return RedirectResponse(target, status_code=303)


def _not_found(request: Request, exc: DomainError) -> Response:
    messages = [{"kind": "error", "text": str(exc)}]
    return render(request, "staff_error.html", {"messages": messages}, status_code=404)


def _status_of(exc: DomainError) -> int:
    return status_of(exc)


def _run(
    uow: Any,
    container: Container,
    user: WebUser,
    complaint_id: int,
    action: Action,
    body: Any,
    now: Any,
) -> None:
    run_action(uow, container, user.actor, complaint_id, action, body, now)


@router.get("/returns")
def returns_page(request: Request, container: ContainerDep, user: UserDep) -> Response:
    with container.uow() as uow:
        rows = handling.returns_per_unit(uow, user.actor)
    return render(request, "staff_returns.html", {"rows": rows})
