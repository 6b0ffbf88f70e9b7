"""The HTTP edge: request-body limits, HSTS and trusted proxy headers (pure ASGI).

These run before FastAPI reads anything, so an 80 MB body is refused after its headers (or
after the first bytes past the limit), not parsed whole and then answered 422. They are
pure ASGI rather than ``BaseHTTPMiddleware``, which would buffer and re-wrap every request.
See docs/reliability.md, "HTTP edge".
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from complaintdesk.config import Settings

# Endpoints that take a whole spreadsheet: intake and telecom imports, evaluation results.
IMPORT_PATHS = (
    "/api/v1/intake/imports",
    "/api/v1/telecom/imports/",
    "/api/v1/evaluations/import",
)
# What a multipart form adds around its files: boundaries, part headers, the text fields.
FORM_OVERHEAD_BYTES = 1024 * 1024
# The anonymous pages: their posts are limited by the public settings (``public_*``).
PUBLIC_PAGES = "/public/"


Refused = tuple[int, list[tuple[bytes, bytes]], bytes]


def wants_html(scope: Scope) -> bool:
    """A browser: any page outside ``/api/``, or an API request that asks for ``text/html``.

    API clients (``Accept: application/json``, ``*/*`` or none) keep the JSON error.
    """
    if not str(scope.get("path", "")).startswith("/api/"):
        return True
    accept = dict(scope.get("headers", [])).get(b"accept", b"").decode("latin-1").lower()
    return "text/html" in accept


def _back_link(path: str) -> str:
    """Where the page's button leads: the form that was posted, else the front door."""
    if path.startswith("/api/") or not path.startswith("/"):
        return "/"
    return path if path in _FORMS_WITH_A_PAGE else "/"


# Posted pages whose GET shows the empty form again (the browser's "back" keeps the text).
_FORMS_WITH_A_PAGE = frozenset({"/public/complaint", "/public/status", "/staff/login"})


def _html_page(
    scope: Scope, status: int, message: str, retry_after: int | None, limit_bytes: int | None
) -> str:
    from starlette.requests import Request

    from complaintdesk.http.rendering import lang_of, templates

    request = Request(scope)
    template = templates.env.get_template("edge_error.html")
    return template.render(
        request=request,
        lang=lang_of(request),
        user=None,
        csrf_token="",
        messages=[],
        status=status,
        message=message,
        retry_after=retry_after,
        limit_mb=_mb(limit_bytes) if limit_bytes else None,
        back=_back_link(str(scope.get("path", ""))),
    )


def refusal(
    scope: Scope,
    status: int,
    code: str,
    message: str,
    *,
    retry_after: int | None = None,
    limit_bytes: int | None = None,
    headers: dict[str, str] | None = None,
) -> Refused:
    """A bilingual refusal (413, 429): JSON for API clients, a page in the site's layout for
    a browser, saying what to do next (the limit; how many seconds to wait)."""
    if wants_html(scope):
        body = _html_page(scope, status, message, retry_after, limit_bytes)
        content_type = "text/html; charset=utf-8"
    else:
        error: dict[str, object] = {"code": code, "message": message}
        if retry_after is not None:
            error["retry_after"] = retry_after
        if limit_bytes is not None:
            error["limit_bytes"] = limit_bytes
        body = json.dumps({"error": error}, ensure_ascii=False)
        content_type = "application/json"
    encoded = body.encode()
    raw = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(encoded)).encode()),
    ]
    if retry_after is not None:
        raw.append((b"retry-after", str(retry_after).encode()))
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return status, raw, encoded


async def send_refusal(send: Send, refused: Refused) -> None:
    status, headers, body = refused
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _mb(size: int) -> str:
    """Megabytes for a message: ``2``, ``4.3``."""
    value = size / (1024 * 1024)
    if value >= 10 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


@dataclass(frozen=True)
class Limit:
    """One body limit and, for the public form, what it allows in words (both languages)."""

    size: int
    zh: str = ""
    en: str = ""


@dataclass(frozen=True)
class BodyLimits:
    json_bytes: int
    upload_bytes: int
    import_bytes: int
    # The public pages (anonymous): files x size + the text fields, and the two parts.
    public_bytes: int = 0
    public_files: int = 0
    public_file_bytes: int = 0
    public_overhead_bytes: int = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        from complaintdesk.intake import attachments

        uploads = settings.max_upload_body_bytes or (
            attachments.MAX_ATTACHMENTS * attachments.MAX_ATTACHMENT_BYTES + FORM_OVERHEAD_BYTES
        )
        public = (
            settings.public_max_attachments * settings.public_max_attachment_bytes
            + settings.public_form_overhead_bytes
        )
        return cls(
            settings.max_json_body_bytes,
            uploads,
            settings.max_import_body_bytes,
            public_bytes=min(uploads, public),
            public_files=settings.public_max_attachments,
            public_file_bytes=settings.public_max_attachment_bytes,
            public_overhead_bytes=min(
                settings.public_form_overhead_bytes, settings.max_json_body_bytes
            ),
        )

    def for_request(self, path: str, content_type: str) -> Limit:
        if path.startswith(IMPORT_PATHS):
            return Limit(self.import_bytes)
        multipart = content_type.lower().startswith("multipart/form-data")
        if path.startswith(PUBLIC_PAGES) and self.public_bytes:
            if not multipart:
                # A urlencoded post carries text only; its decoding runs on the event loop.
                return Limit(self.public_overhead_bytes)
            files, each = self.public_files, _mb(self.public_file_bytes)
            return Limit(
                self.public_bytes,
                f"公众投诉最多可附{files}个文件，每个不超过{each}MB",
                f"the public form takes at most {files} files of {each} MB each",
            )
        if multipart:
            return Limit(self.upload_bytes)
        return Limit(self.json_bytes)


class _BodyTooLarge(Exception):
    pass


def _too_large(scope: Scope, limit: Limit) -> Refused:
    mb = _mb(limit.size)
    zh = f"请求内容超过{mb}MB上限" + (f"：{limit.zh}" if limit.zh else "")
    en = f"the request body exceeds the {mb} MB limit" + (f": {limit.en}" if limit.en else "")
    return refusal(
        scope,
        413,
        "body_too_large",
        f"{zh} / {en}",
        limit_bytes=limit.size,
        headers={"Connection": "close"},
    )


class BodyLimitMiddleware:
    """Refuse a body above its limit: at once on ``Content-Length``, else while streaming."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        path = scope["path"]
        limit = self.limits.for_request(path, headers.get(b"content-type", b"").decode("latin-1"))
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > limit.size:
            await send_refusal(send, _too_large(scope, limit))
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.size:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            # FastAPI turns an error while reading the body into its own 400; once the
            # limit was crossed, the client gets the 413 instead.
            if exceeded:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if exceeded and not started:
            await send_refusal(send, _too_large(scope, limit))


class HstsMiddleware:
    """``Strict-Transport-Security`` on https responses only (as resolved behind a proxy)."""

    def __init__(self, app: ASGIApp, max_age: int) -> None:
        self.app = app
        self.value = f"max-age={max_age}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"strict-transport-security", self.value),
                ]
            await send(message)

        await self.app(scope, receive, with_hsts)


def install(app: FastAPI, settings: Settings) -> None:
    """The edge around the application, outermost first: proxy headers, HSTS, body limits.

    The proxy headers come first so that the scheme (for HSTS and ``Secure`` cookies) and
    the client address (for rate limits) are the user's, and only from a trusted proxy.
    """
    # add_middleware puts the last one added outermost.
    app.add_middleware(BodyLimitMiddleware, limits=BodyLimits.from_settings(settings))
    if settings.hsts_seconds > 0:
        app.add_middleware(HstsMiddleware, max_age=settings.hsts_seconds)
    if settings.proxy_headers:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
