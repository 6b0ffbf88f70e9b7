"""The HTTP edge: request-body limits, HSTS and trusted proxy headers (pure ASGI).

These run before FastAPI reads anything, so an 80 MB body is refused after its headers (or
after the first bytes past the limit), not parsed whole and then answered 422. They are
pure ASGI rather than ``BaseHTTPMiddleware``, which would buffer and re-wrap every request.
See docs/reliability.md, "HTTP edge".
"""

from __future__ import annotations

import contextlib
import html
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


def refusal(
    path: str, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """A bilingual refusal: JSON for ``/api/``, a small HTML page for the pages."""
    if path.startswith("/api/"):
        body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)
        content_type = "application/json"
    else:
        body = (
            '<!doctype html><html lang="zh"><head><meta charset="utf-8">'
            f"<title>{status}</title></head><body><h1>{status}</h1>"
            f'<p class="error">{html.escape(message)}</p>'
            '<p><a href="javascript:history.back()">返回 / back</a></p></body></html>'
        )
        content_type = "text/html; charset=utf-8"
    encoded = body.encode()
    raw = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(encoded)).encode()),
    ]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return status, raw, encoded


async def send_refusal(send: Send, refused: tuple[int, list[tuple[bytes, bytes]], bytes]) -> None:
    status, headers, body = refused
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True)
class BodyLimits:
    json_bytes: int
    upload_bytes: int
    import_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        from complaintdesk.intake import attachments

        uploads = settings.max_upload_body_bytes or (
            attachments.MAX_ATTACHMENTS * attachments.MAX_ATTACHMENT_BYTES + FORM_OVERHEAD_BYTES
        )
        return cls(settings.max_json_body_bytes, uploads, settings.max_import_body_bytes)

    def for_request(self, path: str, content_type: str) -> int:
        if path.startswith(IMPORT_PATHS):
            return self.import_bytes
        if content_type.lower().startswith("multipart/form-data"):
            return self.upload_bytes
        return self.json_bytes


class _BodyTooLarge(Exception):
    pass


def _too_large(path: str, limit: int) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    mb = max(1, limit // (1024 * 1024))
    return refusal(
        path,
        413,
        "body_too_large",
        f"请求内容超过{mb}MB上限 / the request body exceeds the {mb} MB limit",
        {"Connection": "close"},
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
        if declared.isdigit() and int(declared) > limit:
            await send_refusal(send, _too_large(path, limit))
            return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
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
            await send_refusal(send, _too_large(path, limit))


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
