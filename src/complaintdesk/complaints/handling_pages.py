"""The handling unit's pages (issue 13 item 5) and the callback pages (item 6).

- ``GET /staff/handling``: the unit's work by urgency, 50 rows a tab, with due badges;
- ``GET /staff/complaints/{id}/handle``: one complaint as the unit may see it (the summary
  and never the complainant, exactly as the API answers), with one form per step: sign for,
  note, findings, extension request, reply, written report — and for the centre's leader the
  extension decision;
- ``GET /staff/extensions``: the leader's extension requests;
- ``GET /staff/callbacks`` and ``GET /staff/complaints/{id}/callback``: the callback
  auditor's queue, a script, the outcome.

Every form posts to a route here that checks the CSRF token, runs the action through
``web_actions.run_action`` (the same use cases as the API) in the threadpool and redirects
back with a flash; a refusal re-renders the page with the bilingual reason next to the field
and what was typed; a conflict (409) says what changed and offers to retry.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import decisions, forms
from complaintdesk.complaints import schemas as s
from complaintdesk.complaints.handling_forms import (
    FormErrors,
    conflict_note,
    field_of_message,
    typed_values,
    validate,
)
from complaintdesk.complaints.handling_info import (
    callback_script,
    extension_limits,
    reopen_cost,
)
from complaintdesk.complaints.handling_queues import (
    HANDLING_TABS,
    QUEUE_SIZE,
    TAB_KEYS,
    HandlingQueues,
)
from complaintdesk.complaints.queries import ComplaintQueries
from complaintdesk.complaints.views import record_read, showed_personal_data
from complaintdesk.complaints.vocabulary import Action, IllegalTransition, Status
from complaintdesk.complaints.web_actions import run_action, status_of
from complaintdesk.http.deps import ContainerDep, DbId
from complaintdesk.http.rendering import lang_of, render
from complaintdesk.http.session import UserDep, WebUser, check_csrf
from complaintdesk.kernel.errors import ConcurrencyConflict, DomainError, NotFound

router = APIRouter(prefix="/staff", include_in_schema=False)

# The steps of the handling page, in the order a complaint meets them.
HANDLE_ACTIONS: list[Action] = [
    Action.RECEIVE,
    Action.RETURN_DISPATCH,
    Action.START_HANDLING,
    Action.ADD_NOTE,
    Action.RECORD_FINDINGS,
    Action.REQUEST_EXTENSION,
    Action.APPROVE_EXTENSION,
    Action.REFUSE_EXTENSION,
    Action.REPLY,
    Action.SUBMIT_REPORT,
]
_HANDLE_VALUES = {a.value: a for a in HANDLE_ACTIONS}
# Where a form may send the browser back to (never an address taken from the request).
_BACK = {"extensions": "/staff/extensions"}


# --- the handling unit's list --------------------------------------------------------------


@router.get("/handling")
def handling_list(
    request: Request, container: ContainerDep, user: UserDep, tab: str = ""
) -> Response:
    now = container.clock.now()
    with container.uow() as uow:
        queues = HandlingQueues(uow.session)
        counts = queues.handling_counts(user.actor, now=now, calendar=container.calendar)
        if tab not in TAB_KEYS:
            tab = next((t.key for t in HANDLING_TABS if counts[t.key]), HANDLING_TABS[0].key)
        rows = queues.handling_rows(user.actor, tab, now=now, calendar=container.calendar)
        items = queues.queries.views(user.actor, rows, now=now)
        shown = [v["id"] for v in items if showed_personal_data(v)]
        record_read(
            uow.session, user.actor, "list_complaints", shown, at=now, path="/staff/handling"
        )
        uow.commit()
    return render(
        request,
        "staff_handling.html",
        {
            "tabs": HANDLING_TABS,
            "tab": tab,
            "counts": counts,
            "items": items,
            "limit": QUEUE_SIZE,
            "messages": _done_messages(request),
        },
    )


# --- one complaint, as the handling unit (and the centre's leader) sees it -----------------


def _handle_context(container: Container, user: WebUser, complaint_id: int) -> dict[str, Any]:
    now = container.clock.now()
    with container.uow() as uow:
        queries = ComplaintQueries(uow.session)
        row = queries.get_row(user.actor, complaint_id)
        view = queries.view(user.actor, row, now=now)
        timeline = queries.timeline(user.actor, complaint_id)
        allowed = set(decisions.available_actions(user.actor, row))
        if showed_personal_data(view):
            path = f"/staff/complaints/{complaint_id}/handle"
            record_read(
                uow.session, user.actor, "read_complaint", [complaint_id], at=now, path=path
            )
        uow.commit()
    limits = extension_limits(
        view["due_at"], view["extension_days"], view["extension_pending_days"], container.calendar
    )
    request_event = next(
        (e for e in reversed(timeline) if e["action"] == Action.REQUEST_EXTENSION.value), None
    )
    return {
        "c": view,
        "timeline": timeline,
        "allowed": {a.value for a in HANDLE_ACTIONS if a in allowed},
        "limits": limits,
        "extension_request": request_event if view["extension_pending_days"] else None,
        "findings": _choices(Action.RECORD_FINDINGS, "finding"),
        "leniency": _choices(Action.RECORD_FINDINGS, "leniency"),
        "aggravating": _choices(Action.RECORD_FINDINGS, "aggravating"),
        "channels": forms.REPLY_CHANNELS,
        "owner_side": view["content"] is not None,
        "typed": {},
        "errors": {},
        "conflict": None,
    }


@router.get("/complaints/{complaint_id}/handle")
def handle_page(
    request: Request, container: ContainerDep, user: UserDep, complaint_id: DbId
) -> Response:
    try:
        context = _handle_context(container, user, complaint_id)
    except NotFound as exc:
        return _not_found(request, exc)
    context["messages"] = _done_messages(request)
    return render(request, "staff_handling_complaint.html", context)


@router.post("/complaints/{complaint_id}/handle/{action}")
async def handle_act(
    request: Request, container: ContainerDep, user: UserDep, complaint_id: DbId, action: str
) -> Response:
    form = await request.form()
    check_csrf(
        container.settings.secret_key,
        request.state.session_token,
        str(form.get("csrf_token") or ""),
    )
    chosen = _HANDLE_VALUES.get(action)
    if chosen is None:
        return _not_found(request, NotFound(f"未知操作 / unknown action: {action}"))
    return await run_in_threadpool(
        _handle_act, request, container, user, complaint_id, chosen, form
    )


def _handle_act(
    request: Request,
    container: Container,
    user: WebUser,
    complaint_id: int,
    action: Action,
    form: FormData,
) -> Response:
    typed = typed_values(action, form)
    back = _BACK.get(str(form.get("back") or ""))
    try:
        checked = validate(action, form)
        if checked.errors and not checked.beyond_cap:
            raise FormErrors(checked.errors)
        # Days beyond the schema's cap go to the aggregate, which says how many may still be
        # asked for (the 30-working-day ceiling lives there and nowhere else).
        body = checked.body if checked.body is not None else _raw_extension(form)
        with container.uow() as uow:
            run_action(
                uow, container, user.actor, complaint_id, action, body, container.clock.now()
            )
    except FormErrors as exc:
        return _handle_refused(
            request, container, user, complaint_id, action, typed, exc.errors, 422
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            return _not_found(request, exc)
        errors = {field_of_message(action, str(exc)): str(exc)}
        return _handle_refused(
            request, container, user, complaint_id, action, typed, errors, status_of(exc), exc
        )
    target = back or f"/staff/complaints/{complaint_id}/handle"
    if not back and not _visible(container, user, complaint_id):
        target = "/staff/handling"  # a return took it out of this unit's hands
    return RedirectResponse(f"{target}?done={action.value}", status_code=303)


def _raw_extension(form: FormData) -> s.ExtensionIn:
    """An extension request whose days exceed the schema's cap (the most any complaint may
    ever get). The aggregate refuses it with the ceiling and the days still available."""
    version = str(form.get("expected_version") or "")
    return s.ExtensionIn.model_construct(
        working_days=int(str(form.get("working_days") or "0")),
        reason=str(form.get("reason") or ""),
        expected_version=int(version) if version.isdigit() else None,
    )


def _handle_refused(
    request: Request,
    container: Container,
    user: WebUser,
    complaint_id: int,
    action: Action,
    typed: dict[str, Any],
    errors: dict[str, str],
    status_code: int,
    exc: DomainError | None = None,
) -> Response:
    try:
        context = _handle_context(container, user, complaint_id)
    except NotFound as missing:
        return _not_found(request, missing)
    context["typed"] = {action.value: typed}
    context["errors"] = {action.value: errors}
    messages = [{"kind": "error", "text": next(iter(errors.values()))}]
    if isinstance(exc, ConcurrencyConflict | IllegalTransition):
        note = conflict_note(context["c"], context["timeline"], lang_of(request))
        context["conflict"] = {"action": action.value, "note": note}
        messages = [{"kind": "error", "text": f"{exc} {note}"}]
    context["messages"] = messages
    return render(request, "staff_handling_complaint.html", context, status_code=status_code)


# --- the leader's extension requests ------------------------------------------------------


@router.get("/extensions")
def extensions_page(request: Request, container: ContainerDep, user: UserDep) -> Response:
    now = container.clock.now()
    with container.uow() as uow:
        queues = HandlingQueues(uow.session)
        rows = queues.extension_rows(user.actor)
        items = queues.queries.views(user.actor, rows, now=now)
        requests = queues.latest_events([r.id for r in rows], Action.REQUEST_EXTENSION)
        may_decide = user.actor.may(Action.APPROVE_EXTENSION)
        shown = [v["id"] for v in items if showed_personal_data(v)]
        record_read(
            uow.session, user.actor, "list_complaints", shown, at=now, path="/staff/extensions"
        )
        uow.commit()
    for item in items:
        event = requests.get(item["id"])
        item["request_reason"] = event.reason if event else ""
        item["requested_at"] = event.at if event else None
        item["limits"] = extension_limits(
            item["due_at"],
            item["extension_days"],
            item["extension_pending_days"],
            container.calendar,
        )
    return render(
        request,
        "staff_handling_extensions.html",
        {"items": items, "may_decide": may_decide, "messages": _done_messages(request)},
    )


# --- the callback auditor ------------------------------------------------------------------


@router.get("/callbacks")
def callbacks_page(request: Request, container: ContainerDep, user: UserDep) -> Response:
    now = container.clock.now()
    with container.uow() as uow:
        queues = HandlingQueues(uow.session)
        rows = queues.callback_rows(user.actor)
        total = queues.callback_count(user.actor)
        items = queues.queries.views(user.actor, rows, now=now)
        replies = queues.latest_events([r.id for r in rows], Action.REPLY)
        attempts = {r.id: r.callback_attempts for r in rows}
        shown = [v["id"] for v in items if showed_personal_data(v)]
        record_read(
            uow.session, user.actor, "list_complaints", shown, at=now, path="/staff/callbacks"
        )
        uow.commit()
    for item in items:
        reply = replies.get(item["id"])
        item["replied_at"] = reply.at if reply else None
        item["reply_channel"] = (reply.data or {}).get("channel") if reply else None
        item["attempts"] = attempts.get(item["id"], 0)
    return render(
        request,
        "staff_callbacks.html",
        {
            "items": items,
            "total": total,
            "limit": QUEUE_SIZE,
            "channels": {v: (zh, en) for v, zh, en in forms.REPLY_CHANNELS},
            "messages": _done_messages(request),
        },
    )


def _callback_context(container: Container, user: WebUser, complaint_id: int) -> dict[str, Any]:
    now = container.clock.now()
    with container.uow() as uow:
        queries = ComplaintQueries(uow.session)
        row = queries.get_row(user.actor, complaint_id)
        if not user.actor.sees(row.owner_unit_path):
            # Callbacks are the owning centre's: a handling unit never calls the complainant.
            raise NotFound(f"投诉 {complaint_id} 不存在 / complaint {complaint_id} not found")
        view = queries.view(user.actor, row, now=now)
        timeline = queries.timeline(user.actor, complaint_id)
        allowed = set(decisions.available_actions(user.actor, row))
        path = f"/staff/complaints/{complaint_id}/callback"
        record_read(uow.session, user.actor, "read_complaint", [complaint_id], at=now, path=path)
        uow.commit()
    reply = next((e for e in reversed(timeline) if e["action"] == Action.REPLY.value), None)
    person = view["complainant"] or {}
    script = callback_script(
        centre=user.unit_name,
        auditor=user.display_name,
        masked_name=person.get("name"),
        anonymous=bool(person.get("anonymous")),
        tracking_no=view["tracking_no"],
        title=view["title"] or "",
        received_at=view["received_at"],
        handling_unit=(view["handling_unit"] or {}).get("name"),
        replied_at=reply["at"] if reply else None,
        channel=(reply["data"] or {}).get("channel") if reply else None,
    )
    can_record = Action.RECORD_CALLBACK in allowed or Action.START_CALLBACK in allowed
    return {
        "c": view,
        "timeline": timeline,
        "reply": reply,
        "reply_channel": (reply["data"] or {}).get("channel") if reply else None,
        "channels": {v: (zh, en) for v, zh, en in forms.REPLY_CHANNELS},
        "script": script,
        "can_record": can_record,
        "outcomes": _choices(Action.RECORD_CALLBACK, "outcome"),
        "cost": reopen_cost(),
        "result": _last_callback(timeline),
        "typed": {},
        "errors": {},
        "conflict": None,
    }


def _last_callback(timeline: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The latest recorded callback and whether it reopened the complaint."""
    for index in range(len(timeline) - 1, -1, -1):
        event = timeline[index]
        if event["action"] == Action.RECORD_CALLBACK.value:
            after = [e["action"] for e in timeline[index + 1 : index + 3]]
            return {
                "outcome": (event["data"] or {}).get("outcome"),
                "at": event["at"],
                "note": event["reason"],
                "reopened": Action.REOPEN.value in after,
                "closed": Action.CLOSE.value in after,
            }
    return None


