"""Server-rendered pages: the staff UI (``/staff``) and the public publication page.

:func:`mount` adds the routers, the stylesheet and the redirects to the sign-in form.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from complaintdesk.complaints import dispatch_pages, handling_pages
from complaintdesk.complaints import pages as complaint_pages
from complaintdesk.http.rendering import STATIC_DIR, render
from complaintdesk.http.session import CsrfFailed, LoginRequired
from complaintdesk.intake import pages as intake_pages
from complaintdesk.intake import register_pages
from complaintdesk.org import pages as org_pages
from complaintdesk.search import pages as search_pages
from complaintdesk.workbench import pages as workbench_pages

# Every feature's server-rendered pages.
PAGE_ROUTERS = [
    intake_pages.portal_router,
    intake_pages.router,
    org_pages.router,
    complaint_pages.router,
    workbench_pages.router,
    register_pages.router,
    dispatch_pages.router,
    handling_pages.router,
    search_pages.router,
]


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for router in PAGE_ROUTERS:
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(f"/staff/login?next={quote(target)}", status_code=303)

    @app.exception_handler(CsrfFailed)
    def _csrf_failed(request: Request, exc: CsrfFailed) -> Response:
        return render(
            request,
            "staff_error.html",
            {"messages": [{"kind": "error", "text": str(exc)}]},
            status_code=403,
        )
