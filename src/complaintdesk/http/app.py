"""The FastAPI application: routers, error mapping, OpenAPI at /docs."""

from __future__ import annotations

import logging

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import select, text
from starlette.exceptions import HTTPException
from starlette.responses import Response

from complaintdesk import __version__
from complaintdesk.audit import api as audit_api
from complaintdesk.bootstrap import Container, bootstrap
from complaintdesk.clock import api as clock_api
from complaintdesk.complaints import api as complaints_api
from complaintdesk.complaints import decisions_api, publication_api
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.complaints.vocabulary import IllegalTransition
from complaintdesk.evaluation import api as evaluation_api
from complaintdesk.http import edge, site
from complaintdesk.http.errors import STATUS_BY_ERROR
from complaintdesk.http.ratelimit import limiters
from complaintdesk.intake import api as intake_api
from complaintdesk.intake import public_api
from complaintdesk.intake.attachments import MAX_ATTACHMENTS
from complaintdesk.kernel.errors import ConcurrencyConflict, DomainError, QuotaExceeded
from complaintdesk.notify import api as notify_api
from complaintdesk.org import admin_api
from complaintdesk.org import api as org_api
from complaintdesk.telecom import api as telecom_api
from complaintdesk.telecom import kpi_api as telecom_kpi_api

# Every feature's JSON routes, in the order they are matched.
API_ROUTERS = [
    org_api.router,
    complaints_api.router,
    public_api.router,
    intake_api.router,
    decisions_api.router,
    admin_api.router,
    audit_api.router,
    publication_api.router,
    clock_api.router,
    notify_api.router,
    evaluation_api.router,
    telecom_kpi_api.router,
    telecom_api.router,
]

log = logging.getLogger(__name__)


def create_app(container: Container | None = None) -> FastAPI:
    app = FastAPI(
        title="complaintdesk 投诉处理系统",
        version=__version__,
        description="投诉受理、派单、督办、回访与考评 / complaint intake, handling, supervision,"
        " callback and evaluation",
    )
    app.state.container = container or bootstrap()
    settings = app.state.container.settings
    app.state.rate_limits = limiters(settings)
    edge.install(app, settings)

    @app.exception_handler(QuotaExceeded)
    def too_many(request: Request, exc: QuotaExceeded) -> Response:
        # Every 429 (per-address limits, daily SMS quotas): JSON for API clients, a page
        # in the site's layout for a browser, with Retry-After when the wait is known.
        return _edge_response(request, 429, exc.code, str(exc), retry_after=exc.retry_after)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        # The form parser's own refusal (route form_limits), in English only: say it in both.
        if exc.status_code == 400 and str(exc.detail).startswith("Too many"):
            return _edge_response(
                request,
                422,
                "too_many_parts",
                f"表单中的文件或字段过多（附件最多{MAX_ATTACHMENTS}个）"
                f" / too many files or fields in the form (at most {MAX_ATTACHMENTS} attachments)",
            )
        return await http_exception_handler(request, exc)

    @app.exception_handler(DomainError)
    def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status, code = 400, "error"
        for kind, http_status, name in STATUS_BY_ERROR:
            if isinstance(exc, kind):
                status, code = http_status, name
                break
        error: dict[str, object] = {"code": code, "message": str(exc)}
        if isinstance(exc, IllegalTransition):
            error.update(status=exc.status.value, action=exc.action.value)
        body: dict[str, object] = {"error": error}
        if isinstance(exc, ConcurrencyConflict):
            body["current"] = _current_state(request, exc.complaint_id)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, headers=headers)

    @app.exception_handler(sqlalchemy.exc.DataError)
    def unstorable_value(request: Request, exc: sqlalchemy.exc.DataError) -> JSONResponse:
        # SQLSTATE class 22: a value the database cannot hold (a NUL character in text, a
        # number out of range) that validation let through. The unit of work rolls back.
        log.info("refused an unstorable value on %s: %s", request.url.path, exc.orig)
        return JSONResponse(
            {
                "error": {
                    "code": "invalid",
                    "message": "请求中含有无法保存的字符或数值（如 NUL 字符、超出范围的数字）"
                    " / the request holds a character or number that cannot be stored"
                    " (such as a NUL character or an out-of-range number)",
                }
            },
            status_code=422,
        )

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        return JSONResponse(
            {
                "error": {
                    "code": "invalid",
                    "message": "请求内容有误 / invalid request",
                    "details": details,
                }
            },
            status_code=422,
        )

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        with app.state.container.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    for router in API_ROUTERS:
        app.include_router(router)
    site.mount(app)
    return app


def _edge_response(
    request: Request, status: int, code: str, message: str, *, retry_after: int | None = None
) -> Response:
    status, raw, body = edge.refusal(request.scope, status, code, message, retry_after=retry_after)
    response = Response(body, status_code=status)
    response.raw_headers = raw
    return response


def _current_state(request: Request, complaint_id: int) -> dict[str, object] | None:
    container: Container = request.app.state.container
    with container.uow() as uow:
        row = uow.session.execute(
            select(ComplaintRow.status, ComplaintRow.version).where(ComplaintRow.id == complaint_id)
        ).first()
    return {"status": row.status, "version": row.version} if row else None
