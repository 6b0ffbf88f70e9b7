"""The dispatcher's pages (issue 13 item 4): the queue to dispatch with bulk dispatch, the
dispatch page of one complaint (triage panel, unit tree, modes, summary, the leader's
instruction and sign-off inline) and the arbitration of returns. Every action runs through
the same use cases as the API (``web_actions.run_action``); every POST checks CSRF."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import dispatch_desk as desk
from complaintdesk.complaints import forms
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.model import ALLOWED_FROM
from complaintdesk.complaints.queries import ComplaintFilter, ComplaintQueries
from complaintdesk.complaints.views import record_read, showed_personal_data
from complaintdesk.complaints.vocabulary import Action, DispatchMode, Importance, Status
from complaintdesk.complaints.web_actions import run_action, status_of
from complaintdesk.http.deps import ContainerDep, DbId, cursor_id
from complaintdesk.http.rendering import lang_of, render
from complaintdesk.http.session import UserDep, WebUser, check_csrf
from complaintdesk.kernel.errors import (
    ConcurrencyConflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from complaintdesk.org.model import Actor

router = APIRouter(prefix="/staff", include_in_schema=False)
QUEUE_SIZE = 50
# What this desk offers, in the order the page shows them.
DESK_ACTIONS = (
    Action.CLASSIFY,
    Action.INSTRUCT,
    Action.SIGN_OFF,
    Action.DISPATCH,
    Action.RULE_ON_RETURN,
    Action.HAND_OVER,
    Action.TAKE_OVER,
)
VIEWS = ("all", "unrouted", "returned")
TRACKING_NO = re.compile(r"TS\d{8}-\d{6,9}")
REFUSED = (
    "您的角色不能派单或签批 / your role may not dispatch or sign off complaints",
    "dispatch",
)


def _desk_user(actor: Actor) -> bool:
    return any(actor.may(a) for a in (Action.DISPATCH, Action.SIGN_OFF, Action.RULE_ON_RETURN))


def _refused(request: Request, text: str = REFUSED[0], status_code: int = 403) -> Response:
    messages = [{"kind": "error", "text": text}]
    return render(request, "staff_error.html", {"messages": messages}, status_code=status_code)


# --- the queue -------------------------------------------------------------------------


def _queue_context(container: Container, user: WebUser, view: str, before: str) -> dict[str, Any]:
    actor = user.actor
    now = container.clock.now()
    returned_only = view == "returned"
    statuses = [Status.RETURNED] if returned_only else list(desk.TO_DISPATCH)
    with container.uow() as uow:
        queries = ComplaintQueries(uow.session)
        rows = queries.page(
            actor,
            ComplaintFilter(status=statuses, unrouted=True if view == "unrouted" else None),
            limit=QUEUE_SIZE + 1,
            before_id=cursor_id(before),
            now=now,
            where=[desk.owned_by(actor)],
        )
        more = len(rows) > QUEUE_SIZE
        rows = rows[:QUEUE_SIZE]
        views = queries.views(actor, rows, now=now)
        decided = desk.decisions_for(uow.session, [r.id for r in rows])
        units = desk.unit_tree(uow, actor)
        names = {u["id"]: u["name"] for u in units}
        items = []
        for v in views:
            routing = ((v["triage"] or {}).get("routing") or [])[:1]
            top = routing[0] if routing else None
            label = v["department_label"] or (top or {}).get("label")
            state = decided[v["id"]]
            items.append(
                {
                    **v,
                    "top": top,
                    "label": label,
                    "unit": desk.suggest_unit(units, label),
                    "decision": state,
                    "signed_unit": names.get((state.signed_off or {}).get("unit_id") or 0),
                }
            )
        shown = [v["id"] for v in views if showed_personal_data(v)]
        record_read(uow.session, actor, "list_complaints", shown, at=now, path="/staff/dispatch")
        uow.commit()
    next_query = None
    if more and rows:
        next_query = f"view={quote(view)}&before={rows[-1].id}"
    return {
        "items": items,
        "view": view,
        "units": units,
        "next_query": next_query,
        "modes": _modes(),
        "may_dispatch": actor.may(Action.DISPATCH),
    }


def _modes() -> list[tuple[str, str, str]]:
    return [
        (DispatchMode.TRANSFER.value, "转办", "transfer"),
        (DispatchMode.SELF_HANDLE.value, "自办", "self-handle"),
    ]


@router.get("/dispatch")
def dispatch_queue(
    request: Request,
    container: ContainerDep,
    user: UserDep,
    view: str = "all",
    before: str = "",
    done: str = "",
) -> Response:
    if not _desk_user(user.actor):
        return _refused(request)
    context = _queue_context(container, user, view if view in VIEWS else "all", before)
    if TRACKING_NO.fullmatch(done):  # only a tracking number is echoed back
        context["messages"] = [{"kind": "ok", "text": f"已派单 / dispatched: {done}"}]
    return render(request, "staff_dispatch_queue.html", context)


@router.post("/dispatch/bulk")
async def dispatch_bulk(request: Request, container: ContainerDep, user: UserDep) -> Response:
    form = await request.form()
    check_csrf(
        container.settings.secret_key,
        request.state.session_token,
        str(form.get("csrf_token") or ""),
    )
    return await run_in_threadpool(_bulk, request, container, user, form)


def _picked(form: FormData) -> list[tuple[int, int | None]]:
    """The ticked rows as (id, version seen): a row changed since is a conflict."""
    out = []
    for value in form.getlist("pick"):
        cid, _, version = str(value).partition(":")
        if cid.isdigit() and len(cid) < 19:
            out.append(
                (int(cid), int(version) if version.isdigit() and len(version) < 19 else None)
            )
    return out


def _bulk(request: Request, container: Container, user: WebUser, form: FormData) -> Response:
    actor = user.actor
    if not actor.may(Action.DISPATCH):
        return _refused(request)
    picked = _picked(form)
    view = str(form.get("view") or "all")
    view = view if view in VIEWS else "all"
    unit = str(form.get("unit_id") or "").strip()
    mode = str(form.get("mode") or "").strip()
    errors: dict[str, str] = {}
    if not picked:
        errors["pick"] = "请勾选要派出的投诉 / tick the complaints to dispatch"
    if not unit.isdigit():
        errors["unit_id"] = "请选择承办单位 / choose the handling unit"
    if mode not in {m.value for m in DispatchMode}:
        errors["mode"] = "请选择办理方式 / choose the mode"
    if errors:
        context = _queue_context(container, user, view, "")
        context.update(errors=errors, bulk={"unit_id": unit, "mode": mode}, picked=picked)
        return render(request, "staff_dispatch_queue.html", context, status_code=422)
    results = [
        _dispatch_one(container, actor, cid, version, int(unit), mode) for cid, version in picked
    ]
    context = _queue_context(container, user, view, "")
    context.update(results=results, bulk={"unit_id": unit, "mode": mode})
    return render(request, "staff_dispatch_queue.html", context)


def _dispatch_one(
    container: Container, actor: Actor, cid: int, version: int | None, unit_id: int, mode: str
) -> dict[str, Any]:
    """One complaint of a bulk dispatch, in its own transaction; the outcome for its row."""
    now = container.clock.now()
    outcome: dict[str, Any] = {"id": cid, "tracking_no": str(cid), "title": ""}
    try:
        with container.uow() as uow:
            row = ComplaintQueries(uow.session).get_row(actor, cid)
            outcome.update(tracking_no=row.tracking_no, title=row.title)
            body = forms.BODIES[Action.DISPATCH].model_validate(
                {
                    "unit_id": unit_id,
                    "mode": mode,
                    # The stored summary, or the masked start of the letter: never the identity.
                    "summary": desk.default_summary(uow.session, row),
                    "expected_version": version,
                }
            )
            run_action(uow, container, actor, cid, Action.DISPATCH, body, now)
    except ConcurrencyConflict as exc:
        outcome.update(kind="conflict", text=_conflict_text(exc))
    except DomainError as exc:
        outcome.update(kind="refused", text=str(exc))
    except ValueError as exc:  # a unit id out of range: the body's own validation
        outcome.update(kind="refused", text=str(InvalidInput(f"无效的单位 / invalid unit: {exc}")))
    else:
        outcome.update(kind="done", text="已派单 / dispatched")
    return outcome


def _conflict_text(exc: ConcurrencyConflict) -> str:
    return (
        f"他人已先处理（版本 {exc.expected_version} → {exc.current_version}），请打开后重试"
        f" / someone acted first (version {exc.expected_version} → {exc.current_version});"
        " open it and retry"
    )


# --- the dispatch page of one complaint ---------------------------------------------------


def _desk_context(container: Container, user: WebUser, cid: int) -> dict[str, Any]:
    actor = user.actor
    now = container.clock.now()
    with container.uow() as uow:
        queries = ComplaintQueries(uow.session)
        row = queries.get_row(actor, cid)
        if not actor.sees(row.owner_unit_path):
            raise PermissionDenied(REFUSED[0])
        view = queries.view(actor, row, now=now)
        timeline = queries.timeline(actor, cid)
        state = desk.decisions_for(uow.session, [cid])[cid]
        units = desk.unit_tree(uow, actor)
        actions = [a for a in handling.available_actions(actor, row) if a in DESK_ACTIONS]
        if _may_classify(actor, row):
            actions.insert(0, Action.CLASSIFY)
        summary = desk.default_summary(uow.session, row)
        record_read(
            uow.session,
            actor,
            "read_complaint",
            [cid],
            at=now,
            path=f"/staff/complaints/{cid}/dispatch",
        )
        uow.commit()
    names = {u["id"]: u["name"] for u in units}
    triage = view["triage"] or {}
    routing = [
        {**r, "unit": desk.suggest_unit(units, r.get("label"))}
        for r in (triage.get("routing") or [])[:3]
    ]
    suggested = next((r["unit"] for r in routing if r["unit"]), None)
    if view["department_label"]:
        suggested = desk.suggest_unit(units, view["department_label"]) or suggested
    signed = state.signed_off or {}
    history = [e for e in timeline if e["action"] in {a.value for a in desk.HISTORY_ACTIONS}]
    for e in history:
        uid = (e["data"] or {}).get("unit_id") or (e["data"] or {}).get("to_unit_id")
        e["unit_name"] = names.get(uid) if uid else None
    important = view["importance"] == Importance.IMPORTANT.value
    return {
        "c": view,
        "triage": triage,
        "routing": routing,
        "labels": _labels(routing, view["department_label"]),
        "units": units,
        "unit_names": names,
        "actions": [a.value for a in actions],
        "decision": state,
        "signed": signed,
        "signed_unit": names.get(signed.get("unit_id") or 0),
        "important": important,
        "waits_for": _waits_for(important, state),
        "history": history,
        "latest": timeline[-1] if timeline else None,
        "summary": summary,
        "modes": _modes(),
        "prefill": {
            "unit_id": str(signed.get("unit_id") or (suggested or {}).get("id") or ""),
            "mode": signed.get("mode") or DispatchMode.TRANSFER.value,
            "summary": summary,
        },
        "posted": {},
        "errors": {},
        "failed": "",
    }


def _may_classify(actor: Actor, row: Any) -> bool:
    """分类 is not on the generic complaint page; here it is, beside the suggestions."""
    try:
        svc.authorise(actor, row, Action.CLASSIFY)
    except DomainError:
        return False
    return Status(row.status) in ALLOWED_FROM[Action.CLASSIFY]


def _labels(routing: list[dict[str, Any]], decided: str | None) -> list[str]:
    """The department labels to choose from: the suggestions first, then SPEC's others."""
    first = [r["label"] for r in routing if r.get("label")]
    return list(dict.fromkeys([*([decided] if decided else []), *first, *desk.LABEL_UNIT_WORDS]))


