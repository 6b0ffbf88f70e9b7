"""The FastAPI application: routers, error mapping, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import select, text

from complaintdesk import __version__
from complaintdesk.audit import api as audit_api
from complaintdesk.bootstrap import Container, bootstrap
from complaintdesk.clock import api as clock_api
from complaintdesk.complaints import api as complaints_api
from complaintdesk.complaints import decisions_api, publication_api
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.complaints.vocabulary import IllegalTransition
from complaintdesk.evaluation import api as evaluation_api
from complaintdesk.http import site
from complaintdesk.http.errors import STATUS_BY_ERROR
from complaintdesk.intake import api as intake_api
from complaintdesk.intake import public_api
from complaintdesk.kernel.errors import ConcurrencyConflict, DomainError
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


def create_app(container: Container | None = None) -> FastAPI:
    app = FastAPI(
        title="complaintdesk 投诉处理系统",
        version=__version__,
        description="投诉受理、派单、督办、回访与考评 / complaint intake, handling, supervision,"
        " callback and evaluation",
    )
    app.state.container = container or bootstrap()

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


def _current_state(request: Request, complaint_id: int) -> dict[str, object] | None:
    container: Container = request.app.state.container
    with container.uow() as uow:
        row = uow.session.execute(
            select(ComplaintRow.status, ComplaintRow.version).where(ComplaintRow.id == complaint_id)
        ).first()
    return {"status": row.status, "version": row.version} if row else None
