"""Anonymous uploads on the public form are bounded so that the largest body allowed costs
≤ 50 ms of server CPU (docs/reliability.md, "Hostile input: uploads"), and the 413/429
answers a browser gets are pages in the site's layout that say what to do next."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import func, select

from complaintdesk.bootstrap import Container
from complaintdesk.intake.tables import AttachmentRow
from tests.e2e.test_http_edge import LETTER, client_for, complaints_stored

MB = 1024 * 1024


def jpeg(size: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"7" * (size - 10)


def attachments_stored(container: Container) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(AttachmentRow)) or 0)


def form(token: str, **extra: str) -> dict[str, str]:
    return {"content": LETTER["content"], "form_token": token, **extra}


def test_the_defaults_accept_two_photos_of_1_5_mb_and_refuse_a_larger_body_413(
    container: Container, org: dict[str, Any]
) -> None:
    with client_for(container) as client:
        page = client.get("/public/complaint")
        assert "最多2个，每个不超过1.5MB" in page.text
        files = [("files", (f"p{n}.jpg", jpeg(3 * MB // 2), "image/jpeg")) for n in range(2)]
        accepted = client.post("/public/complaint", data=form("t-under"), files=files)
        assert accepted.status_code == 200, accepted.text[:500]
        assert attachments_stored(container) == 2
        # One more byte than the public body allows (two files + 256 KB of text fields).
        over = [("files", ("big.jpg", jpeg(3 * MB + 256 * 1024 + 1), "image/jpeg"))]
        refused = client.post("/public/complaint", data=form("t-over"), files=over)
    assert refused.status_code == 413
    assert "text/html" in refused.headers["content-type"]
    text = refused.text
    assert "公众投诉最多可附2个文件，每个不超过1.5MB" in text
    assert "the public form takes at most 2 files of 1.5 MB each" in text
    assert 'class="topbar"' in text and "接下来怎么做" in text  # the site's layout, next steps
    assert complaints_stored(container) == 1


def test_a_body_just_under_the_configured_limit_is_filed_and_one_byte_over_is_413(
    container: Container, org: dict[str, Any]
) -> None:
    limits = {"public_max_attachment_bytes": 64 * 1024, "public_form_overhead_bytes": 64 * 1024}
    with client_for(container, **limits) as client:
        files = [("files", (f"p{n}.jpg", jpeg(64 * 1024), "image/jpeg")) for n in range(2)]
        under = client.post("/public/complaint", data=form("t-u"), files=files)
        assert under.status_code == 200, under.text[:500]
        body_limit = 2 * 64 * 1024 + 64 * 1024
        padded = [("files", (f"p{n}.jpg", jpeg(64 * 1024), "image/jpeg")) for n in range(2)]
        empty = client.build_request(
            "POST", "/public/complaint", data=form("t-o", padding=""), files=padded
        )
        padding = body_limit - len(empty.read()) + 1  # the same form, one byte over the limit
        over = client.post(
            "/public/complaint", data=form("t-o", padding="x" * padding), files=padded
        )
        assert over.status_code == 413
        assert "每个不超过0.06MB" in over.text and "2 files of 0.06 MB each" in over.text
        exact = client.post(
            "/public/complaint", data=form("t-o", padding="x" * (padding - 1)), files=padded
        )
        assert exact.status_code == 200, exact.text[:500]  # exactly at the limit: filed
    assert complaints_stored(container) == 2


def test_a_streamed_upload_is_cut_off_at_the_public_limit_before_it_is_read_whole(
    container: Container, org: dict[str, Any]
) -> None:
    # Straight through ASGI, counting what the app pulls: the test client would read a
    # generator body whole before handing it over.
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="content"\r\n\r\n'
        f"{LETTER['content']}\r\n--{boundary}\r\nContent-Disposition: form-data;"
        f' name="files"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    ).encode() + b"\xff\xd8\xff\xe0"
    chunks = [head] + [b"7" * 65536] * 160  # 10 MB, sent without Content-Length
    pulled = 0
    answer: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        if pulled <= len(chunks):
            return {"type": "http.request", "body": chunks[pulled - 1], "more_body": True}
        return {"type": "http.request", "body": b"\r\n--b0undary--\r\n", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        answer.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/public/complaint",
        "raw_path": b"/public/complaint",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", f"multipart/form-data; boundary={boundary}".encode())],
        "client": ("10.9.9.9", 1),
        "server": ("testserver", 80),
    }
    app = client_for(container).app
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    assert answer[0]["status"] == 413
    assert "每个不超过1.5MB".encode() in answer[1]["body"]
    # It stopped at the chunk that crossed the 3.25 MB limit (the head + 52 × 64 KB), not
    # after the 10 MB.
    assert pulled == 1 + (3 * MB + 256 * 1024) // 65536
    assert complaints_stored(container) == 0


def test_a_third_file_or_a_file_over_the_public_size_is_refused_with_the_form_kept(
    container: Container, org: dict[str, Any]
) -> None:
    with client_for(container) as client:
        three = [("files", (f"p{n}.jpg", jpeg(1000), "image/jpeg")) for n in range(3)]
        refused = client.post("/public/complaint", data=form("t-3"), files=three)
        assert refused.status_code == 422
        assert "附件最多2个" in refused.text and "at most 2 attachments" in refused.text
        assert LETTER["content"] in refused.text  # what was typed is still in the form
        big = [("files", ("big.jpg", jpeg(3 * MB // 2 + 1), "image/jpeg"))]
        too_big = client.post("/public/complaint", data=form("t-b"), files=big)
        assert too_big.status_code == 422
        assert "超过1.5MB上限" in too_big.text and "exceeds the 1.5 MB limit" in too_big.text
        assert LETTER["content"] in too_big.text
    assert complaints_stored(container) == 0 and attachments_stored(container) == 0


def test_staff_uploads_keep_the_larger_limit(container: Container, org: dict[str, Any]) -> None:
    # The public limit is for /public/ pages only: a signed-in upload of 3 MB passes the edge.
    with client_for(container) as client:
        response = client.post(
            "/api/v1/complaints/1/attachments",
            files={"file": ("scan.jpg", jpeg(3 * MB), "image/jpeg")},
        )
    assert response.status_code != 413  # refused later for want of a sign-in, not for size
    assert response.status_code in (401, 403, 404)


def test_api_clients_get_json_413_and_a_browser_asking_for_html_gets_the_page(
    container: Container, org: dict[str, Any]
) -> None:
    big = {**LETTER, "title": "字" * (1024 * 1024)}
    with client_for(container) as client:
        api = client.post("/api/v1/public/complaints", json=big)
        browser = client.post(
            "/api/v1/public/complaints", json=big, headers={"Accept": "text/html,*/*;q=0.8"}
        )
    assert api.status_code == 413 and api.headers["content-type"] == "application/json"
    error = api.json()["error"]
    assert error["code"] == "body_too_large" and error["limit_bytes"] == 2 * MB
    assert browser.status_code == 413 and "text/html" in browser.headers["content-type"]
    assert "超过2MB上限" in browser.text and 'class="topbar"' in browser.text


def test_a_browser_that_files_too_often_gets_a_page_with_the_wait_in_seconds(
    container: Container, org: dict[str, Any]
) -> None:
    with client_for(container, filing_rate_limit=1) as client:
        assert client.post("/public/complaint", data=form("t-1")).status_code == 200
        page = client.post("/public/complaint", data=form("t-2"))
        english = client.post("/public/complaint?lang=en", data=form("t-3"))
        api = client.post("/api/v1/public/complaints", json=LETTER)
    assert page.status_code == 429
    wait = int(page.headers["Retry-After"])
    assert 1 <= wait <= 60
    assert "text/html" in page.headers["content-type"] and 'class="topbar"' in page.text
    assert "提交投诉过于频繁" in page.text and "too many complaints filed" in page.text
    shown = re.search(r"请在 (\d+) 秒后再试", page.text)
    assert shown is not None and abs(int(shown.group(1)) - wait) <= 1
    assert 'href="/public/complaint"' in page.text  # back to the form
    assert english.status_code == 429 and re.search(r"Try again in \d+ seconds", english.text)
    assert api.status_code == 429 and api.headers["content-type"] == "application/json"
    assert api.json()["error"]["code"] == "rate_limited"
    assert api.json()["error"]["retry_after"] == int(api.headers["Retry-After"])
    assert complaints_stored(container) == 1
