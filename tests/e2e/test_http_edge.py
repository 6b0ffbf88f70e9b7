"""The HTTP edge as an attacker meets it: oversized bodies, hammering, forwarded headers,
reflected text and ids too large for the database (docs/reliability.md, "HTTP edge")."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from complaintdesk.bootstrap import Container
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.http.app import create_app
from tests.conftest import Api
from tests.e2e.test_access_web import file_and_transfer, sign_in

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LETTER = {"title": "小区噪音", "content": "小区旁工地夜间施工，噪音扰民，请相关部门处理。"}
HUGE = "99999999999999999999"


def client_for(
    container: Container, client: tuple[str, int] = ("testclient", 50000), **settings: Any
) -> TestClient:
    edited = dataclasses.replace(container, settings=container.settings.model_copy(update=settings))
    return TestClient(create_app(edited), client=client, follow_redirects=False)


def complaints_stored(container: Container) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ComplaintRow)) or 0)


@pytest.fixture
def edge(container: Container, org: dict[str, Any]) -> Iterator[TestClient]:
    with client_for(container) as client:
        yield client


# --- body limits ----------------------------------------------------------------------


def test_an_oversized_json_body_is_refused_413_before_it_is_read(
    edge: TestClient, container: Container
) -> None:
    padding = "字" * (1024 * 1024)  # 3 MB of UTF-8, above the 2 MB JSON limit
    response = edge.post("/api/v1/public/complaints", json={**LETTER, "title": padding})
    assert response.status_code == 413
    message = response.json()["error"]["message"]
    assert "超过2MB上限" in message and "exceeds the 2 MB limit" in message
    assert complaints_stored(container) == 0


def test_a_streamed_body_without_a_length_is_cut_off_at_the_limit(
    edge: TestClient, container: Container
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"content": "'
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MB in all, sent without Content-Length
        yield b'"}'

    response = edge.post(
        "/api/v1/public/complaints",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    assert complaints_stored(container) == 0


def test_the_public_form_refuses_an_eleventh_file_and_files_nothing(
    container: Container, org: dict[str, Any]
) -> None:
    # The parser's own cap (10 files) with the public limit raised to it; the default public
    # limit is smaller (tests/e2e/test_public_upload_limits.py).
    edge = client_for(container, public_max_attachments=10)
    files = [("files", (f"p{n}.txt", b"photo placeholder text", "text/plain")) for n in range(11)]
    response = edge.post(
        "/public/complaint", data={"content": LETTER["content"], "form_token": "t-11"}, files=files
    )
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"]
    assert "附件最多10个" in response.text and "at most 10 attachments" in response.text
    assert complaints_stored(container) == 0
    ten = edge.post(
        "/public/complaint",
        data={"content": LETTER["content"], "form_token": "t-10"},
        files=files[:10],
    )
    assert ten.status_code == 200 and "TS" in ten.text
    assert complaints_stored(container) == 1


def test_an_upload_above_the_multipart_limit_gets_a_small_bilingual_page(
    container: Container, org: dict[str, Any]
) -> None:
    with client_for(container, max_upload_body_bytes=64 * 1024) as client:
        response = client.post(
            "/public/complaint",
            data={"content": LETTER["content"], "form_token": "t-big"},
            files=[("files", ("big.pdf", b"%PDF-" + b"0" * 100_000, "application/pdf"))],
        )
    assert response.status_code == 413
    assert "text/html" in response.headers["content-type"]
    assert "请求内容超过" in response.text and "request body exceeds" in response.text
    assert complaints_stored(container) == 0


def test_an_import_above_the_import_limit_is_refused(
    container: Container, org: dict[str, Any]
) -> None:
    with client_for(container, max_import_body_bytes=32 * 1024) as client:
        api = Api(client)
        big = b"title,content\n" + b"a,b\n" * 20_000
        response = api.post(
            "operator",
            "/api/v1/intake/imports",
            files={"file": ("big.csv", big, "text/csv")},
        )
        assert response.status_code == 413
        small = api.post(
            "operator",
            "/api/v1/intake/imports",
            files={"file": ("small.csv", "标题,内容\n噪音,工地夜间施工噪音扰民严重\n".encode())},
            data={"mapping": "content=内容,title=标题"},
        )
    assert small.status_code == 200, small.text


# --- rate limits ----------------------------------------------------------------------


def test_public_filing_is_limited_per_address_with_retry_after(
    container: Container, org: dict[str, Any]
) -> None:
    with client_for(container, filing_rate_limit=2) as client:
        for _ in range(2):
            assert client.post("/api/v1/public/complaints", json=LETTER).status_code == 201
        refused = client.post("/api/v1/public/complaints", json=LETTER)
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "提交投诉过于频繁" in refused.json()["error"]["message"]
        form = client.post("/public/complaint", data={**LETTER, "form_token": "t-f"})
        assert form.status_code == 429 and "too many complaints filed" in form.text
    assert complaints_stored(container) == 2
    with client_for(container, ("10.0.0.2", 1), filing_rate_limit=2) as other:
        assert other.post("/api/v1/public/complaints", json=LETTER).status_code == 201


def test_status_look_ups_are_limited_on_the_api_and_the_page(
    container: Container, org: dict[str, Any]
) -> None:
    with client_for(container, status_rate_limit=3) as client:
        filed = client.post("/api/v1/public/complaints", json=LETTER).json()
        guesses = [
            {"tracking_no": filed["tracking_no"], "query_code": f"GUESS{n:03d}"} for n in range(3)
        ]
        for guess in guesses:
            assert client.post("/api/v1/public/status", json=guess).status_code == 404
        right = {"tracking_no": filed["tracking_no"], "query_code": filed["query_code"]}
        assert client.post("/api/v1/public/status", json=right).status_code == 429
        page = client.post("/public/status", data=right)
        assert page.status_code == 429 and "查询过于频繁" in page.text


def test_sign_in_is_limited_on_the_token_api_and_the_staff_page(
    container: Container, org: dict[str, Any]
) -> None:
    with client_for(container, login_rate_limit=3) as client:
        for _ in range(3):
            wrong = {"username": f"nobody-{_}", "password": "guess-guess"}
            assert client.post("/api/v1/auth/token", json=wrong).status_code == 401
        right = {"username": "operator", "password": "demo12345"}
        limited = client.post("/api/v1/auth/token", json=right)
        assert limited.status_code == 429
        assert "登录尝试过于频繁" in limited.json()["error"]["message"]
        assert sign_in(client, "operator").status_code == 429


# --- lock-out: one answer for every refusal ---------------------------------------------


def test_unknown_wrong_and_locked_accounts_get_the_same_answer(edge: TestClient) -> None:
    def attempt(username: str, password: str = "wrong-password") -> tuple[int, str, float]:
        started = time.perf_counter()
        response = edge.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        return (
            response.status_code,
            response.json()["error"]["message"],
            (time.perf_counter() - started),
        )

    wrong = [attempt("operator") for _ in range(3)]
    unknown = [attempt("no-such-user") for _ in range(3)]
    for _ in range(2):  # five failures in all lock the account
        attempt("operator")
    locked = attempt("operator", "demo12345")  # even the right password
    answers = {(status, message) for status, message, _t in [*wrong, *unknown, locked]}
    assert len(answers) == 1 and answers.pop()[0] == 401
    # An unknown name costs an argon2 verification too: without it, it answers ~50x faster.
    median = sorted(t for *_a, t in unknown)[1]
    assert median > 0.3 * sorted(t for *_a, t in wrong)[1]


# --- proxy headers, Secure cookies, HSTS ------------------------------------------------


def test_behind_a_trusted_proxy_cookies_are_secure_and_hsts_is_sent(
    container: Container, org: dict[str, Any]
) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    with client_for(
        container,
        ("10.0.0.1", 4000),
        proxy_headers=True,
        forwarded_allow_ips="10.0.0.1",
        hsts_seconds=600,
        login_rate_limit=2,
    ) as client:
        page = client.get("/staff/login", headers=forwarded)
        assert "Secure" in page.headers["set-cookie"]
        assert page.headers["strict-transport-security"] == "max-age=600"
        token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
        signed = client.post(
            "/staff/login",
            data={"username": "operator", "password": "demo12345", "csrf_token": token},
            # A Secure cookie is not sent back over the test client's plain http.
            headers={**forwarded, "Cookie": f"cd_login={page.cookies['cd_login']}"},
        )
        assert signed.status_code == 303
        assert "cd_session=" in signed.headers["set-cookie"]
        assert "Secure" in signed.headers["set-cookie"]
        # The limit (2) counts the user's address, not the proxy's: another user still gets in.
        login = {"username": "operator", "password": "demo12345"}
        other = {"X-Forwarded-For": "203.0.113.8"}
        assert client.post("/api/v1/auth/token", json=login, headers=forwarded).status_code == 200
        assert client.post("/api/v1/auth/token", json=login, headers=forwarded).status_code == 429
        assert client.post("/api/v1/auth/token", json=login, headers=other).status_code == 200


def test_forwarded_headers_from_an_untrusted_address_are_ignored(
    container: Container, org: dict[str, Any]
) -> None:
    with client_for(
        container,
        ("198.51.100.9", 4000),
        proxy_headers=True,
        forwarded_allow_ips="10.0.0.1",
        login_rate_limit=1,
    ) as client:
        page = client.get("/staff/login", headers={"X-Forwarded-Proto": "https"})
        assert "Secure" not in page.headers["set-cookie"]
        assert "strict-transport-security" not in page.headers
        login = {"username": "operator", "password": "demo12345"}
        assert client.post("/api/v1/auth/token", json=login).status_code == 200
        # A made-up X-Forwarded-For does not buy a fresh allowance.
        spoofed = {"X-Forwarded-For": "192.0.2.1"}
        assert client.post("/api/v1/auth/token", json=login, headers=spoofed).status_code == 429


# --- reflected text and ids beyond BIGINT -------------------------------------------------


def test_done_shows_only_a_known_action_and_never_echoes_text(
    edge: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = file_and_transfer(api, org)
    sign_in(edge, "dispatcher")
    planted = edge.get(f"/staff/complaints/{cid}", params={"done": "请拨打 400-123 领取补偿"})
    assert planted.status_code == 200
    # (the language switch keeps the query in its link, URL-escaped; no message says it)
    shown = planted.text.replace("?done=请拨打 400-123 领取补偿", "")
    assert "400-123" not in shown and "已完成" not in shown
    known = edge.get(f"/staff/complaints/{cid}", params={"done": "dispatch"})
    assert "已完成" in known.text


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/complaints/{HUGE}",
        f"/api/v1/complaints/{HUGE}/events",
        f"/api/v1/complaints?cursor={HUGE}",
        f"/api/v1/complaints?unit_id={HUGE}",
        "/api/v1/complaints?cursor=-1",
        f"/api/v1/complaints/{HUGE}/attachments",
        f"/api/v1/telecom/complaints/{HUGE}",
        f"/api/v1/telecom/queue?cursor={HUGE}",
        f"/api/v1/public/cases?before={HUGE}",
        f"/api/v1/outbox?complaint_id={HUGE}",
    ],
)
def test_an_id_beyond_bigint_is_a_bilingual_422_not_a_500(api: Api, url: str) -> None:
    response = api.get("admin", url)
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert message in ("请求内容有误 / invalid request", "分页游标无效 / invalid cursor")


def test_pages_with_ids_beyond_bigint_do_not_fail(edge: TestClient) -> None:
    sign_in(edge, "dispatcher")
    assert edge.get(f"/staff/complaints/{HUGE}").status_code == 422
    assert edge.get(f"/staff/queue?before={HUGE}").status_code == 200
    assert edge.get(f"/public/cases?before={HUGE}").status_code == 422


def test_serve_passes_the_proxy_options_to_every_worker_and_turns_uvicorns_own_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from complaintdesk.cli import app as cli
    from complaintdesk.config import get_settings

    ran: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: ran.update(kwargs))
    monkeypatch.setenv("COMPLAINTDESK_DEMO_MODE", "1")
    monkeypatch.setenv("COMPLAINTDESK_PROXY_HEADERS", "0")
    monkeypatch.setenv("COMPLAINTDESK_FORWARDED_ALLOW_IPS", "127.0.0.1")
    try:
        result = CliRunner().invoke(
            cli, ["serve", "--proxy-headers", "--forwarded-allow-ips", "10.0.0.1"]
        )
        assert result.exit_code == 0, result.output
        settings = get_settings()  # what each worker's create_app reads
        assert settings.proxy_headers and settings.forwarded_allow_ips == "10.0.0.1"
        assert ran["proxy_headers"] is False
    finally:
        get_settings.cache_clear()


def test_an_id_beyond_bigint_in_a_body_is_refused_and_changes_nothing(api: Api) -> None:
    cid = api.post("operator", "/api/v1/complaints", json=LETTER).json()["id"]
    before = api.get("operator", f"/api/v1/complaints/{cid}").json()
    for body in ({"unit_id": int(HUGE), "mode": "transfer"}, {"expected_version": int(HUGE)}):
        action = "dispatch" if "unit_id" in body else "accept"
        response = api.post("dispatcher", f"/api/v1/complaints/{cid}/{action}", json=body)
        assert response.status_code == 422, response.text
    after = api.get("operator", f"/api/v1/complaints/{cid}").json()
    assert (after["status"], after["version"]) == (before["status"], before["version"])