@router.get("/complaints/{complaint_id}/callback")
def callback_page(
    request: Request, container: ContainerDep, user: UserDep, complaint_id: DbId
) -> Response:
    try:
        context = _callback_context(container, user, complaint_id)
    except NotFound as exc:
        return _not_found(request, exc)
    context["messages"] = _callback_messages(request, context)
    return render(request, "staff_callback.html", context)


@router.post("/complaints/{complaint_id}/callback")
async def callback_act(
    request: Request, container: ContainerDep, user: UserDep, complaint_id: DbId
) -> Response:
    form = await request.form()
    check_csrf(
        container.settings.secret_key,
        request.state.session_token,
        str(form.get("csrf_token") or ""),
    )
    return await run_in_threadpool(_callback_act, request, container, user, complaint_id, form)


def _callback_act(
    request: Request, container: Container, user: WebUser, complaint_id: int, form: FormData
) -> Response:
    action = Action.RECORD_CALLBACK
    typed = typed_values(action, form)
    try:
        checked = validate(action, form)
        if checked.errors or checked.body is None:
            raise FormErrors(checked.errors)
        body = checked.body
        with container.uow() as uow:
            row = ComplaintQueries(uow.session).get_row(user.actor, complaint_id)
            status = Status(row.status)
        if status is Status.REPLIED:
            # The call is being made now: start the callback and record it in one go.
            start = s.ActionIn(expected_version=getattr(body, "expected_version", None))
            with container.uow() as uow:
                run_action(
                    uow,
                    container,
                    user.actor,
                    complaint_id,
                    Action.START_CALLBACK,
                    start,
                    container.clock.now(),
                )
            body = body.model_copy(update={"expected_version": None})
        with container.uow() as uow:
            run_action(
                uow, container, user.actor, complaint_id, action, body, container.clock.now()
            )
    except FormErrors as exc:
        return _callback_refused(request, container, user, complaint_id, typed, exc.errors, 422)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            return _not_found(request, exc)
        errors = {field_of_message(action, str(exc)): str(exc)}
        return _callback_refused(
            request, container, user, complaint_id, typed, errors, status_of(exc), exc
        )
    return RedirectResponse(
        f"/staff/complaints/{complaint_id}/callback?done={action.value}", status_code=303
    )


