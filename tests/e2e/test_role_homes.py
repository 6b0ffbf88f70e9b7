"""Each role lands on its home after sign-in and sees its own queues with the right counts;
each count's link lists exactly the rows counted; a unit never sees another unit's work."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from complaintdesk.bootstrap import Container
from complaintdesk.clock.deadlines import SHANGHAI, local_date, sub_working_days
from complaintdesk.http.app import create_app
from complaintdesk.kernel.time import FixedClock
from tests.conftest import Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROW = re.compile(r'href="/staff/complaints/(\d+)[/"]')

Web = Callable[[str], TestClient]


@pytest.fixture
def web(container: Container, api: Api) -> Iterator[Web]:
    """A signed-in browser per demo user (each its own cookies)."""
    clients: dict[str, TestClient] = {}
    app = create_app(container)

    def signed_in(username: str) -> TestClient:
        if username not in clients:
            client = TestClient(app, follow_redirects=False)
            client.__enter__()
            page = client.get("/staff/login")
            token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
            landed = client.post(
                "/staff/login",
                data={"username": username, "password": "demo12345", "csrf_token": token},
            )
            assert landed.status_code == 303, landed.text
            assert landed.headers["location"] == "/staff/home"
            clients[username] = client
        return clients[username]

    yield signed_in
    for client in clients.values():
        client.__exit__(None, None, None)


def file(api: Api, title: str, **extra: Any) -> int:
    body = {
        "title": title,
        "content": f"本人王小明，电话13812345678，{title}，多次反映无果。",
        "channel": "phone",
        "complainant": {"name": "王小明", "phone": "13812345678"},
        **extra,
    }
    response = api.post("operator", "/api/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def act(api: Api, user: str, cid: int, action: str, **body: Any) -> dict[str, Any]:
    response = api.post(user, f"/api/v1/complaints/{cid}/{action}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def transfer(api: Api, org: dict[str, Any], cid: int, unit: str) -> None:
    act(api, "operator", cid, "accept")
    act(api, "leader", cid, "sign-off", mode="transfer")
    act(api, "dispatcher", cid, "dispatch", unit_id=org[unit].id, mode="transfer", summary="请核查")


def home_counts(client: TestClient) -> dict[str, int]:
    page = client.get("/staff/home")
    assert page.status_code == 200, page.text
    found = re.findall(r'id="queue-([a-z_0-9]+)".*?data-count="(\d+)"', page.text, re.S)
    return {key: int(n) for key, n in found}


def listed(client: TestClient, key: str) -> set[int]:
    page = client.get(f"/staff/queue?q={key}")
    assert page.status_code == 200, page.text
    return {int(i) for i in ROW.findall(page.text)}


def sections(client: TestClient) -> list[str]:
    return re.findall(
        r'<section class="home-section" id="section-([a-z]+)"', client.get("/staff/home").text
    )


@pytest.fixture
def desk(api: Api, org: dict[str, Any], container: Container) -> dict[str, Any]:
    """A centre's morning: complaints in every queue, some late, one due soon."""
    clock = container.clock
    assert isinstance(clock, FixedClock)
    late = file(api, "住建局窗口推诿扯皮")  # transferred long ago, signed for, still open
    transfer(api, org, late, "housing")
    act(api, "handler-housing", late, "receive")
    act(api, "supervisor", late, "remind", reason="请抓紧办理")
    clock.advance(days=9)
    api.tokens.clear()  # the tokens of nine days ago have expired
    soon = file(api, "物业维修基金申请拖延")
    transfer(api, org, soon, "housing")
    act(api, "handler-housing", soon, "receive")
    act(api, "handler-housing", soon, "start-handling")
    elsewhere = file(api, "公交线路调整未公示")  # another unit's: housing never sees it
    transfer(api, org, elsewhere, "transport")
    soon_due = datetime.fromisoformat(
        api.get("operator", f"/api/v1/complaints/{soon}").json()["due_at"]
    )
    # The morning of the working day before the deadline: one working day left.
    today = sub_working_days(local_date(soon_due), 1, container.calendar)
    clock.moment = datetime.combine(today, time(9, 0), tzinfo=SHANGHAI)
    api.tokens.clear()
    registered = file(api, "小区旁工地夜间施工噪音扰民")
    accepted = file(api, "街道办事处态度粗暴")
    act(api, "operator", accepted, "accept")
    signed = file(api, "社保窗口多次让补材料")
    act(api, "operator", signed, "accept")
    act(api, "leader", signed, "sign-off", mode="self_handle")
    important = file(api, "县处级领导干部吃拿卡要", importance="important")
    act(api, "operator", important, "accept")
    dispatched = file(api, "住建局审批超时")
    transfer(api, org, dispatched, "housing")
    replied = file(api, "住建局答复敷衍")
    transfer(api, org, replied, "housing")
    act(api, "handler-housing", replied, "receive")
    act(api, "handler-housing", replied, "start-handling")
    act(api, "handler-housing", replied, "reply", reply="已整改。", channel="phone")
    extension = file(api, "住建局延期未说明")
    transfer(api, org, extension, "housing")
    act(api, "handler-housing", extension, "receive")
    act(api, "handler-housing", extension, "request-extension", working_days=5, reason="需现场勘验")
    return {
        "late": late,
        "soon": soon,
        "elsewhere": elsewhere,
        "registered": registered,
        "accepted": accepted,
        "signed": signed,
        "important": important,
        "dispatched": dispatched,
        "replied": replied,
        "extension": extension,
    }


