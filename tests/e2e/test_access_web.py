"""Staff pages: session cookie, CSRF, lock-out, confidentiality on the page, sign-out;
the publication page; the users CLI."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from complaintdesk.bootstrap import Container
from complaintdesk.cli import app as cli
from complaintdesk.http.app import create_app
from tests.conftest import Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def web(container: Container, org: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, username: str, password: str = "demo12345") -> Any:
    page = client.get("/staff/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    return client.post(
        "/staff/login",
        data={"username": username, "password": password, "csrf_token": token, "next": ""},
    )


def file_and_transfer(api: Api, org: dict[str, Any], **extra: Any) -> int:
    body = {
        "title": "窗口工作人员态度粗暴",
        "content": "本人王小明，电话13812345678，在住建局窗口被工作人员呵斥。",
        "complainant": {"name": "王小明", "phone": "13812345678", "organisation": "明光商贸公司"},
        **extra,
    }
    cid = int(api.post("operator", "/api/v1/complaints", json=body).json()["id"])
    api.post("operator", f"/api/v1/complaints/{cid}/accept", json={})
    api.post("leader", f"/api/v1/complaints/{cid}/sign-off", json={"mode": "transfer"})
    dispatched = api.post(
        "dispatcher",
        f"/api/v1/complaints/{cid}/dispatch",
        json={"unit_id": org["housing"].id, "mode": "transfer", "summary": "反映窗口人员态度问题"},
    )
    assert dispatched.status_code == 200, dispatched.text
    return cid


def test_a_page_without_a_session_sends_the_browser_to_sign_in(web: TestClient) -> None:
    response = web.get("/staff/queue?status=dispatched")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=/staff/queue%3Fstatus%3Ddispatched"


def test_sign_in_sets_an_httponly_samesite_cookie_and_needs_the_csrf_token(
    web: TestClient,
) -> None:
    forged = web.post(
        "/staff/login", data={"username": "operator", "password": "demo12345", "csrf_token": "x"}
    )
    assert forged.status_code == 403
    response = sign_in(web, "operator")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "cd_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert web.get("/staff/queue").status_code == 200


def test_a_wrong_password_is_refused_and_repeated_failures_lock_the_account(
    web: TestClient,
) -> None:
    for _ in range(4):
        refused = sign_in(web, "operator", "wrong-password")
        assert refused.status_code == 401
        assert "用户名或密码错误" in refused.text
    locked = sign_in(web, "operator", "wrong-password")
    assert locked.status_code == 401
    assert "锁定" in sign_in(web, "operator").text  # even the right password waits now


def test_an_action_form_needs_the_csrf_token_and_then_changes_the_complaint(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = file_and_transfer(api, org)
    sign_in(web, "handler-housing")
    page = web.get(f"/staff/complaints/{cid}")
    assert page.status_code == 200
    assert 'data-action="receive"' in page.text
    assert 'data-action="accept"' not in page.text  # the centre's actions are not offered
    forged = web.post(f"/staff/complaints/{cid}/act/receive", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    done = web.post(f"/staff/complaints/{cid}/act/receive", data={"csrf_token": token})
    assert done.status_code == 303
    assert api.get("operator", f"/api/v1/complaints/{cid}").json()["status"] == "received"
    refused = web.post(
        f"/staff/complaints/{cid}/act/return_dispatch", data={"csrf_token": token, "reason": " "}
    )
    assert refused.status_code == 422
    assert "退单理由不能为空" in refused.text


def test_the_handling_units_page_never_shows_the_complainant(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = file_and_transfer(api, org)
    sign_in(web, "handler-housing")
    page = web.get(f"/staff/complaints/{cid}").text
    assert "反映窗口人员态度问题" in page
    for secret in ("王小明", "王**", "13812345678", "138****5678", "明光商贸"):
        assert secret not in page
    sign_in(web, "handler-education")
    assert web.get(f"/staff/complaints/{cid}").status_code == 404


def test_the_centre_sees_a_masked_complainant_and_reading_the_letter_is_audited(
    web: TestClient, api: Api, org: dict[str, Any], container: Container
) -> None:
    from complaintdesk.audit import service as audit

    cid = file_and_transfer(api, org)
    sign_in(web, "dispatcher")
    page = web.get(f"/staff/complaints/{cid}").text
    assert "王**" in page and "王小明" not in page.split("投诉内容")[0]
    with container.uow() as uow:
        kinds = [e["kind"] for e in audit.entries(uow, complaint_id=cid)]
    assert kinds[0] == "read_complaint"


def test_signing_out_revokes_the_session(web: TestClient) -> None:
    sign_in(web, "operator")
    cookie = web.cookies.get("cd_session")
    queue = web.get("/staff/queue")
    token = CSRF.search(queue.text).group(1)  # type: ignore[union-attr]
    assert web.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    web.cookies.set("cd_session", cookie or "")
    assert web.get("/staff/queue").status_code == 303


def test_the_queue_filters_and_pages_with_a_next_link(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    ids = [file_and_transfer(api, org) for _ in range(2)]
    sign_in(web, "head-housing")
    page = web.get("/staff/queue?status=dispatched&lang=en").text
    assert "Queue" in page and all(f"/staff/complaints/{i}" in page for i in ids)
    assert "next-page" not in page
    assert "/staff/complaints/" not in web.get("/staff/queue?status=closed").text


def test_publication_shows_a_name_only_with_consent(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    def close(cid: int) -> None:
        for user, path, body in [
            ("handler-housing", "receive", {}),
            ("handler-housing", "start-handling", {}),
            (
                "handler-housing",
                "reply",
                {"reply": "王小明您好，已整改，电话13812345678回访", "channel": "phone"},
            ),
            ("callback", "start-callback", {}),
            ("callback", "callback", {"outcome": "satisfied"}),
        ]:
            assert api.post(user, f"/api/v1/complaints/{cid}/{path}", json=body).status_code == 200

    private = file_and_transfer(api, org)
    public = file_and_transfer(api, org, consent_publish=True)
    close(private)
    close(public)
    cases = {c["id"]: c for c in web.get("/api/v1/public/cases").json()["items"]}
    assert cases[public]["complainant"] == "王小明"
    assert cases[public]["organisation"] == "明光商贸公司"
    assert cases[private]["complainant"] == "＊＊＊"
    assert cases[private]["organisation"] is None
    assert "王小明" not in cases[private]["result"]
    assert "13812345678" not in cases[private]["result"]
    assert "138****5678" in cases[private]["result"]
    page = web.get("/public/cases").text
    assert page.count("王小明") == 2  # name and the reply of the consenting case only


def test_the_users_command_creates_resets_and_disables(
    container: Container, org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from complaintdesk.config import get_settings

    monkeypatch.setenv("COMPLAINTDESK_DATABASE_URL", container.settings.database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        bad = runner.invoke(
            cli,
            [
                "users",
                "create",
                "zhou",
                "--unit",
                "housing",
                "--roles",
                "boss",
                "--password",
                "x" * 9,
            ],
        )
        assert bad.exit_code == 2 and "未知角色" in bad.output
        made = runner.invoke(
            cli,
            [
                "users",
                "create",
                "zhou",
                "--unit",
                "housing",
                "--roles",
                "handler",
                "--password",
                "first-pass1",
            ],
        )
        assert made.exit_code == 0, made.output
        reset = runner.invoke(
            cli, ["users", "reset-password", "zhou", "--password", "second-pass2"]
        )
        assert reset.exit_code == 0, reset.output
        with TestClient(create_app(container)) as client:
            old = client.post(
                "/api/v1/auth/token", json={"username": "zhou", "password": "first-pass1"}
            )
            new = client.post(
                "/api/v1/auth/token", json={"username": "zhou", "password": "second-pass2"}
            )
            assert (old.status_code, new.status_code) == (401, 200)
            token = new.json()["access_token"]
            assert runner.invoke(cli, ["users", "disable", "zhou"]).exit_code == 0
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 401
        missing = runner.invoke(cli, ["users", "disable", "nobody"])
        assert missing.exit_code == 2 and "用户不存在" in missing.output
    finally:
        get_settings.cache_clear()