def _callback_refused(
    request: Request,
    container: Container,
    user: WebUser,
    complaint_id: int,
    typed: dict[str, Any],
    errors: dict[str, str],
    status_code: int,
    exc: DomainError | None = None,
) -> Response:
    try:
        context = _callback_context(container, user, complaint_id)
    except NotFound as missing:
        return _not_found(request, missing)
    key = Action.RECORD_CALLBACK.value
    context["typed"] = {key: typed}
    context["errors"] = {key: errors}
    messages = [{"kind": "error", "text": next(iter(errors.values()))}]
    if isinstance(exc, ConcurrencyConflict | IllegalTransition):
        note = conflict_note(context["c"], context["timeline"], lang_of(request))
        context["conflict"] = {"action": key, "note": note}
        messages = [{"kind": "error", "text": f"{exc} {note}"}]
    context["messages"] = messages
    return render(request, "staff_callback.html", context, status_code=status_code)


# --- shared bits -----------------------------------------------------------------------------


def _choices(action: Action, name: str) -> list[tuple[str, str, str]]:
    """A field's (value, 中文, English) choices, as the API's body declares them."""
    return next(f.choices for f in forms.fields_of(action) if f.name == name)


def _visible(container: Container, user: WebUser, complaint_id: int) -> bool:
    with container.uow() as uow:
        try:
            ComplaintQueries(uow.session).get_row(user.actor, complaint_id)
        except NotFound:
            return False
    return True


