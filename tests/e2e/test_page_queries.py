"""A page of the queue costs a fixed number of SQL statements, however many rows it shows
(issue 13 item 8: no N+1)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from complaintdesk.bootstrap import Container
from complaintdesk.http.app import create_app
from tests.conftest import Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def dispatcher(container: Container, org: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        token = CSRF.search(client.get("/staff/login").text).group(1)  # type: ignore[union-attr]
        client.post(
            "/staff/login",
            data={"username": "dispatcher", "password": "demo12345", "csrf_token": token},
        )
        yield client


def statements(container: Container, client: TestClient, url: str) -> int:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(container.engine, "before_cursor_execute", count)
    try:
        response = client.get(url)
    finally:
        event.remove(container.engine, "before_cursor_execute", count)
    assert response.status_code == 200, response.text
    return len(seen)


def file(api: Api, org: dict[str, Any], n: int) -> None:
    for i in range(n):
        body = {
            "title": f"第{i}号 窗口推诿",
            "content": "办事窗口互相推诿。",
            "complainant": {"name": f"投诉人{i}", "phone": f"1380000{i:04d}"},
        }
        response = api.post("operator", "/api/v1/complaints", json=body)
        assert response.status_code in (200, 201), response.text
        if i % 2:
            api.post("operator", f"/api/v1/complaints/{response.json()['id']}/accept", json={})


@pytest.mark.parametrize("url", ["/staff/queue", "/staff/search?q=推诿"])
def test_a_full_page_costs_the_same_statements_as_a_short_one(
    container: Container, api: Api, org: dict[str, Any], dispatcher: TestClient, url: str
) -> None:
    file(api, org, 2)
    short = statements(container, dispatcher, url)
    file(api, org, 52)
    full = statements(container, dispatcher, url)
    assert dispatcher.get(url).text.count("/staff/complaints/") >= 2 * 30  # a full page
    # Not more for fifty rows than for two (a search of two rows even reads more windows).
    assert full <= short, f"{full} statements for a full page, {short} for two rows"
    assert full <= 25