def _waits_for(important: bool, state: desk.Decisions) -> str:
    if important and not state.instructed:
        return "instruction"
    if state.signed_off is None:
        return "sign_off"
    return ""


@router.get("/complaints/{complaint_id}/dispatch")
def dispatch_page(
    request: Request, container: ContainerDep, user: UserDep, complaint_id: DbId, done: str = ""
) -> Response:
    if not _desk_user(user.actor):
        return _refused(request)
    try:
        context = _desk_context(container, user, complaint_id)
    except PermissionDenied as exc:
        return _refused(request, str(exc))
    except NotFound as exc:
        return _refused(request, str(exc), 404)
    if done in {a.value for a in DESK_ACTIONS}:
        context["messages"] = [
            {"kind": "ok", "text": f"已完成 / done: {forms.action_label(done, lang_of(request))}"}
        ]
    return render(request, "staff_dispatch.html", context)


@router.post("/complaints/{complaint_id}/dispatch/{action}")
async def dispatch_act(
    request: Request, container: ContainerDep, user: UserDep, complaint_id: DbId, action: str
) -> Response:
    form = await request.form()
    check_csrf(
        container.settings.secret_key,
        request.state.session_token,
        str(form.get("csrf_token") or ""),
    )
    chosen = next((a for a in DESK_ACTIONS if a.value == action), None)
    if chosen is None:
        return _refused(request, f"未知操作 / unknown action: {action[:40]}", 404)
    return await run_in_threadpool(_act, request, container, user, complaint_id, chosen, form)