def _done_messages(request: Request) -> list[dict[str, str]]:
    """The flash after a redirect: only an action these pages perform names a message."""
    done = request.query_params.get("done", "")
    if done not in _HANDLE_VALUES and done != Action.RECORD_CALLBACK.value:
        return []
    lang = lang_of(request)
    label = forms.action_label(done, lang)
    return [{"kind": "ok", "text": f"Done: {label}" if lang == "en" else f"已完成：{label}"}]


def _callback_messages(request: Request, context: dict[str, Any]) -> list[dict[str, str]]:
    messages = _done_messages(request)
    result = context["result"]
    if not messages or result is None:
        return messages
    en = lang_of(request) == "en"
    if result["reopened"]:
        cost = context["cost"]
        text = (
            f"Reopened: the case goes back to the handling unit, and counts double against it"
            f" ({cost.multiplier} × {cost.per_case} = {cost.points} points)."
            if en
            else f"已重办：退回承办单位重新办理，计为回访属实未解决，加倍扣分"
            f"（{cost.multiplier} × {cost.per_case} = {cost.points} 分）。"
        )
    elif result["closed"]:
        text = "Closed." if en else "已办结。"
    else:
        text = (
            "Not reached: the callback stays in the queue." if en else "未联系上：回访仍在队列中。"
        )
    return [{"kind": "ok", "text": f"{messages[0]['text']} {text}"}]


def _not_found(request: Request, exc: DomainError) -> Response:
    messages = [{"kind": "error", "text": str(exc)}]
    return render(request, "staff_error.html", {"messages": messages}, status_code=404)
