"""The registration page (登记): an operator files a phone, walk-in, letter or e-mail complaint
and decides it in one save; live suggestions while typing; a double submit files once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from complaintdesk.audit.tables import AuditEntryRow
from complaintdesk.bootstrap import Container
from complaintdesk.complaints.tables import ComplainantRow, ComplaintEventRow, ComplaintRow
from complaintdesk.http.app import create_app
from complaintdesk.intake.tables import AttachmentRow, RepresentativeRow
from complaintdesk.triage.facade import FakeTriage
from tests.conftest import Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM_KEY = re.compile(r'name="form_key" value="([^"]+)"')
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def web(container: Container, org: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, username: str) -> None:
    page = client.get("/staff/login")
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/staff/login",
        data={"username": username, "password": "demo12345", "csrf_token": token, "next": ""},
    )
    assert response.status_code == 303, response.text


def open_form(client: TestClient) -> dict[str, str]:
    page = client.get("/staff/register")
    assert page.status_code == 200, page.text
    return {
        "csrf_token": CSRF.search(page.text).group(1),  # type: ignore[union-attr]
        "form_key": FORM_KEY.search(page.text).group(1),  # type: ignore[union-attr]
    }


def call(**fields: Any) -> dict[str, Any]:
    return {
        "channel": "phone",
        "name": "王小明",
        "phone": "13812345678",
        "title": "住建局窗口工作人员推诿扯皮",
        "content": "我于11月20日到住建局办事窗口办理维修基金，工作人员推诿扯皮，一拖再拖。",
        "complained_unit_name": "住建局",
        "decision": "accept",
        **fields,
    }


def save(client: TestClient, hidden: dict[str, str], data: dict[str, Any], **kw: Any) -> Any:
    return client.post("/staff/register", data={**hidden, **data}, **kw)


def complaints(container: Container) -> list[ComplaintRow]:
    with container.uow() as uow:
        rows = list(uow.session.scalars(select(ComplaintRow).order_by(ComplaintRow.id)))
        uow.session.expunge_all()  # readable after the unit of work ends
        return rows


def test_save_and_accept_files_and_accepts_it_and_names_the_tracking_number(
    web: TestClient, container: Container
) -> None:
    sign_in(web, "operator")
    response = save(web, open_form(web), call())
    assert response.status_code == 303, response.text
    [row] = complaints(container)
    assert response.headers["location"] == f"/staff/complaints/{row.id}"
    assert row.status == "accepted" and row.channel == "phone"
    page = web.get(response.headers["location"])
    assert f"已登记并受理：受理编号 {row.tracking_no}，查询码 " in page.text
    code = re.search(r"查询码 ([A-Za-z0-9]+)", page.text).group(1)  # type: ignore[union-attr]
    status = web.post("/public/status", data={"tracking_no": row.tracking_no, "query_code": code})
    assert status.status_code == 200  # the code shown is the complainant's real query code
    again = web.get(response.headers["location"])
    assert "查询码" not in again.text  # shown once


@pytest.mark.parametrize(
    ("decision", "fields", "status", "reason"),
    [
        (
            "reject",
            {"reject_explanation": "属于民事纠纷，请向法院起诉", "reject_authority": "人民法院"},
            "not_accepted",
            "属于民事纠纷，请向法院起诉",
        ),
        (
            "hand_over",
            {"handover_department": "市场监督管理部门", "handover_reason": "商家价格问题"},
            "handed_over",
            "商家价格问题",
        ),
        (
            "resolve_at_intake",
            {"resolution": "已当场告知维修基金申请流程，来电人表示满意"},
            "resolved_at_intake",
            "已当场告知维修基金申请流程，来电人表示满意",
        ),
    ],
)
def test_each_save_mode_files_the_complaint_and_takes_its_decision(
    web: TestClient,
    container: Container,
    decision: str,
    fields: dict[str, str],
    status: str,
    reason: str,
) -> None:
    # SPEC §2: outside the scope, intake refuses or hands over; both are the operator's.
    sign_in(web, "operator")
    response = save(web, open_form(web), call(decision=decision, channel="walk_in", **fields))
    assert response.status_code == 303, response.text
    [row] = complaints(container)
    assert row.status == status and row.channel == "walk_in"
    with container.uow() as uow:
        events = uow.session.scalars(
            select(ComplaintEventRow)
            .where(ComplaintEventRow.complaint_id == row.id)
            .order_by(ComplaintEventRow.id)
        ).all()
        uow.session.expunge_all()
    accepted_first = ["accept"] if decision == "resolve_at_intake" else []
    assert [e.action for e in events] == ["file", *accepted_first, decision]
    assert events[-1].reason == reason


def test_not_accepting_without_an_explanation_keeps_every_typed_value(
    web: TestClient, container: Container
) -> None:
    sign_in(web, "operator")
    data = call(decision="reject", reject_authority="人民法院", address="西州市解放路8号")
    response = save(web, open_form(web), data)
    assert response.status_code == 422
    error = re.search(r'id="err-reject_explanation"[^>]*>([^<]+)<', response.text)
    assert error and error.group(1).startswith("请填写不予受理说明 / enter the explanation")
    for value in (data["content"], data["title"], "13812345678", "西州市解放路8号", "人民法院"):
        assert value in response.text
    assert 'value="reject" checked' in response.text
    assert "有1处需要修改，已在对应栏目下标出" in response.text
    assert complaints(container) == []


def test_it_refuses_a_fourth_representative_and_files_a_group_of_three(
    web: TestClient, container: Container
) -> None:
    sign_in(web, "operator")
    hidden = open_form(web)
    names = ["张一", "张二", "张三", "张四"]
    group = call(
        is_group="1",
        member_count="40",
        rep_name=names,
        rep_phone=["13900000001", "13900000002", "13900000003", "13900000004"],
    )
    refused = save(web, hidden, group)
    assert refused.status_code == 422
    error = re.search(r'id="err-representatives"[^>]*>([^<]+)<', refused.text)
    assert error and "群体投诉最多推选3名代表" in error.group(1)
    assert "at most 3 representatives" in error.group(1)
    assert all(f'value="{n}"' in refused.text for n in names)  # nothing typed is lost
    assert complaints(container) == []

    accepted = save(
        web, hidden, {**group, "rep_name": names[:3], "rep_phone": group["rep_phone"][:3]}
    )
    assert accepted.status_code == 303, accepted.text
    [row] = complaints(container)
    with container.uow() as uow:
        reps = uow.session.scalars(
            select(RepresentativeRow.name).where(RepresentativeRow.complaint_id == row.id)
        ).all()
    assert sorted(reps) == sorted(names[:3])


def test_an_anonymous_filing_keeps_no_identity(web: TestClient, container: Container) -> None:
    sign_in(web, "operator")
    data = call(
        anonymous="1",
        id_number="110101199003070012",
        address="西州市解放路8号",
        email="wang@example.com",
    )
    assert save(web, open_form(web), data).status_code == 303
    [row] = complaints(container)
    with container.uow() as uow:
        person = uow.session.get(ComplainantRow, row.complainant_id)
        uow.session.expunge_all()
    assert person is not None and person.anonymous
    assert (person.name, person.id_number, person.address, person.email) == (None,) * 4


def test_a_proxy_filing_keeps_who_filed_it(web: TestClient, container: Container) -> None:
    sign_in(web, "operator")
    data = call(is_proxy="1", proxy_name="王大明", proxy_phone="13700000000", proxy_relation="哥哥")
    assert save(web, open_form(web), data).status_code == 303
    [row] = complaints(container)
    with container.uow() as uow:
        person = uow.session.get(ComplainantRow, row.complainant_id)
        uow.session.expunge_all()
    assert person is not None
    assert person.proxy == {"name": "王大明", "phone": "13700000000", "relation": "哥哥"}


def test_a_double_submit_files_one_complaint(web: TestClient, container: Container) -> None:
    sign_in(web, "operator")
    hidden = open_form(web)
    first = save(web, hidden, call())
    second = save(web, hidden, call())  # a double click, or the browser resending on reload
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(complaints(container)) == 1
    # The same form changed after going back: refused, then filed as new with a fresh key.
    changed = save(web, hidden, call(title="另一件事"))
    assert changed.status_code == 409 and "已经保存过一次" in changed.text
    fresh = FORM_KEY.search(changed.text).group(1)  # type: ignore[union-attr]
    assert fresh != hidden["form_key"]
    assert save(web, {**hidden, "form_key": fresh}, call(title="另一件事")).status_code == 303
    assert len(complaints(container)) == 2


def test_attachments_are_checked_and_stored_like_the_api_does(
    web: TestClient, container: Container
) -> None:
    sign_in(web, "operator")
    hidden = open_form(web)
    bad = save(web, hidden, call(), files={"files": ("letter.exe", b"MZ\x90\x00", "image/png")})
    assert bad.status_code == 422
    assert 'id="err-files"' in bad.text and call()["content"] in bad.text
    good = save(web, hidden, call(), files={"files": ("photo.png", PNG, "image/png")})
    assert good.status_code == 303, good.text
    [row] = complaints(container)
    with container.uow() as uow:
        [att] = uow.session.scalars(
            select(AttachmentRow).where(AttachmentRow.complaint_id == row.id)
        ).all()
        uow.session.expunge_all()
    assert att.filename == "photo.png" and att.content_type == "image/png"


def _suggest(client: TestClient, body: dict[str, str], csrf: str) -> Any:
    return client.post("/staff/register/suggest", json=body, headers={"X-CSRF-Token": csrf})


def _stored(container: Container) -> tuple[int, int, int]:
    with container.uow() as uow:
        return (
            uow.session.scalar(select(func.count()).select_from(ComplaintRow)) or 0,
            uow.session.scalar(select(func.count()).select_from(ComplaintEventRow)) or 0,
            uow.session.scalar(select(func.count()).select_from(AuditEntryRow)) or 0,
        )


def test_the_suggestion_shows_routing_scope_importance_entities_and_earlier_complaints(
    web: TestClient, api: Api, container: Container
) -> None:
    earlier = api.post(
        "operator",
        "/api/v1/complaints",
        json={
            "title": "学校乱收费",
            "content": "学校违规收取补课费。",
            "channel": "phone",
            "complainant": {"name": "王小明", "phone": "13812345678"},
        },
    ).json()
    sign_in(web, "operator")
    csrf = open_form(web)["csrf_token"]
    body = {
        "title": "工地噪音，环保局工作人员推诿扯皮",
        "content": "我是县人大代表。11月20日晚在西州市解放路工地噪音扰民，"
        "打电话给环保局王科长，他推诿扯皮、一拖再拖。",
        "phone": "13812345678",
    }
    before = _stored(container)

    no_model = _suggest(web, body, csrf)
    assert no_model.status_code == 200, no_model.text
    assert no_model.json()["routing_active"] is False and no_model.json()["routing"] == []

    container.__dict__["triage"] = FakeTriage()
    data = _suggest(web, body, csrf).json()
    assert data["routing_active"] is True
    assert data["routing"][0] == {"label": "环境保护", "confidence": 0.9}
    assert data["scope"]["in_scope"] is True and "一拖再拖" in data["scope"]["matched_phrases"]
    assert data["importance"]["level"] == "important"
    assert "人大代表" in str(data["importance"]["reasons"])
    kinds = {s["kind"] for s in data["preview"]}
    assert {"scope", "dates"} <= kinds
    assert "".join(s["text"] for s in data["preview"]) == body["content"]
    assert [e["tracking_no"] for e in data["earlier"]] == [earlier["tracking_no"]]
    assert data["earlier"][0]["url"] == f"/staff/complaints/{earlier['id']}"
    assert _stored(container) == before  # nothing written, nothing logged

    outside = _suggest(
        web, {"title": "", "content": "小区物业公司乱收停车费，开发商也不管。", "phone": ""}, csrf
    ).json()
    assert outside["scope"]["in_scope"] is False
    assert outside["scope"]["competent_authority"] and outside["scope"]["explanation"]
    assert outside["earlier"] == []

    assert _suggest(web, body, "forged").status_code == 403
    too_long = _suggest(web, {**body, "content": "长" * 40_001}, csrf)
    assert too_long.status_code == 422


def test_earlier_complaints_are_only_those_the_viewers_centre_received(
    web: TestClient, api: Api, container: Container, org: dict[str, Any]
) -> None:
    # The city centre transfers a caller's complaint to the Dongcheng county centre, whose
    # operator then sees it from the handling side only: it is not "an earlier complaint".
    body = {"content": "学校违规收取补课费。", "complainant": {"phone": "13812345678"}}
    cid = api.post("operator", "/api/v1/complaints", json=body).json()["id"]
    api.post("operator", f"/api/v1/complaints/{cid}/accept", json={})
    target = {"mode": "transfer", "unit_id": org["dongcheng"].id}
    signed = api.post("leader", f"/api/v1/complaints/{cid}/sign-off", json=target)
    assert signed.status_code == 200, signed.text
    sent = api.post(
        "dispatcher",
        f"/api/v1/complaints/{cid}/dispatch",
        json={**target, "summary": "反映学校收费问题"},
    )
    assert sent.status_code == 200, sent.text
    assert api.get("operator-dongcheng", f"/api/v1/complaints/{cid}").status_code == 200
    typed = {"title": "噪音", "content": "噪音", "phone": "13812345678"}
    sign_in(web, "operator-dongcheng")
    county = _suggest(web, typed, open_form(web)["csrf_token"])
    assert county.status_code == 200 and county.json()["earlier"] == []
    web.cookies.clear()
    sign_in(web, "operator")
    city = _suggest(web, typed, open_form(web)["csrf_token"]).json()
    assert [e["id"] for e in city["earlier"]] == [cid]


def test_a_non_operator_is_refused(web: TestClient, container: Container) -> None:
    sign_in(web, "dispatcher")
    page = web.get("/staff/register")
    assert page.status_code == 403 and "仅受理员可登记投诉" in page.text
    token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
    assert _suggest(web, {"title": "噪音", "content": "噪音"}, token).status_code == 403
    refused = save(web, {"csrf_token": token, "form_key": "k" * 20}, call())
    assert refused.status_code == 403
    assert complaints(container) == []


def test_the_page_speaks_english_when_asked(web: TestClient) -> None:
    sign_in(web, "operator")
    page = web.get("/staff/register?lang=en")
    assert page.status_code == 200
    for text in ("Register a complaint", "Save and accept", "Walk-in", "Group complaint"):
        assert text in page.text
    assert "at most 3 representatives" in page.text  # the 4th row's refusal, for the script
