"""Session cookies and CSRF tokens for the staff pages.

The cookie carries a random session token, stored only as a hash (the same table as the
API's bearer tokens), so signing out revokes it on the server. The CSRF token of every
form is an HMAC of the session token under ``settings.secret_key``: it cannot be forged
from another site, and needs no server state. Before sign-in, a short-lived random nonce
cookie plays the session token's part, so the login form is protected too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from complaintdesk.bootstrap import Container
from complaintdesk.http.deps import ContainerDep
from complaintdesk.kernel.errors import DomainError
from complaintdesk.org import auth
from complaintdesk.org.model import Actor

SESSION_COOKIE = "cd_session"
LOGIN_NONCE_COOKIE = "cd_login"


class LoginRequired(DomainError):
    """No valid session: the page sends the browser to the sign-in form."""


class CsrfFailed(DomainError):
    """A form without the right CSRF token."""


@dataclass(frozen=True)
class WebUser:
    actor: Actor
    display_name: str
    unit_name: str
    roles: list[str]


def csrf_for(secret: str, token: str, purpose: str = "form") -> str:
    return hmac.new(secret.encode(), f"{purpose}:{token}".encode(), hashlib.sha256).hexdigest()


def check_csrf(
    secret: str, token: str | None, submitted: str | None, purpose: str = "form"
) -> None:
    if (
        not token
        or not submitted
        or not hmac.compare_digest(csrf_for(secret, token, purpose), submitted)
    ):
        raise CsrfFailed(
            "表单已过期或来源不明，请刷新页面后重试 / the form expired or came from elsewhere;"
            " reload the page and try again"
        )


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def login_nonce(request: Request) -> str:
    return request.cookies.get(LOGIN_NONCE_COOKIE) or secrets.token_urlsafe(24)


def current_user(request: Request, container: Container) -> WebUser:
    """The signed-in staff user; sets ``request.state`` for the templates."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired("请先登录 / please sign in")
    with container.uow() as uow:
        try:
            actor = auth.authenticate(uow, token, now=container.clock.now())
        except auth.AuthenticationFailed as exc:
            raise LoginRequired(str(exc)) from None
        unit = uow.units.get(actor.unit_id)
    user = WebUser(
        actor=actor,
        display_name=actor.display_name,
        unit_name=unit.name,
        roles=sorted(r.value for r in actor.roles),
    )
    request.state.web_user = user
    request.state.session_token = token
    request.state.csrf_token = csrf_for(container.settings.secret_key, token)
    return user


def _web_user(request: Request, container: ContainerDep) -> WebUser:
    return current_user(request, container)


# The signed-in staff user of a page (redirects to the sign-in form when there is none).
UserDep = Annotated[WebUser, Depends(_web_user)]