def test_signing_in_lands_on_the_home_and_staff_leads_there(web: Web) -> None:
    client = web("operator")
    assert client.get("/staff").headers["location"] == "/staff/home"
    assert client.get("/staff/").headers["location"] == "/staff/home"
    page = client.get("/staff/home").text
    assert 'href="/staff/register"' in page and 'id="global-search"' in page
    assert 'href="/staff/handling"' not in page  # not the operator's job


def test_the_operator_sees_what_waits_for_acceptance(web: Web, desk: dict[str, Any]) -> None:
    client = web("operator")
    assert sections(client) == ["operator"]
    counts = home_counts(client)
    assert counts["to_accept"] == 1
    assert listed(client, "to_accept") == {desk["registered"]}
    assert "telecom_level1" not in counts  # the hotline centre is not telecom staff


def test_the_dispatcher_sees_what_to_dispatch_and_what_waits_for_the_leader(
    web: Web, desk: dict[str, Any]
) -> None:
    client = web("dispatcher")
    counts = home_counts(client)
    assert counts["to_dispatch"] == 1
    assert listed(client, "to_dispatch") == {desk["signed"]}
    assert counts["waiting_leader"] == 2
    assert listed(client, "waiting_leader") == {desk["accepted"], desk["important"]}
    # No routing model in the tests: nothing waiting at the centre has a department yet.
    waiting = {desk[k] for k in ("registered", "accepted", "signed", "important")}
    assert counts["unrouted"] == 4 and listed(client, "unrouted") == waiting


def test_the_leader_instructs_the_important_one_and_signs_off_the_rest(
    web: Web, desk: dict[str, Any]
) -> None:
    client = web("leader")
    counts = home_counts(client)
    assert counts["to_instruct"] == 1 and listed(client, "to_instruct") == {desk["important"]}
    assert counts["to_sign_off"] == 1 and listed(client, "to_sign_off") == {desk["accepted"]}
    assert counts["extension_requests"] == 1
    assert listed(client, "extension_requests") == {desk["extension"]}


def test_the_housing_bureau_sees_its_own_queues_and_never_another_units(
    web: Web, desk: dict[str, Any]
) -> None:
    client = web("handler-housing")
    assert sections(client) == ["handler"]
    counts = home_counts(client)
    expected = {
        "overdue_unit": {desk["late"]},
        "due_soon": {desk["soon"]},
        "to_sign_for": {desk["dispatched"]},
        "in_progress": {desk["late"], desk["soon"], desk["extension"]},
        "supervised": {desk["late"]},
    }
    for key, ids in expected.items():
        assert counts[key] == len(ids), key
        assert listed(client, key) == ids, key
    page = client.get("/staff/home").text
    assert "公交线路调整未公示" not in page
    assert "王小明" not in page and "13812345678" not in page
    assert desk["elsewhere"] not in listed(client, "to_sign_for")
    assert "超期" in page and "剩 1 个工作日" in page


def test_the_callback_auditor_and_the_supervisor_see_their_lists(
    web: Web, desk: dict[str, Any]
) -> None:
    callback = web("callback")
    assert home_counts(callback) == {"to_call_back": 1}
    assert listed(callback, "to_call_back") == {desk["replied"]}
    supervisor = home_counts(web("supervisor"))
    assert supervisor["overdue_all"] == 1 and supervisor["level_1"] == 1


def test_a_bureau_head_sees_one_section_per_role(web: Web, desk: dict[str, Any]) -> None:
    client = web("head-housing")
    assert sections(client) == ["leader", "handler"]
    assert home_counts(client)["to_sign_for"] == 1


def test_the_named_queue_keeps_its_filter_across_pages_and_filters(
    web: Web, desk: dict[str, Any]
) -> None:
    client = web("handler-housing")
    page = client.get("/staff/queue?q=in_progress&status=received").text
    assert 'name="q" value="in_progress"' in page
    assert {int(i) for i in ROW.findall(page)} == {desk["late"], desk["extension"]}
    assert "badge-late" in client.get("/staff/queue?q=overdue_unit").text
