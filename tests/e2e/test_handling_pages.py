"""The handling unit's pages, the leader's extension decisions and the callback pages, driven
as a browser would (forms, CSRF, redirects) on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from complaintdesk.bootstrap import Container
from complaintdesk.clock import deadlines as sla
from complaintdesk.complaints.handling_info import reopen_cost
from complaintdesk.evaluation import scoring
from complaintdesk.http.app import create_app
from tests.conftest import Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="expected_version" value="(\d+)"')
SECRETS = ("王小明", "王**", "13812345678", "138****5678", "明光商贸")


@pytest.fixture
def web(container: Container, org: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    page = client.get("/staff/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    done = client.post(
        "/staff/login",
        data={"username": username, "password": "demo12345", "csrf_token": token, "next": ""},
    )
    assert done.status_code == 303, done.text


def file_and_transfer(api: Api, org: dict[str, Any]) -> int:
    body = {
        "title": "窗口工作人员态度粗暴",
        "content": "本人王小明，电话13812345678，在住建局窗口被工作人员呵斥。",
        "complainant": {"name": "王小明", "phone": "13812345678", "organisation": "明光商贸公司"},
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


def act(web: TestClient, page_url: str, post_url: str, **data: Any) -> Any:
    """Post one form of a page as the browser would: with its CSRF token and version."""
    page = web.get(page_url)
    assert page.status_code == 200, page.text
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    version = VERSION.search(page.text)
    fields: dict[str, Any] = {"csrf_token": token, **data}
    if version and "expected_version" not in data:
        fields["expected_version"] = version.group(1)
    return web.post(post_url, data=fields)


def handle(web: TestClient, cid: int, action: str, **data: Any) -> Any:
    return act(
        web, f"/staff/complaints/{cid}/handle", f"/staff/complaints/{cid}/handle/{action}", **data
    )


def status(api: Api, cid: int) -> dict[str, Any]:
    return dict(api.get("operator", f"/api/v1/complaints/{cid}").json())


def events(api: Api, cid: int) -> list[dict[str, Any]]:
    return list(api.get("operator", f"/api/v1/complaints/{cid}/events").json())


def in_progress(web: TestClient, api: Api, org: dict[str, Any]) -> int:
    cid = file_and_transfer(api, org)
    sign_in(web, "handler-housing")
    assert handle(web, cid, "receive").status_code == 303
    assert handle(web, cid, "start_handling").status_code == 303
    return cid


def replied(web: TestClient, api: Api, org: dict[str, Any]) -> int:
    cid = in_progress(web, api, org)
    answer = "经核查，窗口人员态度生硬属实，已批评教育并向您致歉。"
    assert handle(web, cid, "reply", reply=answer, channel="phone").status_code == 303
    return cid


def test_the_unit_signs_for_notes_finds_replies_and_reports_without_seeing_who_complained(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = file_and_transfer(api, org)
    sign_in(web, "handler-housing")
    listing = web.get("/staff/handling")
    assert listing.status_code == 200
    assert 'data-tab="to_sign"' in listing.text and "窗口工作人员态度粗暴" in listing.text
    assert "剩 " in listing.text  # the due badge: working days left on the statutory clock
    page = web.get(f"/staff/complaints/{cid}/handle").text
    assert "反映窗口人员态度问题" in page and "依规保密" in page
    for secret in SECRETS:
        assert secret not in page

    full = web.get(f"/staff/complaints/{cid}").text
    assert f'href="/staff/complaints/{cid}/handle"' in full  # the generic page links here
    assert 'data-action="receive"' in full  # and keeps its own forms
    signed = handle(web, cid, "receive")
    assert signed.status_code == 303
    assert signed.headers["location"] == f"/staff/complaints/{cid}/handle?done=receive"
    assert "已完成：签收" in web.get(signed.headers["location"]).text
    assert status(api, cid)["status"] == "received"
    assert handle(web, cid, "start_handling").status_code == 303
    assert handle(web, cid, "add_note", note="已约谈窗口负责人").status_code == 303
    found = handle(
        web,
        cid,
        "record_findings",
        finding="partly_substantiated",
        facts="调取监控，工作人员语气生硬。",
        leniency=["actively_remedied"],
        aggravating=["passive"],
    )
    assert found.status_code == 303
    assert handle(web, cid, "reply", reply="已致歉并整改。", channel="sms").status_code == 303
    report = handle(web, cid, "submit_report", report="已办结，书面报告如下：……")
    assert report.status_code == 303

    timeline = {e["action"]: e for e in events(api, cid)}
    assert timeline["add_note"]["reason"] == "已约谈窗口负责人"
    assert timeline["record_findings"]["data"]["leniency"] == ["actively_remedied"]
    assert timeline["record_findings"]["data"]["aggravating"] == ["passive"]
    assert timeline["reply"]["data"]["channel"] == "sms"
    assert timeline["submit_report"]["reason"].startswith("已办结")
    assert status(api, cid)["status"] == "replied"
    final = web.get(f"/staff/complaints/{cid}/handle").text
    for secret in SECRETS:
        assert secret not in final


def test_the_findings_form_offers_every_factor_and_a_refusal_keeps_what_was_typed(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = in_progress(web, api, org)
    page = web.get(f"/staff/complaints/{cid}/handle").text
    for label in ("部分属实", "积极补救", "客观原因", "打击报复投诉人", "放任后果扩大"):
        assert label in page
    refused = handle(
        web,
        cid,
        "record_findings",
        finding="substantiated",
        facts="  ",
        aggravating=["intentional"],
    )
    assert refused.status_code == 422
    assert 'data-field="facts"' in refused.text and "调查情况：必填 / required" in refused.text
    assert 'value="substantiated" checked' in refused.text
    assert 'value="intentional" checked' in refused.text
    missing = handle(web, cid, "record_findings", facts="有事实")
    assert missing.status_code == 422
    assert 'data-field="finding"' in missing.text and "必填 / required" in missing.text
    assert ">有事实</textarea>" in missing.text


def test_an_extension_within_the_ceiling_waits_for_the_leader_who_approves_it_from_the_list(
    web: TestClient, api: Api, org: dict[str, Any], container: Container
) -> None:
    cid = in_progress(web, api, org)
    due_before = datetime.fromisoformat(status(api, cid)["due_at"])
    due_day = sla.local_date(due_before)
    ceiling = sla.add_working_days(due_day, 20, container.calendar)
    page = web.get(f"/staff/complaints/{cid}/handle").text
    assert f'<strong id="ceiling">{ceiling.isoformat()}</strong>' in page
    assert "20 个工作日" in page
    english = web.get(f"/staff/complaints/{cid}/handle?lang=en").text
    assert "Request an extension" in english and "20 working days" in english
    web.get(f"/staff/complaints/{cid}/handle?lang=zh")  # the language is remembered

    asked = handle(web, cid, "request_extension", working_days="5", reason="需现场复核")
    assert asked.status_code == 303
    assert status(api, cid)["extension_pending_days"] == 5

    sign_in(web, "leader")
    listing = web.get("/staff/extensions").text
    assert "需现场复核" in listing and "申请延期 5 个工作日" in listing
    expected = sla.add_working_days(due_day, 5, container.calendar).isoformat()
    assert f"<strong>{expected}</strong>" in listing
    approved = act(
        web,
        "/staff/extensions",
        f"/staff/complaints/{cid}/handle/approve_extension",
        back="extensions",
    )
    assert approved.status_code == 303
    assert approved.headers["location"] == "/staff/extensions?done=approve_extension"
    after = status(api, cid)
    assert after["extension_days"] == 5 and after["extension_pending_days"] == 0
    assert sla.local_date(datetime.fromisoformat(after["due_at"])).isoformat() == expected
    assert "没有待审批的延期申请" in web.get("/staff/extensions").text


def test_the_leader_refuses_an_extension_on_the_complaint_page_with_a_reason(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = in_progress(web, api, org)
    handle(web, cid, "request_extension", working_days="3", reason="材料未齐")
    sign_in(web, "leader")
    page = web.get(f"/staff/complaints/{cid}/handle").text
    assert 'id="step-extension-decision"' in page and "材料未齐" in page
    assert "延期审批 →" in web.get(f"/staff/complaints/{cid}").text
    no_reason = handle(web, cid, "refuse_extension", reason="")
    assert no_reason.status_code == 422 and 'data-field="reason"' in no_reason.text
    assert handle(web, cid, "refuse_extension", reason="时限内可办结").status_code == 303
    assert status(api, cid)["extension_pending_days"] == 0


def test_an_extension_beyond_the_ceiling_is_refused_with_the_reason_next_to_the_days(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = in_progress(web, api, org)
    refused = handle(web, cid, "request_extension", working_days="25", reason="案情复杂")
    assert refused.status_code == 422
    assert 'data-field="working_days"' in refused.text
    assert "办理时限合计不得超过30个工作日，最多还可延期20个工作日" in refused.text
    assert "at most 20 more can be requested" in refused.text
    assert ">案情复杂</textarea>" in refused.text and 'value="25"' in refused.text

    handle(web, cid, "request_extension", working_days="15", reason="案情复杂")
    api.post("leader", f"/api/v1/complaints/{cid}/approve-extension", json={})
    again = handle(web, cid, "request_extension", working_days="6", reason="仍需补充")
    assert again.status_code == 422
    assert "最多还可延期5个工作日" in again.text
    assert status(api, cid)["extension_pending_days"] == 0


def test_a_conflict_says_what_changed_and_offers_to_retry_with_what_was_typed(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = file_and_transfer(api, org)
    sign_in(web, "handler-housing")
    page = web.get(f"/staff/complaints/{cid}/handle").text
    token = CSRF.search(page).group(1)  # type: ignore[union-attr]
    stale = VERSION.search(page).group(1)  # type: ignore[union-attr]
    # A colleague signs for it first.
    assert api.post("head-housing", f"/api/v1/complaints/{cid}/receive", json={}).status_code == 200
    late = web.post(
        f"/staff/complaints/{cid}/handle/add_note",
        data={"csrf_token": token, "expected_version": stale, "note": "电话联系了被投诉人"},
    )
    assert late.status_code == 409
    assert "现在的状态是“已签收”" in late.text and "签收" in late.text
    assert "重试：" in late.text and ">电话联系了被投诉人</textarea>" in late.text
    fresh = VERSION.search(late.text).group(1)  # type: ignore[union-attr]
    assert int(fresh) > int(stale)
    retried = web.post(
        f"/staff/complaints/{cid}/handle/add_note",
        data={"csrf_token": token, "expected_version": fresh, "note": "电话联系了被投诉人"},
    )
    assert retried.status_code == 303


def test_another_unit_gets_404_on_every_page_and_form(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = file_and_transfer(api, org)
    sign_in(web, "handler-education")
    assert web.get(f"/staff/complaints/{cid}/handle").status_code == 404
    assert web.get(f"/staff/complaints/{cid}/callback").status_code == 404
    assert "窗口工作人员态度粗暴" not in web.get("/staff/handling?tab=to_sign").text
    token = CSRF.search(web.get("/staff/handling").text).group(1)  # type: ignore[union-attr]
    posted = web.post(f"/staff/complaints/{cid}/handle/receive", data={"csrf_token": token})
    assert posted.status_code == 404
    assert status(api, cid)["status"] == "dispatched"
    # The unit that handles it may not make the callback either: that is the centre's.
    sign_in(web, "handler-housing")
    assert web.get(f"/staff/complaints/{cid}/callback").status_code == 404


def test_a_form_without_the_csrf_token_is_refused(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = file_and_transfer(api, org)
    sign_in(web, "handler-housing")
    forged = web.post(f"/staff/complaints/{cid}/handle/receive", data={"csrf_token": "x"})
    assert forged.status_code == 403
    assert status(api, cid)["status"] == "dispatched"


def test_a_satisfied_callback_closes_the_complaint(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = replied(web, api, org)
    sign_in(web, "callback")
    queue = web.get("/staff/callbacks").text
    assert f"/staff/complaints/{cid}/callback" in queue and "· 电话</td>" in queue
    assert f'href="/staff/complaints/{cid}/callback"' in web.get(f"/staff/complaints/{cid}").text
    page = web.get(f"/staff/complaints/{cid}/callback").text
    assert "已批评教育并向您致歉" in page  # the reply given
    assert "王先生/女士，您好" in page
    complainant = re.search(r'<dd id="complainant">(.*?)</dd>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "王**" in complainant and "138****5678" in complainant and "王小明" not in complainant
    assert "问题现在解决了吗" in page and "满意吗" in page and "再见" in page
    assert "Has the problem you raised been solved?" in page
    english = web.get(f"/staff/complaints/{cid}/callback?lang=en").text
    assert "Callback script" in english and "Not solved, and confirmed true" in english
    web.get(f"/staff/complaints/{cid}/callback?lang=zh")
    done = act(
        web,
        f"/staff/complaints/{cid}/callback",
        f"/staff/complaints/{cid}/callback",
        outcome="satisfied",
        note="表示满意",
    )
    assert done.status_code == 303
    assert "已办结" in web.get(done.headers["location"]).text
    after = status(api, cid)
    assert after["status"] == "closed" and not after["double_deduction"]
    assert f"/staff/complaints/{cid}/callback" not in web.get("/staff/callbacks").text


def test_an_unsatisfied_confirmed_callback_reopens_and_shows_the_double_deduction(
    web: TestClient, api: Api, org: dict[str, Any]
) -> None:
    cid = replied(web, api, org)
    cost = reopen_cost()
    per_case = scoring.DEDUCTIONS[scoring.RectificationKind.LATE_OR_INCOMPLETE]
    assert (cost.per_case, cost.points) == (per_case, 2 * per_case)
    sign_in(web, "callback")
    page = web.get(f"/staff/complaints/{cid}/callback").text
    assert f"2 × {per_case} = {2 * per_case}" in page
    refused = act(
        web,
        f"/staff/complaints/{cid}/callback",
        f"/staff/complaints/{cid}/callback",
        outcome="satisfied",
        unsolved_and_true="on",
        note="说法矛盾",
    )
    assert refused.status_code == 422
    assert "只有“不满意”的回访才能认定为问题未解决且属实" in refused.text
    assert ">说法矛盾</textarea>" in refused.text
    done = act(
        web,
        f"/staff/complaints/{cid}/callback",
        f"/staff/complaints/{cid}/callback",
        outcome="unsatisfied",
        unsolved_and_true="on",
        note="窗口仍然推诿",
    )
    assert done.status_code == 303
    shown = web.get(done.headers["location"]).text
    assert "已重办" in shown and f"{cost.points} 分" in shown
    after = status(api, cid)
    assert after["status"] == "in_progress"
    assert after["double_deduction"] and after["reopen_count"] == 1
    # Back on the unit's list, with a fresh clock and the reopen marked.
    sign_in(web, "handler-housing")
    page = web.get(f"/staff/complaints/{cid}/handle").text
    assert "回访属实未解决 1 次" in page


def test_the_handling_list_sorts_work_into_urgency_tabs(
    web: TestClient, api: Api, org: dict[str, Any], container: Container
) -> None:
    waiting = file_and_transfer(api, org)
    working = in_progress(web, api, org)
    counts = web.get("/staff/handling").text
    assert re.search(r'data-tab="to_sign"[^>]*>\s*待签收 <span class="count">1</span>', counts)
    assert re.search(r'data-tab="in_progress"[^>]*>\s*办理中 <span class="count">1</span>', counts)
    assert re.search(r'data-tab="overdue"[^>]*>\s*已超期 <span class="count">0</span>', counts)
    to_sign = web.get("/staff/handling?tab=to_sign").text
    assert f"/staff/complaints/{waiting}/handle" in to_sign
    assert f"/staff/complaints/{working}/handle" not in to_sign
    # Eleven working days later both are late.
    container.clock.advance(days=16)  # type: ignore[attr-defined]
    sign_in(web, "handler-housing")
    overdue = web.get("/staff/handling?tab=overdue").text
    assert f"/staff/complaints/{waiting}/handle" in overdue
    assert f"/staff/complaints/{working}/handle" in overdue
    assert "超期" in overdue


def test_a_queue_costs_the_same_queries_for_two_complaints_as_for_five(
    web: TestClient, api: Api, org: dict[str, Any], container: Container
) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    def queries_for(url: str) -> int:
        statements.clear()
        event.listen(container.engine, "before_cursor_execute", count)
        try:
            assert web.get(url).status_code == 200
        finally:
            event.remove(container.engine, "before_cursor_execute", count)
        return len(statements)

    def reply_via_api(cid: int) -> None:
        for path, body in (
            ("receive", {}),
            ("start-handling", {}),
            ("reply", {"reply": "已处理。", "channel": "phone"}),
        ):
            done = api.post("handler-housing", f"/api/v1/complaints/{cid}/{path}", json=body)
            assert done.status_code == 200, done.text

    ids = [file_and_transfer(api, org) for _ in range(2)]
    sign_in(web, "handler-housing")
    few = queries_for("/staff/handling?tab=to_sign")
    ids += [file_and_transfer(api, org) for _ in range(3)]
    assert queries_for("/staff/handling?tab=to_sign") == few
    reply_via_api(ids[0])
    sign_in(web, "callback")
    one = queries_for("/staff/callbacks")
    for cid in ids[1:4]:
        reply_via_api(cid)
    assert queries_for("/staff/callbacks") == one
