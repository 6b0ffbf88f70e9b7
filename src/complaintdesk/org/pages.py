"""Staff sign-in and sign-out pages. The login form is CSRF-protected by a nonce cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from complaintdesk.http.deps import ContainerDep
from complaintdesk.http.ratelimit import rate_limit
from complaintdesk.http.rendering import render
from complaintdesk.http.session import (
    LOGIN_NONCE_COOKIE,
    SESSION_COOKIE,
    UserDep,
    check_csrf,
    csrf_for,
    login_nonce,
    set_cookie,
)
from complaintdesk.org import auth

router = APIRouter(prefix="/staff", include_in_schema=False)


def _safe_next(value: str | None) -> str:
    # Only local paths: an open redirect would hand the session to another site.
    if value and value.startswith("/staff/") and not value.startswith("//"):
        return value
    return "/staff/home"  # every role lands on its home (workbench.pages)


@router.get("/login")
def login_page(request: Request, container: ContainerDep, next: str = "") -> Response:
    nonce = login_nonce(request)
    response = render(
        request,
        "staff_login.html",
        {
            "login_csrf": csrf_for(container.settings.secret_key, nonce, "login"),
            "next": _safe_next(next),
        },
    )
    set_cookie(request, response, LOGIN_NONCE_COOKIE, nonce, max_age=3600)
    return response


@router.post("/login", dependencies=[rate_limit("login")])
def login_submit(
    request: Request,
    container: ContainerDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    settings = container.settings
    check_csrf(settings.secret_key, request.cookies.get(LOGIN_NONCE_COOKIE), csrf_token, "login")
    try:
        with container.uow() as uow:
            token, _user_row = auth.login(
                uow,
                username,
                password,
                now=container.clock.now(),
                ttl_hours=settings.token_ttl_hours,
                max_failures=settings.max_failed_logins,
                lockout_minutes=settings.lockout_minutes,
            )
    except auth.AuthenticationFailed as exc:
        nonce = login_nonce(request)
        return render(
            request,
            "staff_login.html",
            {
                "login_csrf": csrf_for(settings.secret_key, nonce, "login"),
                "next": _safe_next(next),
                "username": username,
                "messages": [{"kind": "error", "text": str(exc)}],
            },
            status_code=401,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, max_age=settings.token_ttl_hours * 3600)
    response.delete_cookie(LOGIN_NONCE_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(
    request: Request,
    container: ContainerDep,
    user: UserDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(container.settings.secret_key, request.state.session_token, csrf_token)
    with container.uow() as uow:
        auth.logout(uow, request.state.session_token)
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