def _act(
    request: Request,
    container: Container,
    user: WebUser,
    cid: int,
    chosen: Action,
    form: FormData,
) -> Response:
    if not _desk_user(user.actor):
        return _refused(request)
    now = container.clock.now()
    try:
        body = forms.parse(chosen, form)
        with container.uow() as uow:
            row = ComplaintQueries(uow.session).get_row(user.actor, cid)
            if chosen is Action.DISPATCH:
                # What the dispatcher typed, masked as the unit will read it.
                summary = desk.mask_summary(uow.session, row, getattr(body, "summary", ""))
                body = body.model_copy(update={"summary": summary})
            run_action(uow, container, user.actor, cid, chosen, body, now)
    except NotFound as exc:
        return _refused(request, str(exc), 404)
    except DomainError as exc:
        return _failed(request, container, user, cid, chosen, form, exc)
    if chosen is Action.DISPATCH:
        with container.uow() as uow:
            tracking = uow.complaints.row(cid).tracking_no
        return RedirectResponse(f"/staff/dispatch?done={quote(tracking)}", status_code=303)
    with container.uow() as uow:
        try:
            ComplaintQueries(uow.session).get_row(user.actor, cid)
        except NotFound:  # taken over from a level this user does not see
            return RedirectResponse("/staff/dispatch", status_code=303)
    return RedirectResponse(
        f"/staff/complaints/{cid}/dispatch?done={chosen.value}", status_code=303
    )


