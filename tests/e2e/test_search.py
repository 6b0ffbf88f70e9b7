"""The search page: tracking numbers, phones (centre side only), Chinese words, filters, paging,
and jurisdiction — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from complaintdesk.bootstrap import Container
from complaintdesk.http.app import create_app
from tests.conftest import Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROW = re.compile(r'<tr>\s*<td class="nowrap col-no"><a href="/staff/complaints/(\d+)">')

Signer = Callable[[str], TestClient]


@pytest.fixture
def signed_in(container: Container, org: dict[str, Any]) -> Iterator[Signer]:
    app = create_app(container)
    clients: list[TestClient] = []

    def sign_in(username: str) -> TestClient:
        client = TestClient(app, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        token = CSRF.search(client.get("/staff/login").text).group(1)  # type: ignore[union-attr]
        response = client.post(
            "/staff/login",
            data={"username": username, "password": "demo12345", "csrf_token": token, "next": ""},
        )
        assert response.status_code == 303, response.text
        return client

    yield sign_in
    for client in clients:
        client.__exit__(None, None, None)


def file(api: Api, title: str, content: str, phone: str, name: str = "王小明") -> dict[str, Any]:
    body = {"title": title, "content": content, "complainant": {"name": name, "phone": phone}}
    response = api.post("operator", "/api/v1/complaints", json=body)
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def transfer(api: Api, cid: int, unit_id: int, summary: str) -> None:
    api.post("operator", f"/api/v1/complaints/{cid}/accept", json={})
    api.post("leader", f"/api/v1/complaints/{cid}/sign-off", json={"mode": "transfer"})
    response = api.post(
        "dispatcher",
        f"/api/v1/complaints/{cid}/dispatch",
        json={"unit_id": unit_id, "mode": "transfer", "summary": summary},
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def cases(api: Api, org: dict[str, Any]) -> dict[str, dict[str, Any]]:
    noise = file(
        api,
        "王小明反映楼道噪音扰民",
        "楼上装修噪音持续一个月，物业公司不作为，住建局窗口推诿。",
        "13812345678",
    )
    transfer(api, noise["id"], org["housing"].id, "反映楼道噪音问题，请核查")
    fees = file(api, "学校乱收费", "孩子所在学校收取补课费。", "13900001111", name="李红")
    transfer(api, fees["id"], org["education"].id, "反映学校乱收费")
    desk = file(api, "窗口推诿扯皮", "办事窗口互相推诿，跑了三次。", "13700002222", name="赵刚")
    return {"noise": noise, "fees": fees, "desk": desk}


def ids_on(page: str) -> list[int]:
    return [int(i) for i in ROW.findall(page)]


def test_an_exact_tracking_number_opens_the_complaint(
    signed_in: Signer, cases: dict[str, dict[str, Any]]
) -> None:
    noise = cases["noise"]
    dispatcher = signed_in("dispatcher")
    response = dispatcher.get("/staff/search", params={"q": noise["tracking_no"].lower()})
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/complaints/{noise['id']}"
    prefix = noise["tracking_no"][:10]  # TSyyyymmdd: every complaint of that day
    assert set(ids_on(dispatcher.get("/staff/search", params={"q": prefix}).text)) == {
        c["id"] for c in cases.values()
    }
    # Another bureau's complaint is not there for the education bureau, whatever it types.
    education = signed_in("handler-education")
    page = education.get("/staff/search", params={"q": noise["tracking_no"]})
    assert page.status_code == 200 and ids_on(page.text) == [] and "没有找到" in page.text


def test_a_phone_number_is_found_by_the_centre_only(
    signed_in: Signer, cases: dict[str, dict[str, Any]], container: Container
) -> None:
    from complaintdesk.audit import service as audit

    noise = cases["noise"]
    dispatcher = signed_in("dispatcher")
    for typed in ("13812345678", "138-1234-5678"):
        assert ids_on(dispatcher.get("/staff/search", params={"q": typed}).text) == [noise["id"]]
    with container.uow() as uow:
        kinds = [e["kind"] for e in audit.entries(uow, complaint_id=noise["id"])]
    assert "search_complaints" in kinds  # the read of personal data is recorded
    housing = signed_in("handler-housing")
    page = housing.get("/staff/search", params={"q": "13812345678"}).text
    assert ids_on(page) == [] and 'id="phone-note"' in page
    assert cases["noise"]["tracking_no"] not in page


def test_chinese_words_are_found_and_highlighted_in_the_title(
    signed_in: Signer, cases: dict[str, dict[str, Any]]
) -> None:
    dispatcher = signed_in("dispatcher")
    page = dispatcher.get("/staff/search", params={"q": "噪音"}).text
    assert ids_on(page) == [cases["noise"]["id"]]
    assert "<mark>噪音</mark>" in page
    # Words of the letter count for the centre; two words must both be there.
    assert ids_on(dispatcher.get("/staff/search", params={"q": "物业 装修"}).text) == [
        cases["noise"]["id"]
    ]
    assert ids_on(dispatcher.get("/staff/search", params={"q": "物业 收费"}).text) == []
    both = ids_on(dispatcher.get("/staff/search", params={"q": "推诿"}).text)
    assert both == [cases["desk"]["id"], cases["noise"]["id"]]  # newest first
    one = dispatcher.get("/staff/search", params={"q": "诿"}).text
    assert ids_on(one) == both and "单字检索" in one


def test_a_handling_unit_searches_only_what_it_is_shown(
    signed_in: Signer, cases: dict[str, dict[str, Any]]
) -> None:
    noise = cases["noise"]["id"]
    housing = signed_in("handler-housing")
    assert ids_on(housing.get("/staff/search", params={"q": "噪音"}).text) == [noise]
    assert ids_on(housing.get("/staff/search", params={"q": "核查"}).text) == [noise]  # summary
    assert ids_on(housing.get("/staff/search", params={"q": "物业"}).text) == []  # letter only
    # The complainant's name is masked in the title the unit reads: not findable either.
    assert ids_on(housing.get("/staff/search", params={"q": "王小明"}).text) == []
    assert ids_on(housing.get("/staff/search", params={"q": "乱收费"}).text) == []
    education = signed_in("handler-education")
    assert ids_on(education.get("/staff/search", params={"q": "噪音"}).text) == []
    assert ids_on(education.get("/staff/search", params={"q": "收费"}).text) == [
        cases["fees"]["id"]
    ]


def test_filters_narrow_by_unit_status_and_date(
    signed_in: Signer, cases: dict[str, dict[str, Any]], org: dict[str, Any]
) -> None:
    dispatcher = signed_in("dispatcher")

    def found(**params: str) -> list[int]:
        response = dispatcher.get("/staff/search", params=params)
        assert response.status_code == 200, response.text
        return ids_on(response.text)

    assert found(unit=str(org["education"].id)) == [cases["fees"]["id"]]
    assert found(q="推诿", status="registered") == [cases["desk"]["id"]]
    assert set(found(**{"from": "2026-11-30", "to": "2026-11-30"})) == {
        c["id"] for c in cases.values()
    }
    assert found(**{"from": "2026-12-01"}) == []


def test_bad_filters_are_explained_next_to_the_field_and_kept(
    signed_in: Signer, cases: dict[str, dict[str, Any]]
) -> None:
    dispatcher = signed_in("dispatcher")
    response = dispatcher.get(
        "/staff/search", params={"q": "噪音", "from": "2026-13-45", "unit": "999999"}
    )
    assert response.status_code == 400
    assert "日期格式应为" in response.text and "请从列表中选择单位" in response.text
    assert 'value="2026-13-45"' in response.text and 'value="噪音"' in response.text
    assert ids_on(response.text) == []


def test_results_page_with_a_next_link(
    signed_in: Signer, cases: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from complaintdesk.search import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    dispatcher = signed_in("dispatcher")
    first = dispatcher.get("/staff/search", params={"q": "TS2026"}).text
    assert ids_on(first) == [cases["desk"]["id"], cases["fees"]["id"]]
    link = re.search(r'id="next-page" href="([^"]+)"', first)
    assert link is not None
    second = dispatcher.get(link.group(1).replace("&amp;", "&")).text
    assert ids_on(second) == [cases["noise"]["id"]] and 'id="next-page"' not in second
