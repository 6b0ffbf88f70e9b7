"""The registration page (登记, SPEC §1–§2): an intake operator registers a phone call, a
visit, a letter or an e-mail, sees live triage suggestions while typing, and saves it with
one decision — accept, not accept, hand over, or resolve at intake — in one unit of work.

A hidden one-time key is the filing's ``Idempotency-Key``: a double click or a reload files
one complaint, not two. Suggestions (``POST /staff/register/suggest``) read and never write.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.vocabulary import MAX_REPRESENTATIVES
from complaintdesk.http.deps import ContainerDep
from complaintdesk.http.rendering import render
from complaintdesk.http.session import UserDep, WebUser, check_csrf
from complaintdesk.intake import attachments, filed_notice, register_suggest
from complaintdesk.intake import register_form as rf
from complaintdesk.intake import service as intake
from complaintdesk.kernel.errors import DomainError, InvalidInput, PermissionDenied
from complaintdesk.org.model import Role

router = APIRouter(prefix="/staff", include_in_schema=False)
CSRF_HEADER = "X-CSRF-Token"
_REFUSED = "仅受理员可登记投诉 / only intake operators may register complaints"
_KEY_REUSED = (
    "这张表单已经保存过一次（可能是返回后又改了内容）。如确需再登记一件新的投诉，请再次提交"
    " / this form was already saved once (perhaps changed after going back); submit again to"
    " register it as a new complaint"
)

_NOT_YOURS = (
    "您的角色不能直接移交：请保存并受理，由派单员或中心负责人移交"
    " / your role may not hand over: save and accept, and a dispatcher or the leader hands it over"
)


def _code(exc: DomainError) -> int:
    return 403 if isinstance(exc, PermissionDenied) else 422


def _is_operator(user: WebUser) -> bool:
    return user.actor.is_admin or Role.INTAKE_OPERATOR in user.actor.roles


def _refused(request: Request) -> Response:
    messages = [{"kind": "error", "text": _REFUSED}]
    return render(request, "staff_error.html", {"messages": messages}, status_code=403)


def _page(
    request: Request,
    user: WebUser,
    values: dict[str, Any],
    errors: dict[str, str],
    form_key: str,
    *,
    status_code: int = 200,
) -> Response:
    context = {
        "values": values,
        "errors": errors,
        "form_key": form_key,
        "channels": rf.CHANNELS,
        "decisions": rf.DECISIONS,
        # Hand-over is a dispatcher's or the leader's (ACTION_ROLES): offered only to them.
        "allowed": {a.value for a, _zh, _en in rf.DECISIONS if user.actor.may(a)},
        "max_reps": MAX_REPRESENTATIVES,
        "max_files": attachments.MAX_ATTACHMENTS,
        "max_mb": attachments.MAX_ATTACHMENT_BYTES // (1024 * 1024),
        "messages": _summary(errors),
    }
    return render(request, "register.html", context, status_code=status_code)


def _summary(errors: dict[str, str]) -> list[dict[str, str]]:
    """The top of the page says what went wrong; each field's error sits next to it."""
    if "form" in errors:
        return [{"kind": "error", "text": errors["form"]}]
    if errors:
        n = len(errors)
        text = f"有{n}处需要修改，已在对应栏目下标出 / {n} field(s) need attention, marked below"
        return [{"kind": "error", "text": text}]
    return []


@router.get("/register")
def register_page(request: Request, user: UserDep) -> Response:
    if not _is_operator(user):
        return _refused(request)
    values: dict[str, Any] = {"channel": "phone", "decision": "accept", "representatives": []}
    return _page(request, user, values, {}, secrets.token_urlsafe(18))


@router.post("/register")
async def register_save(request: Request, container: ContainerDep, user: UserDep) -> Response:
    if not _is_operator(user):
        return _refused(request)
    # The parser stops past the attachment limit; the save (files, triage, the transaction)
    # runs in the threadpool, off the event loop.
    form = await request.form(max_files=attachments.MAX_ATTACHMENTS + 1, max_fields=200)
    check_csrf(
        container.settings.secret_key,
        request.state.session_token,
        str(form.get("csrf_token") or ""),
    )
    return await run_in_threadpool(_save, request, container, user, form)


def _uploads(form: FormData) -> list[attachments.Upload]:
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    attachments.check_count(len(files))
    return [
        attachments.Upload(
            f.filename or "", f.file.read(attachments.MAX_ATTACHMENT_BYTES + 1), f.content_type
        )
        for f in files
    ]


def _save(request: Request, container: Container, user: WebUser, form: FormData) -> Response:
    values = rf.values_of(form, form.getlist)
    form_key = str(form.get("form_key") or "")[:64] or secrets.token_urlsafe(18)
    errors: dict[str, str] = {}
    try:
        uploads = _uploads(form)
        attachments.check_all(uploads)
    except InvalidInput as exc:
        errors["files"] = f"{exc}（请重新选择附件 / choose the files again）"
        uploads = []
    try:
        registration = rf.read(values, uploads)
    except rf.FormErrors as exc:
        errors = {**exc.errors, **errors}
    else:
        if not user.actor.may(registration.action):
            errors["decision"] = _NOT_YOURS
    if errors:
        return _page(request, user, values, errors, form_key, status_code=422)
    payload = {**values, "files": [(u.filename, len(u.data)) for u in uploads]}
    try:
        key = intake.IdempotencyKey.of(f"register:{user.actor.user_id}", form_key, payload)
        with container.uow() as uow:
            result = intake.register_in(
                container,
                uow,
                registration.intake,
                actor=user.actor,
                idempotency=key,
                commit=False,
            )
            if not result.replayed:
                # The same transaction: the complaint is filed and decided, or neither.
                for step in registration.steps:
                    svc.perform(
                        uow,
                        user.actor,
                        result.id,
                        step,
                        now=container.clock.now(),
                        calendar=container.calendar,
                        commit=False,
                    )
                uow.commit()
    except DomainError as exc:
        if "Idempotency-Key" in str(exc):
            return _page(
                request,
                user,
                values,
                {"form": _KEY_REUSED},
                secrets.token_urlsafe(18),
                status_code=409,
            )
        return _page(request, user, values, {"form": str(exc)}, form_key, status_code=_code(exc))
    zh, en = next((zh, en) for a, zh, en in rf.DECISIONS if a is registration.action)
    response = RedirectResponse(f"/staff/complaints/{result.id}", status_code=303)
    filed_notice.remember(
        request,
        response,
        container.settings.secret_key,
        complaint_id=result.id,
        tracking_no=result.tracking_no,
        query_code=result.query_code,
        action_zh=zh.removeprefix("保存并"),
        action_en=en.removeprefix("Save and ").lower(),
    )
    return response


class SuggestIn(BaseModel):
    title: str = Field("", max_length=600)
    content: str = Field("", max_length=40_000)
    phone: str = Field("", max_length=40)


@router.post("/register/suggest")
def register_suggest_json(
    request: Request,
    container: ContainerDep,
    user: UserDep,
    body: SuggestIn,
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> Response:
    if not _is_operator(user):
        return JSONResponse({"error": {"code": "forbidden", "message": _REFUSED}}, 403)
    check_csrf(container.settings.secret_key, request.state.session_token, x_csrf_token)
    typed = register_suggest.Typed(body.title, body.content, body.phone)
    with container.uow() as uow:  # read only: nothing is committed
        out = register_suggest.suggest(container.triage, uow.session, user.actor, typed)
    return JSONResponse(out, headers={"Cache-Control": "no-store"})