def _failed(
    request: Request,
    container: Container,
    user: WebUser,
    cid: int,
    chosen: Action,
    form: FormData,
    exc: DomainError,
) -> Response:
    """The page again, the refusal next to the form that caused it, what was typed kept;
    after a conflict, what changed and a retry with the current version."""
    try:
        context = _desk_context(container, user, cid)
    except (PermissionDenied, NotFound) as gone:
        return _refused(request, str(gone), status_of(gone))
    posted = {k: str(v) for k, v in form.items() if k not in {"csrf_token", "expected_version"}}
    context.update(
        posted=posted, failed=chosen.value, error=str(exc), errors=_field_errors(chosen, posted)
    )
    if chosen is Action.DISPATCH and "summary" in posted:
        context["prefill"] = {**context["prefill"], **posted}
    if isinstance(exc, ConcurrencyConflict):
        context["conflict"] = {
            "expected": exc.expected_version,
            "current": exc.current_version,
            "latest": context["latest"],
        }
    return render(request, "staff_dispatch.html", context, status_code=status_of(exc))


def _field_errors(chosen: Action, posted: dict[str, str]) -> dict[str, str]:
    """The refusals that belong to one field, to show next to it."""
    errors = {}
    if chosen is Action.DISPATCH:
        if not posted.get("unit_id", "").strip():
            errors["unit_id"] = "请选择承办单位 / choose the handling unit"
        if (
            posted.get("mode") == DispatchMode.TRANSFER.value
            and not posted.get("summary", "").strip()
        ):
            errors["summary"] = "转办须附摘要 / a transfer carries a summary"
    return errors


# --- returns ----------------------------------------------------------------------------


@router.get("/returns/list")
def returns_list(request: Request, container: ContainerDep, user: UserDep) -> Response:
    """The returned complaints waiting for a ruling or a new dispatch, oldest return first."""
    actor = user.actor
    if not _desk_user(actor):
        return _refused(request)
    now = container.clock.now()
    with container.uow() as uow:
        queries = ComplaintQueries(uow.session)
        rows = queries.page(
            actor,
            ComplaintFilter(status=[Status.RETURNED]),
            limit=QUEUE_SIZE,
            before_id=None,
            now=now,
            where=[desk.owned_by(actor)],
        )
        views = queries.views(actor, rows, now=now)
        decided = desk.decisions_for(uow.session, [r.id for r in rows])
        names = {u["id"]: u["name"] for u in desk.unit_tree(uow, actor)}
        shown = [v["id"] for v in views if showed_personal_data(v)]
        record_read(
            uow.session, actor, "list_complaints", shown, at=now, path="/staff/returns/list"
        )
        uow.commit()
    items = [
        {
            **v,
            "decision": decided[v["id"]],
            "returned_by": names.get(decided[v["id"]].returned_by or 0),
        }
        for v in views
    ]
    return render(request, "staff_dispatch_returns.html", {"items": items})
