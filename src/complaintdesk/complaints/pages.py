"""The staff pages of a complaint: the queue, a complaint with its timeline and action forms,
returns per unit. Server-rendered; every POST carries a CSRF token."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import forms
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.queries import ComplaintFilter, ComplaintQueries
from complaintdesk.complaints.views import record_read, showed_personal_data
from complaintdesk.complaints.vocabulary import STATUS_LABELS, Action, Status
from complaintdesk.http.deps import ContainerDep, DbId, cursor_id
from complaintdesk.http.rendering import lang_of, render
from complaintdesk.http.session import UserDep, WebUser, check_csrf
from complaintdesk.kernel.errors import DomainError, NotFound

router = APIRouter(prefix="/staff", include_in_schema=False)
PAGE_SIZE = 30


QUEUE_STATUSES = [s for s in Status]


@router.get("/queue")
def queue(
    request: Request,
    container: ContainerDep,
    user: UserDep,
    status: str = "",
    overdue: str = "",
    before: str = "",
) -> Response:
    statuses = [Status(status)] if status in {s.value for s in Status} else None
    now = container.clock.now()
    with container.uow() as uow:
        queries = ComplaintQueries(uow.session)
        rows = queries.page(
            user.actor,
            ComplaintFilter(status=statuses, overdue=True if overdue == "1" else None),
            limit=PAGE_SIZE + 1,
            before_id=cursor_id(before),
            now=now,
        )
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        items = queries.views(user.actor, rows, now=now)
        last_id = rows[-1].id if rows else None
        shown = [v["id"] for v in items if showed_personal_data(v)]
        record_read(uow.session, user.actor, "list_complaints", shown, at=now, path="/staff/queue")
        uow.commit()
    next_query = None
    if more and last_id is not None:
        parts = [f"before={last_id}"]
        if status:
            parts.append(f"status={quote(status)}")
        if overdue == "1":
            parts.append("overdue=1")
        next_query = "&".join(parts)
    return render(
        request,
        "staff_queue.html",
        {
            "items": items,
            "status": status,
            "overdue": overdue == "1",
            "statuses": [(s.value, *STATUS_LABELS[s]) for s in QUEUE_STATUSES],
            "next_query": next_query,
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
    return render(request, "staff_complaint.html", context)


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
            target = "/staff/queue"
    return RedirectResponse(target, status_code=303)


def _not_found(request: Request, exc: DomainError) -> Response:
    messages = [{"kind": "error", "text": str(exc)}]
    return render(request, "staff_error.html", {"messages": messages}, status_code=404)


def _status_of(exc: DomainError) -> int:
    from complaintdesk.http.errors import STATUS_BY_ERROR

    for kind, code, _name in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return code
    return 400


def _run(
    uow: Any,
    container: Container,
    user: WebUser,
    complaint_id: int,
    action: Action,
    body: Any,
    now: Any,
) -> None:
    expected = getattr(body, "expected_version", None)
    if action is Action.SIGN_OFF:
        handling.sign_off(
            uow,
            user.actor,
            complaint_id,
            mode=body.mode,
            unit_id=body.unit_id,
            opinion=body.opinion,
            now=now,
            calendar=container.calendar,
            expected_version=expected,
        )
    elif action is Action.TAKE_OVER:
        handling.take_over(
            uow,
            user.actor,
            complaint_id,
            reason=body.reason,
            now=now,
            calendar=container.calendar,
            expected_version=expected,
        )
    else:
        svc.perform(
            uow,
            user.actor,
            complaint_id,
            command_for(action, body.model_dump(exclude={"expected_version"}, mode="json")),
            now=now,
            calendar=container.calendar,
            expected_version=expected,
        )


@router.get("/returns")
def returns_page(request: Request, container: ContainerDep, user: UserDep) -> Response:
    with container.uow() as uow:
        rows = handling.returns_per_unit(uow, user.actor)
    return render(request, "staff_returns.html", {"rows": rows})
