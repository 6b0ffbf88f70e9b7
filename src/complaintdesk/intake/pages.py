"""The public pages (no sign-in): the complaint form and the progress page (SPEC §1).

The form posts ``multipart/form-data`` so photos and documents can come with the text.
A hidden one-time token is the request's idempotency key: pressing "submit" twice, or
reloading the result page, files one complaint, not two.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from complaintdesk.complaints import service as svc
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.complaints.vocabulary import Channel
from complaintdesk.http.deps import ContainerDep, UowDep
from complaintdesk.http.ratelimit import rate_limit
from complaintdesk.http.rendering import lang_of, render
from complaintdesk.intake import attachments
from complaintdesk.intake import service as intake
from complaintdesk.intake.status import public_status
from complaintdesk.kernel.errors import DomainError, InvalidInput, NotFound

router = APIRouter(prefix="/public", tags=["public pages 公众页面"], include_in_schema=False)
portal_router = APIRouter(tags=["public pages 公众页面"], include_in_schema=False)

_PHONE_CHARS = set("0123456789+-() ")


def _form_page(request: Request, values: dict[str, Any], error: str | None, code: int) -> Response:
    settings = request.app.state.container.settings
    context = {
        "values": values,
        "form_token": values.get("form_token") or secrets.token_urlsafe(16),
        "error": error,
        # Anonymous filing takes fewer, smaller files than staff registration (config.py).
        "max_mb": attachments.megabytes(settings.public_max_attachment_bytes),
        "max_files": settings.public_max_attachments,
    }
    return render(request, "public_complaint.html", context, status_code=code)


@portal_router.get("/")
def portal(request: Request, uow: UowDep) -> Response:
    """The front door: file, check progress, closed cases, staff sign-in."""
    try:
        centre_name = uow.units.default_centre().name
    except InvalidInput:  # a database with no org tree yet
        centre_name = "机关效能投诉中心" if lang_of(request) != "en" else "Complaint Centre"
    return render(request, "portal.html", {"centre_name": centre_name})


@router.get("/complaint")
def complaint_form(request: Request) -> Response:
    return _form_page(request, {}, None, 200)


# The edge refuses a body above the public limits (files x size + the text fields) before
# reading it; the parser stops at the 11th file's headers; the endpoint counts against the
# public limit before reading any file, and reads at most the public size + 1 of each.
# A plain `def`: triage, repeat detection and the database run in the threadpool, never on
# the event loop that every other request of this worker waits on.
@router.post(
    "/complaint",
    dependencies=[rate_limit("filing")],
    form_limits={"max_files": attachments.MAX_ATTACHMENTS, "max_fields": 100},
)
def submit_complaint(
    request: Request,
    uow: UowDep,
    container: ContainerDep,
    content: Annotated[str, Form(max_length=40_000)] = "",
    title: Annotated[str, Form(max_length=600)] = "",
    complained_unit_name: Annotated[str, Form(max_length=200)] = "",
    complained_person: Annotated[str, Form(max_length=120)] = "",
    name: Annotated[str, Form(max_length=120)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=200)] = "",
    anonymous: Annotated[bool, Form()] = False,
    consent_publish: Annotated[bool, Form()] = False,
    form_token: Annotated[str, Form(max_length=64)] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    values = {
        "content": content,
        "title": title,
        "complained_unit_name": complained_unit_name,
        "complained_person": complained_person,
        "name": name,
        "phone": phone,
        "email": email,
        "anonymous": anonymous,
        "consent_publish": consent_publish,
        "form_token": form_token,
    }
    try:
        settings = container.settings
        chosen = [f for f in (files or []) if f.filename]
        attachments.check_count(len(chosen), settings.public_max_attachments)
        uploads = []
        for f in chosen:
            attachments.check_size(f.filename, f.size or 0, settings.public_max_attachment_bytes)
            data = f.file.read(settings.public_max_attachment_bytes + 1)
            attachments.check_size(f.filename, len(data), settings.public_max_attachment_bytes)
            uploads.append(attachments.Upload(f.filename or "", data, f.content_type))
        complainant = _complainant(name, phone, email, anonymous)
        key_payload = {k: v for k, v in values.items() if k != "form_token"}
        result = intake.register_in(
            container,
            uow,
            intake.Intake(
                complaint=svc.FileComplaint(
                    content=content,
                    title=title,
                    channel=Channel.WEB,
                    complained_unit_name=complained_unit_name.strip() or None,
                    complained_person=complained_person.strip() or None,
                    complainant=complainant,
                    consent_publish=consent_publish,
                ),
                uploads=tuple(uploads),
                attachment_source="web",
            ),
            actor=None,
            idempotency=intake.IdempotencyKey.of(
                "web-form",
                form_token or None,
                {**key_payload, "files": [u.filename for u in uploads]},
            ),
            default_unit_id=uow.units.default_centre().id,
        )
    except DomainError as exc:
        return _form_page(request, values, str(exc), 422)
    return render(request, "public_filed.html", {"filed": result})


def _complainant(name: str, phone: str, email: str, anonymous: bool) -> NewComplainant | None:
    phone, email, name = phone.strip(), email.strip(), name.strip()
    if phone and (len(phone) < 3 or not set(phone) <= _PHONE_CHARS):
        raise InvalidInput("联系电话格式不正确 / the phone number is not valid")
    if email and ("@" not in email or " " in email or len(email) > 200):
        raise InvalidInput("电子邮箱格式不正确 / the e-mail address is not valid")
    if not (name or phone or email) and not anonymous:
        return None
    return NewComplainant(
        name=None if anonymous else (name or None),
        phone=phone or None,
        email=email or None,
        anonymous=anonymous,
    )


@router.get("/status")
def status_form(request: Request) -> Response:
    return render(request, "public_status.html", {"values": {}, "status": None, "error": None})


@router.post("/status", dependencies=[rate_limit("status")])
def status_page(
    request: Request,
    uow: UowDep,
    tracking_no: Annotated[str, Form(max_length=32)] = "",
    query_code: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    values = {"tracking_no": tracking_no}
    try:
        if not tracking_no.strip() or not query_code.strip():
            raise InvalidInput("请填写受理编号和查询码 / enter the tracking number and query code")
        row = svc.find_by_query_code(uow, tracking_no, query_code)
    except (InvalidInput, NotFound) as exc:
        code = 404 if isinstance(exc, NotFound) else 422
        return render(
            request,
            "public_status.html",
            {"values": values, "status": None, "error": str(exc)},
            status_code=code,
        )
    return render(
        request,
        "public_status.html",
        {"values": values, "status": public_status(uow, row), "error": None},
    )
