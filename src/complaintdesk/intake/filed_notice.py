"""The one-time notice after an operator registers a complaint: its tracking number and the
query code to tell the complainant (shown once, SPEC §1).

The registration page cannot put the query code in the redirect's URL (it would sit in the
browser history and access logs), so it travels in a short-lived cookie, sealed under the
secret key (``kernel.sealing``), scoped to the complaint's page, and deleted when shown.
"""

from __future__ import annotations

import json

from fastapi import Request
from starlette.responses import Response

from complaintdesk.kernel.sealing import SealBroken, seal, unseal

FILED_COOKIE = "cd_filed"
_PURPOSE = "filed-notice"
_MAX_AGE = 300


def _path(complaint_id: int) -> str:
    return f"/staff/complaints/{complaint_id}"


def remember(
    request: Request,
    response: Response,
    secret_key: str,
    *,
    complaint_id: int,
    tracking_no: str,
    query_code: str,
    action_zh: str,
    action_en: str,
) -> None:
    payload = json.dumps(
        {
            "id": complaint_id,
            "tracking_no": tracking_no,
            "query_code": query_code,
            "zh": action_zh,
            "en": action_en,
        }
    )
    response.set_cookie(
        FILED_COOKIE,
        seal(secret_key, _PURPOSE, payload),
        max_age=_MAX_AGE,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=_path(complaint_id),
    )


def take(request: Request, secret_key: str, complaint_id: int, lang: str) -> str | None:
    """The notice for this complaint's page, if one is waiting; None otherwise."""
    sealed = request.cookies.get(FILED_COOKIE)
    if not sealed:
        return None
    try:
        data = json.loads(unseal(secret_key, _PURPOSE, sealed))
    except (SealBroken, ValueError):
        return None
    if data.get("id") != complaint_id:
        return None
    if lang == "en":
        return (
            f"Registered and {data['en']}: tracking number {data['tracking_no']}, query code"
            f" {data['query_code']} — tell the complainant both (the code is shown only once)."
        )
    return (
        f"已登记并{data['zh']}：受理编号 {data['tracking_no']}，查询码 {data['query_code']}"
        "（请告知投诉人，查询码只显示这一次）。"
    )


def forget(response: Response, complaint_id: int) -> None:
    response.delete_cookie(FILED_COOKIE, path=_path(complaint_id))
