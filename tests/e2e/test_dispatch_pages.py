"""The dispatcher's pages as the people who use them: a transfer whose summary names nobody,
bulk dispatch with a conflict and a refusal reported per row, an important complaint that
waits for the leader's instruction and the deputy director's sign-off on the same page, the
ruling on a return, a stale form after someone acted first, and a handler kept out."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from complaintdesk.bootstrap import Container
from complaintdesk.http.app import create_app
from complaintdesk.triage.facade import FakeTriage
from tests.conftest import Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NAME, PHONE = "王小明", "13812345678"

Browser = Callable[[str], TestClient]


@pytest.fixture
def browser_as(container: Container, org: dict[str, Any]) -> Iterator[Browser]:
    """A signed-in browser session per demo user."""
    app = create_app(container)
    clients: list[TestClient] = []

    def sign_in(username: str) -> TestClient:
        client = TestClient(app, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        token = CSRF.search(client.get("/staff/login").text).group(1)  # type: ignore[union-attr]
        signed = client.post(
            "/staff/login",
            data={"username": username, "password": "demo12345", "csrf_token": token, "next": ""},
        )
        assert signed.status_code == 303, signed.text
        return client

    yield sign_in
    for client in clients:
        client.__exit__(None, None, None)


def csrf(page: Any) -> str:
    return CSRF.search(page.text).group(1)  # type: ignore[union-attr]


def file(api: Api, **overrides: Any) -> int:
    body = {
        "title": "住建局窗口推诿扯皮",
        "content": f"我叫{NAME}，电话{PHONE}，家住五四路12号，到住建局窗口办理备案"
        "三次被推给不同科室。",
        "channel": "phone",
        "complainant": {"name": NAME, "phone": PHONE},
        **overrides,
    }
    response = api.post("operator", "/api/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    cid = int(response.json()["id"])
    assert api.post("operator", f"/api/v1/complaints/{cid}/accept", json={}).status_code == 200
    return cid


def sign_off(api: Api, cid: int, user: str = "leader", **body: Any) -> None:
    response = api.post(user, f"/api/v1/complaints/{cid}/sign-off", json=body)
    assert response.status_code == 200, response.text


def version_field(page: Any, form_id: str) -> str:
    form = page.text.split(f'id="{form_id}"', 1)[1]
    return re.search(r'name="expected_version" value="(\d+)"', form).group(1)  # type: ignore[union-attr]


def test_a_dispatcher_transfers_with_an_edited_summary_and_the_unit_never_learns_who_complained(
    api: Api, org: dict[str, Any], browser_as: Browser
) -> None:
    cid = file(api)
    sign_off(api, cid, mode="transfer", unit_id=org["housing"].id, opinion="同意转办")
    dispatcher = browser_as("dispatcher")
    assert (
        f'href="/staff/complaints/{cid}/dispatch"'
        in dispatcher.get(f"/staff/complaints/{cid}").text
    )
    page = dispatcher.get(f"/staff/complaints/{cid}/dispatch")
    assert page.status_code == 200
    assert "已签批" in page.text and "西州住房和城乡建设局" in page.text
    summary = page.text.split('id="dispatch-summary"', 1)[1].split("</textarea>", 1)[0]
    # Prefilled: the title and the start of the letter, the identity masked.
    assert "住建局窗口推诿扯皮" in summary and "备案三次" in summary
    assert NAME not in summary and PHONE not in summary and "12号" not in summary

    # The dispatcher edits the summary, naming the complainant by mistake.
    typed = f"{NAME}（{PHONE}）反映：住建局窗口办理备案时被推诿，请核查。"
    done = dispatcher.post(
        f"/staff/complaints/{cid}/dispatch/dispatch",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "dispatch-form"),
            "mode": "transfer",
            "unit_id": str(org["housing"].id),
            "summary": typed,
        },
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith("/staff/dispatch?done=TS")
    assert "已派单" in dispatcher.get(done.headers["location"]).text

    seen = api.get("handler-housing", f"/api/v1/complaints/{cid}").json()
    assert seen["status"] == "dispatched"
    assert "住建局窗口办理备案时被推诿" in seen["summary"]
    stored = api.get("operator", f"/api/v1/complaints/{cid}").json()["summary"]
    for text in (seen["summary"], stored):
        assert NAME not in text and PHONE not in text


def test_bulk_dispatch_sends_each_and_reports_the_conflict_and_the_refusal_per_row(
    api: Api, org: dict[str, Any], browser_as: Browser
) -> None:
    ids = [file(api, title=f"窗口推诿第{n}件") for n in range(4)]
    for cid in ids[:3]:
        sign_off(api, cid, mode="transfer")
    dispatcher = browser_as("dispatcher")
    queue = dispatcher.get("/staff/dispatch")
    assert queue.status_code == 200
    picks = dict(re.findall(r'name="pick" value="((\d+):\d+)"', queue.text))
    values = {int(cid): value for value, cid in picks.items()}
    assert set(ids) <= set(values)
    assert queue.text.count("待签批") >= 1 and queue.text.count("已签批") >= 3

    # Someone else acts on the second complaint after the queue was shown.
    noted = api.post("operator", f"/api/v1/complaints/{ids[1]}/notes", json={"note": "来电补充"})
    assert noted.status_code == 200
    result = dispatcher.post(
        "/staff/dispatch/bulk",
        data={
            "csrf_token": csrf(queue),
            "pick": [values[c] for c in ids],
            "unit_id": str(org["housing"].id),
            "mode": "transfer",
        },
    )
    assert result.status_code == 200
    rows = re.findall(r'<tr class="result-(\w+)" data-id="(\d+)"', result.text)
    kinds = {int(cid): kind for kind, cid in rows}
    assert kinds == {ids[0]: "done", ids[1]: "conflict", ids[2]: "done", ids[3]: "refused"}
    assert "2 / 4" in result.text and "签批" in result.text and "他人已先处理" in result.text
    for cid, status in zip(ids, ["dispatched", "accepted", "dispatched", "accepted"], strict=True):
        assert api.get("operator", f"/api/v1/complaints/{cid}").json()["status"] == status
    # A transfer in bulk carries the masked start of the letter as its summary.
    summary = api.get("handler-housing", f"/api/v1/complaints/{ids[0]}").json()["summary"]
    assert "窗口推诿第0件" in summary and NAME not in summary and PHONE not in summary

    empty = dispatcher.post(
        "/staff/dispatch/bulk", data={"csrf_token": csrf(queue), "mode": "transfer"}
    )
    assert empty.status_code == 422
    assert "请勾选" in empty.text and "请选择承办单位" in empty.text


def test_an_important_complaint_waits_for_the_instruction_and_the_deputy_signs_off_on_the_page(
    api: Api, org: dict[str, Any], browser_as: Browser
) -> None:
    cid = file(api, importance="important")
    url = f"/staff/complaints/{cid}/dispatch"
    dispatcher, leader, deputy = (browser_as(u) for u in ("dispatcher", "leader", "deputy"))
    first = dispatcher.get(url).text
    assert "等待领导批示" in first and 'id="sign-off-form"' not in first

    page = leader.get(url)
    assert 'id="instruct"' in page.text
    instructed = leader.post(
        f"{url}/instruct",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "instruct"),
            "instruction": "请住建局依法核查，十日内报结果。",
        },
    )
    assert instructed.status_code == 303
    page = dispatcher.get(url)
    assert "等待领导签批" in page.text
    # Dispatching before the sign-off is refused at the form, with what was typed kept.
    early = dispatcher.post(
        f"{url}/dispatch",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "dispatch-form"),
            "mode": "transfer",
            "unit_id": "",
            "summary": "反映住建局窗口推诿（草稿）",
        },
    )
    assert early.status_code == 422
    form = early.text.split('id="dispatch"', 1)[1]
    assert "请选择承办单位" in form and "反映住建局窗口推诿（草稿）" in form
    early = dispatcher.post(
        f"{url}/dispatch",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "dispatch-form"),
            "mode": "transfer",
            "unit_id": str(org["housing"].id),
            "summary": "反映住建局窗口推诿（草稿）",
        },
    )
    assert early.status_code == 422
    form = early.text.split('id="dispatch"', 1)[1].split("</form>", 1)[0]
    assert "签批" in form.split('class="flash flash-error form-error"', 1)[1]
    assert "反映住建局窗口推诿（草稿）" in form

    # The centre's leader may not sign off an important transfer: the page says who may.
    page = leader.get(url)
    refused = leader.post(
        f"{url}/sign_off",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "sign-off-form"),
            "mode": "transfer",
            "unit_id": str(org["housing"].id),
            "opinion": "同意",
        },
    )
    assert refused.status_code == 403
    assert "副主任" in refused.text and 'id="sign-off-form"' in refused.text

    page = deputy.get(url)
    signed = deputy.post(
        f"{url}/sign_off",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "sign-off-form"),
            "mode": "transfer",
            "unit_id": str(org["housing"].id),
            "opinion": "同意转住建局",
        },
    )
    assert signed.status_code == 303
    page = dispatcher.get(url)
    assert "已签批" in page.text
    # The unit signed off is the one the dispatch form starts from.
    picker = page.text.split('id="dispatch-unit"', 1)[1].split("</select>", 1)[0]
    assert re.search(rf'value="{org["housing"].id}"[^>]*selected', picker)
    sent = dispatcher.post(
        f"{url}/dispatch",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "dispatch-form"),
            "mode": "transfer",
            "unit_id": str(org["housing"].id),
            "summary": "反映住建局窗口推诿，请核查。",
        },
    )
    assert sent.status_code == 303
    events = [e["action"] for e in api.get("operator", f"/api/v1/complaints/{cid}/events").json()]
    assert events[-3:] == ["instruct", "sign_off", "dispatch"]


def test_a_return_is_ruled_on_with_the_units_reason_and_history_then_sent_elsewhere(
    api: Api, org: dict[str, Any], browser_as: Browser
) -> None:
    cid = file(api)
    sign_off(api, cid, mode="transfer", unit_id=org["housing"].id)
    api.post(
        "dispatcher",
        f"/api/v1/complaints/{cid}/dispatch",
        json={"unit_id": org["housing"].id, "mode": "transfer", "summary": "反映窗口推诿"},
    )
    returned = api.post(
        "handler-housing", f"/api/v1/complaints/{cid}/return", json={"reason": "备案属教育局职责"}
    )
    assert returned.status_code == 200, returned.text

    leader = browser_as("leader")
    assert 'href="/staff/returns/list"' in leader.get("/staff/returns").text
    listed = leader.get("/staff/returns/list").text
    assert f'data-id="{cid}"' in listed and "备案属教育局职责" in listed
    assert "西州住房和城乡建设局" in listed
    url = f"/staff/complaints/{cid}/dispatch"
    page = leader.get(url)
    ruling = page.text.split('id="ruling"', 1)[1]
    assert "备案属教育局职责" in ruling.split("</dl>", 1)[0]
    history = page.text.split('id="history"', 1)[1]
    assert "派单" in history and "退单" in history and "备案属教育局职责" in history

    missing = leader.post(
        f"{url}/rule_on_return",
        data={"csrf_token": csrf(page), "upheld": "1", "reason": " "},
    )
    assert missing.status_code == 422 and "裁定理由" in missing.text
    upheld = leader.post(
        f"{url}/rule_on_return",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "ruling-form"),
            "upheld": "1",
            "reason": "确属教育局职责，重新派单",
        },
    )
    assert upheld.status_code == 303
    page = leader.get(url)
    assert "退单成立" in page.text.split('id="history"', 1)[1]
    # The return stands: the leader signs off and sends it to the right bureau.
    signed = leader.post(
        f"{url}/sign_off",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "sign-off-form"),
            "mode": "transfer",
            "unit_id": str(org["education"].id),
        },
    )
    assert signed.status_code == 303
    page = leader.get(url)
    sent = leader.post(
        f"{url}/dispatch",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "dispatch-form"),
            "mode": "transfer",
            "unit_id": str(org["education"].id),
            "summary": "反映备案窗口推诿",
        },
    )
    assert sent.status_code == 303
    assert api.get("handler-education", f"/api/v1/complaints/{cid}").status_code == 200
    figures = api.get("leader", "/api/v1/returns").json()
    row = next(r for r in figures if r["unit_id"] == org["housing"].id)
    assert (row["returns"], row["upheld"]) == (1, 1)


def test_a_stale_dispatch_form_shows_what_changed_and_retries_on_the_current_version(
    api: Api, org: dict[str, Any], browser_as: Browser
) -> None:
    cid = file(api)
    sign_off(api, cid, mode="transfer")
    dispatcher = browser_as("dispatcher")
    url = f"/staff/complaints/{cid}/dispatch"
    page = dispatcher.get(url)
    api.post("operator", f"/api/v1/complaints/{cid}/notes", json={"note": "投诉人来电补充材料"})
    stale = dispatcher.post(
        f"{url}/dispatch",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "dispatch-form"),
            "mode": "transfer",
            "unit_id": str(org["housing"].id),
            "summary": "反映窗口推诿（已核对）",
        },
    )
    assert stale.status_code == 409
    conflict = stale.text.split('id="conflict"', 1)[1].split('id="retry-form"', 1)[0]
    assert (
        "他人已先处理" in conflict and "办理记录" in conflict and "投诉人来电补充材料" in conflict
    )
    retry = stale.text.split('id="retry-form"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', retry))
    assert fields["summary"] == "反映窗口推诿（已核对）"
    assert api.get("operator", f"/api/v1/complaints/{cid}").json()["status"] == "accepted"
    again = dispatcher.post(f"{url}/dispatch", data=fields)
    assert again.status_code == 303
    seen = api.get("handler-housing", f"/api/v1/complaints/{cid}").json()
    assert seen["summary"] == "反映窗口推诿（已核对）"


def test_a_handler_cannot_open_the_dispatch_pages_or_dispatch(
    api: Api, org: dict[str, Any], browser_as: Browser
) -> None:
    cid = file(api)
    sign_off(api, cid, mode="transfer")
    api.post(
        "dispatcher",
        f"/api/v1/complaints/{cid}/dispatch",
        json={"unit_id": org["housing"].id, "mode": "transfer", "summary": "反映窗口推诿"},
    )
    handler = browser_as("handler-housing")
    assert handler.get("/staff/dispatch").status_code == 403
    assert handler.get("/staff/returns/list").status_code == 403
    assert 'id="desk-link"' not in handler.get(f"/staff/complaints/{cid}").text
    page = handler.get(f"/staff/complaints/{cid}/dispatch")
    assert page.status_code == 403 and NAME not in page.text
    other = file(api)
    token = csrf(handler.get(f"/staff/complaints/{cid}"))
    refused = handler.post(
        f"/staff/complaints/{other}/dispatch/dispatch",
        data={"csrf_token": token, "mode": "transfer", "unit_id": str(org["housing"].id)},
    )
    assert refused.status_code == 403
    bulk = handler.post(
        "/staff/dispatch/bulk",
        data={"csrf_token": token, "pick": [f"{other}:1"], "unit_id": "1", "mode": "transfer"},
    )
    assert bulk.status_code == 403
    assert api.get("operator", f"/api/v1/complaints/{other}").json()["status"] == "accepted"


def test_the_queue_and_the_triage_panel_show_the_suggested_units_with_their_confidence(
    api: Api, org: dict[str, Any], browser_as: Browser, container: Container
) -> None:
    container.__dict__["triage"] = FakeTriage(
        routes={"学校": "教育文体", "噪音": "环境保护"}, confidence=0.5
    )
    cid = file(
        api,
        title="学校旁工地噪音",
        content=f"我叫{NAME}，学校旁工地夜间噪音，环保局工作人员推诿扯皮，拖延不办。",
    )
    dispatcher = browser_as("dispatcher")
    queue = dispatcher.get("/staff/dispatch?view=unrouted").text
    row = queue.split(f'<tr data-id="{cid}"', 1)[1].split("</tr>", 1)[0]
    assert "教育文体" in row and "50%" in row and "西州教育局" in row
    assert "未定部门" in row and "待签批" in row

    page = dispatcher.get(f"/staff/complaints/{cid}/dispatch").text
    panel = page.split('id="triage"', 1)[1].split('id="complaint"', 1)[0]
    assert "教育文体" in panel and "50%" in panel and "西州教育局" in panel
    assert "环境保护" in panel and "25%" in panel and "西州生态环境局" in panel
    assert "人工判断" in panel  # below the threshold a person decides
    scope = panel.split('id="scope"', 1)[1].split("</p>", 1)[0]
    assert (
        "属受理范围" in scope and "不属受理范围" not in scope and "<mark>拖延不办</mark>" in scope
    )
    # The suggested unit is where the dispatch form starts.
    picker = page.split('id="dispatch-unit"', 1)[1].split("</select>", 1)[0]
    assert re.search(rf'value="{org["education"].id}"[^>]*selected', picker)

    english = dispatcher.get(f"/staff/complaints/{cid}/dispatch?lang=en").text
    assert "Triage suggestions" in english and "Waits for sign-off" in english
    assert "Dispatch" in english and "Summary" in english


def test_the_dispatcher_decides_the_department_beside_the_suggestions(
    api: Api, org: dict[str, Any], browser_as: Browser, container: Container
) -> None:
    container.__dict__["triage"] = FakeTriage(routes={"学校": "教育文体"}, confidence=0.4)
    cid = file(api, title="学校收费", content="学校乱收费，教育局工作人员推诿扯皮。")
    dispatcher = browser_as("dispatcher")
    assert f'data-id="{cid}"' in dispatcher.get("/staff/dispatch?view=unrouted").text
    url = f"/staff/complaints/{cid}/dispatch"
    page = dispatcher.get(url)
    done = dispatcher.post(
        f"{url}/classify",
        data={
            "csrf_token": csrf(page),
            "expected_version": version_field(page, "classify-form"),
            "department_label": "商贸旅游",
        },
    )
    assert done.status_code == 303
    assert f'data-id="{cid}"' not in dispatcher.get("/staff/dispatch?view=unrouted").text
    page = dispatcher.get(url).text
    assert "已定部门" in page and "商贸旅游" in page
    # The decided department points the dispatch form at its bureau.
    picker = page.split('id="dispatch-unit"', 1)[1].split("</select>", 1)[0]
    assert re.search(rf'value="{org["commerce"].id}"[^>]*selected', picker)
    event = api.get("operator", f"/api/v1/complaints/{cid}/events").json()[-1]
    assert (event["action"], event["data"]["label"]) == ("classify", "商贸旅游")


def test_the_queue_shows_fifty_rows_and_pages_on(
    container: Container, org: dict[str, Any], browser_as: Browser
) -> None:
    from complaintdesk.complaints import service as svc
    from complaintdesk.complaints.commands import command_for
    from complaintdesk.complaints.vocabulary import Action
    from complaintdesk.org import auth

    now = container.clock.now()
    with container.uow() as uow:
        operator = auth.actor_for(uow, uow.users.by_username("operator"))  # type: ignore[arg-type]
        for n in range(52):
            filed = svc.file_complaint(
                uow,
                svc.FileComplaint(title=f"窗口推诿{n:02d}", content=f"窗口工作人员推诿扯皮{n}"),
                actor=operator,
                now=now,
                calendar=container.calendar,
            )
            svc.perform(
                uow,
                operator,
                filed.id,
                command_for(Action.ACCEPT, {}),
                now=now,
                calendar=container.calendar,
            )
    dispatcher = browser_as("dispatcher")
    first = dispatcher.get("/staff/dispatch").text
    assert first.count('name="pick"') == 50
    assert "窗口推诿51" in first and "窗口推诿01" not in first
    after = re.search(r'href="/staff/dispatch\?(view=all&amp;before=\d+)"', first)
    assert after is not None
    second = dispatcher.get("/staff/dispatch?" + after.group(1).replace("&amp;", "&")).text
    assert second.count('name="pick"') == 2 and "窗口推诿01" in second
