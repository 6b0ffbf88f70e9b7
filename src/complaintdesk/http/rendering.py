"""Templates, language choice and small helpers shared by every server-rendered page.

Pages are Simplified Chinese first; ``?lang=en`` (remembered in a cookie) switches to
English. Templates call ``_("中文", "English")`` so both texts sit side by side.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.responses import Response

from complaintdesk.clock.deadlines import SHANGHAI, working_days_left
from complaintdesk.complaints.vocabulary import (
    ACTION_LABELS,
    OPEN_STATUSES,
    STATUS_LABELS,
    Action,
    Status,
)

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
# The shared layout first, then each feature's own ``templates/`` folder.
TEMPLATE_DIRS = [
    WEB_DIR / "templates",
    *sorted(d for d in WEB_DIR.parent.glob("*/templates") if d.parent != WEB_DIR),
]
LANGS = ("zh", "en")
_OPEN_VALUES = frozenset(s.value for s in OPEN_STATUSES)
LANG_COOKIE = "lang"


def lang_of(request: Request) -> str:
    """The page language: ``?lang=`` first, then the remembered cookie, then Chinese."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    return remembered if remembered in LANGS else "zh"


def remember_lang(request: Request, response: Response) -> None:
    asked = request.query_params.get("lang")
    if asked in LANGS and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax")


@pass_context
def _translate(context: Context, zh: str, en: str) -> str:
    return en if context.get("lang") == "en" else zh


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Stored UTC, shown in Asia/Shanghai."""
    if value is None:
        return "—"
    return value.astimezone(SHANGHAI).strftime(fmt)


@pass_context
def _status_label(context: Context, value: str | None) -> str:
    if not value:
        return "—"
    try:
        zh, en = STATUS_LABELS[Status(value)]
    except ValueError:
        return value
    return en if context.get("lang") == "en" else zh


@pass_context
def _action_label(context: Context, value: str) -> str:
    try:
        action = Action(value)
    except ValueError:
        return value
    if context.get("lang") == "en":
        return action.value.replace("_", " ")
    return ACTION_LABELS.get(action, action.value)


@pass_context
def _due_badge(context: Context, due_at: datetime | None, status: str | None = None) -> Markup:
    """A badge with the working days left on the statutory clock, or how long overdue.

    Closed complaints (and those with no deadline) show nothing. Colours: red when overdue,
    amber when due within 2 working days, grey otherwise.
    """
    if due_at is None or (status is not None and status not in _OPEN_VALUES):
        return Markup("")
    request = context["request"]
    container = request.app.state.container
    left = working_days_left(due_at, container.clock.now(), container.calendar)
    en = context.get("lang") == "en"
    if left < 0:
        kind, text = "late", (f"overdue {-left} wd" if en else f"超期 {-left} 个工作日")
    elif left == 0:
        kind, text = "late", ("due today" if en else "今日到期")
    else:
        kind = "soon" if left <= 2 else "left"
        text = f"{left} wd left" if en else f"剩 {left} 个工作日"
    title = local_time(due_at)
    return Markup(
        f'<span class="badge badge-{kind} due" data-days-left="{left}" title="{escape(title)}">'
        f"{escape(text)}</span>"
    )


def _url_with_lang(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = lang
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{request.url.path}?{query}"


def _make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in TEMPLATE_DIRS]),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["_"] = _translate
    env.globals["url_with_lang"] = _url_with_lang
    env.globals["due_badge"] = _due_badge
    env.filters["local_time"] = local_time
    env.filters["status_label"] = _status_label
    env.filters["action_label"] = _action_label
    return env


templates = Jinja2Templates(env=_make_env())


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> Response:
    """Render a page with the language, the signed-in user (if any) and its CSRF token."""
    ctx: dict[str, Any] = {
        "lang": lang_of(request),
        "user": getattr(request.state, "web_user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "messages": [],
    }
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    remember_lang(request, response)
    return response
