"""The FastAPI application: routers, error mapping, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import select, text

from complaintdesk import __version__
from complaintdesk.adapters.db.tables import ComplaintRow
from complaintdesk.bootstrap import Container, bootstrap
from complaintdesk.domain.errors import (
    ConcurrencyConflict,
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from complaintdesk.entrypoints import web
from complaintdesk.entrypoints.api import (
    admin,
    auth,
    complaints,
    evaluation,
    handling,
    intake,
    public,
    publication,
    supervision,
    telecom,
)
from complaintdesk.entrypoints.web import public as web_public
from complaintdesk.services.auth import AuthenticationFailed

STATUS_BY_ERROR: list[tuple[type[DomainError], int, str]] = [
    (AuthenticationFailed, 401, "unauthenticated"),
    (PermissionDenied, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (ConcurrencyConflict, 409, "version_conflict"),
    (IllegalTransition, 409, "illegal_transition"),
    (InvalidInput, 422, "invalid"),
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

    app.include_router(auth.router)
    app.include_router(complaints.router)
    app.include_router(public.router)
    app.include_router(intake.router)
    app.include_router(web_public.router)
    app.include_router(handling.router)
    app.include_router(admin.router)
    app.include_router(publication.router)
    web.mount(app)
    app.include_router(supervision.router)
    app.include_router(evaluation.router)
    app.include_router(telecom.router)
    return app


def _current_state(request: Request, complaint_id: int) -> dict[str, object] | None:
    container: Container = request.app.state.container
    with container.uow() as uow:
        row = uow.session.execute(
            select(ComplaintRow.status, ComplaintRow.version).where(ComplaintRow.id == complaint_id)
        ).first()
    return {"status": row.status, "version": row.version} if row else None
