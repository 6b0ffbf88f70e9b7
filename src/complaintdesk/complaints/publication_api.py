"""Public list of closed cases (SPEC §5): JSON under /api/v1/public/cases, a page at
/public/cases. No sign-in; names only with the complainant's consent."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from complaintdesk.complaints.publication import published_cases
from complaintdesk.http.deps import DbId, UowDep
from complaintdesk.http.rendering import render

router = APIRouter(tags=["public 公众"])
PAGE = 20


@router.get("/api/v1/public/cases", summary="办结公示 / published closed cases")
def cases_json(
    uow: UowDep,
    before: DbId | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = PAGE,
) -> dict[str, Any]:
    items = published_cases(uow, limit=limit + 1, before_id=before)
    more = len(items) > limit
    items = items[:limit]
    return {
        "items": [c.__dict__ for c in items],
        "next_before": items[-1].id if more and items else None,
    }


@router.get("/public/cases", include_in_schema=False)
def cases_page(request: Request, uow: UowDep, before: DbId | None = None) -> Response:
    items = published_cases(uow, limit=PAGE + 1, before_id=before)
    more = len(items) > PAGE
    items = items[:PAGE]
    return render(
        request,
        "publication_cases.html",
        {"items": items, "next_before": items[-1].id if more and items else None},
    )
