"""The telecom knowledge base and SMS, scoped (SPEC §7): the support centre keeps the
knowledge and approves templates; branches read their own; the hotline tree reads nothing;
SMS go out only from approved templates and at most 3 per complaint, 5 per number a day."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from complaintdesk.audit.tables import AuditEntryRow
from complaintdesk.bootstrap import Container
from complaintdesk.kernel.time import FixedClock
from complaintdesk.notify.tables import OutboxRow
from complaintdesk.org import auth
from complaintdesk.org.model import Role
from tests.conftest import Api
from tests.e2e.test_telecom_api import (
    _dispatched,
    approved_template,
    file,
    outbox,
    post,
)

ALARM = {
    "external_id": "ALM-A3",
    "site": "白鹭郡宏站",
    "areas": ["A3区白鹭郡"],
    "started_at": "2026-11-30T06:00:00+08:00",
}


def _user(container: Container, org: dict[str, Any], name: str, role: Role, unit: str) -> str:
    with container.uow() as uow:
        auth.create_user(
            uow,
            username=name,
            display_name=name,
            password_hash=auth.hash_password("demo12345"),
            roles={role},
            unit_id=org[unit].id,
        )
        uow.commit()
    return name


def _bilingual(response: Any, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    message = str(response.json()["error"]["message"])
    assert "/ " in message and any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    for word in words:
        assert word in message, message
    return message


def _audit(container: Container, kind: str) -> list[AuditEntryRow]:
    with container.uow() as uow:
        rows = list(uow.session.scalars(select(AuditEntryRow).where(AuditEntryRow.kind == kind)))
        uow.session.expunge_all()
        return rows


def test_a_hotline_county_dispatcher_can_neither_read_nor_edit_the_telecom_knowledge(
    api: Api, container: Container, org: dict[str, Any], telecom: dict[str, Any]
) -> None:
    outsider = _user(container, org, "dongcheng-housing-d", Role.DISPATCHER, "dongcheng-housing")
    assert api.post("tc-support", "/api/v1/telecom/alarms", json=[ALARM]).status_code == 200
    (alarm,) = api.get("tc-support", "/api/v1/telecom/alarms").json()
    script = approved_template(api, "SC-1", "请重启手机（{tracking_no}）。")
    for who in (outsider, "operator-dongcheng", "leader"):
        for kind in ("alarms", "blind-spots", "scripts"):
            _bilingual(api.get(who, f"/api/v1/telecom/{kind}"), 403, "电信")
        changed = dict(ALARM, site="被篡改的站点")
        _bilingual(api.post(who, "/api/v1/telecom/alarms", json=[changed]), 403)
        cleared = api.post(who, f"/api/v1/telecom/alarms/{alarm['id']}/clear", json={})
        _bilingual(cleared, 403)
        _bilingual(api.post(who, f"/api/v1/telecom/scripts/{script}/approve"), 403)
        upload = {"file": ("a.csv", "编号,站点,影响区域,开始时间\nX,站,A1区,2026-11-30 08:00\n")}
        _bilingual(api.post(who, "/api/v1/telecom/imports/alarms", files=upload), 403)
        body = {"content": "没有信号", "complainant": {"name": "李雷", "phone": "13300000001"}}
        _bilingual(api.post(who, "/api/v1/telecom/complaints", json=body), 403)
    (unchanged,) = api.get("tc-support", "/api/v1/telecom/alarms").json()
    assert unchanged["site"] == "白鹭郡宏站" and unchanged["cleared_at"] is None
    assert [a["external_id"] for a in api.get("admin", "/api/v1/telecom/alarms").json()] == [
        "ALM-A3"
    ]


def test_a_branch_reads_only_the_alarms_and_blind_spots_of_its_own_area(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    alarms = [
        dict(ALARM, external_id="ALM-A", branch="tc-branch-a"),
        dict(ALARM, external_id="ALM-B", branch="tc-branch-b"),
        dict(ALARM, external_id="ALM-P"),  # the support centre's own
    ]
    assert api.post("tc-support", "/api/v1/telecom/alarms", json=alarms).status_code == 200
    spots = [{"external_id": "BS-A", "name": "天玺湾", "branch": "tc-branch-a"}]
    assert api.post("tc-support", "/api/v1/telecom/blind-spots", json=spots).status_code == 200

    def seen(user: str, kind: str = "alarms") -> list[str]:
        response = api.get(user, f"/api/v1/telecom/{kind}")
        assert response.status_code == 200, response.text
        return sorted(r["external_id"] for r in response.json())

    assert seen("tc-support") == ["ALM-A", "ALM-B", "ALM-P"]
    assert seen("tc-branch-a") == ["ALM-A"]
    assert seen("tc-branch-b") == ["ALM-B"]
    assert seen("tc-branch-a", "blind-spots") == ["BS-A"]
    assert seen("tc-branch-b", "blind-spots") == []
    _bilingual(api.post("tc-branch-a", "/api/v1/telecom/alarms", json=alarms), 403)
    # A branch tag must name a telecom city branch, not a hotline unit.
    wrong = [dict(ALARM, external_id="ALM-X", branch="housing")]
    _bilingual(api.post("tc-support", "/api/v1/telecom/alarms", json=wrong), 422, "housing")
    assert seen("tc-support") == ["ALM-A", "ALM-B", "ALM-P"]


def test_only_approved_templates_are_offered_or_sent_and_a_changed_text_needs_approval_again(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    script = {
        "external_id": "SC-APN",
        "title": "APN设置",
        "keywords": ["APN"],
        "explanation": "APN设置错误 / wrong APN",
        "sms_template": "请将APN设为ctnet后重启。",
    }
    assert api.post("tc-support", "/api/v1/telecom/scripts", json=[script]).status_code == 200
    (row,) = api.get("tc-support", "/api/v1/telecom/scripts").json()
    assert row["approved"] is False
    assert api.get("tc-branch-a", "/api/v1/telecom/scripts").json() == []
    unapproved = file(api, "手机APN不知道怎么设置，上不了网")
    assert unapproved["case"]["queue"] == "level2"  # an unapproved script is never offered
    send = {"template_id": row["id"], "values": {}}
    refused = api.post(
        "tc-support", f"/api/v1/telecom/complaints/{unapproved['id']}/sms", json=send
    )
    _bilingual(refused, 422, "未经审核")
    assert outbox(container, unapproved["id"]) == []

    _bilingual(api.post("tc-branch-a", f"/api/v1/telecom/scripts/{row['id']}/approve"), 403)
    approved = api.post("tc-support", f"/api/v1/telecom/scripts/{row['id']}/approve")
    assert approved.status_code == 200 and approved.json()["approved"] is True
    (entry,) = _audit(container, "telecom_template_approved")
    assert entry.detail["external_id"] == "SC-APN" and entry.actor_id is not None
    matched = file(api, "手机APN不知道怎么设置，上不了网")
    assert matched["case"]["queue"] == "level1"
    assert [r["external_id"] for r in api.get("tc-branch-a", "/api/v1/telecom/scripts").json()] == [
        "SC-APN"
    ]

    edited = dict(script, sms_template="请访问我们的网站设置APN。")
    assert api.post("tc-support", "/api/v1/telecom/scripts", json=[edited]).status_code == 200
    (again,) = api.get("tc-support", "/api/v1/telecom/scripts").json()
    assert again["approved"] is False
    refused = api.post("tc-support", f"/api/v1/telecom/complaints/{matched['id']}/sms", json=send)
    _bilingual(refused, 422)
    assert outbox(container, matched["id"]) == []


def test_a_branch_handler_cannot_send_free_text_and_is_stopped_at_three_a_day(
    api: Api, container: Container, clock: FixedClock, telecom: dict[str, Any]
) -> None:
    cid = _dispatched(api, telecom)
    template = approved_template(api, "SC-VISIT", "工程师将于{when}上门测试（{tracking_no}）。")
    url = f"/api/v1/telecom/complaints/{cid}/sms"

    free = {"template_id": template, "text": "加微信 abc123 领流量"}
    _bilingual(api.post("tc-branch-a", url, json=free), 422, "模板")
    for values, word in (
        ({"when": "明天 http://evil.example/x"}, "链接"),
        ({"when": "明天，详见 t.cn/abc"}, "链接"),
        ({"when": "明" * 41}, "40"),
        ({"when": "明天", "site": "站"}, "site"),
        ({"when": "明天", "tracking_no": "TS1"}, "tracking_no"),
        ({}, "when"),
    ):
        body = {"template_id": template, "values": values}
        _bilingual(api.post("tc-branch-a", url, json=body), 422, word)
    resolve = {"cause": "account", "resolution": "核实", "sms": "任意文本"}
    level2 = file(api, "今天手机一直打不了电话", phone="13300000003")
    post(api, "tc-support", f"/complaints/{level2['id']}/resolve-level2", expect=422, **resolve)
    assert outbox(container, cid) == [] and outbox(container, level2["id"]) == []

    body = {"template_id": template, "values": {"when": "12月1日上午"}}
    for _ in range(3):
        sent = api.post("tc-branch-a", url, json=body)
        assert sent.status_code == 201, sent.text
    assert sent.json()["body"].startswith("工程师将于12月1日上午上门测试（TS")
    over = api.post("tc-branch-a", url, json=body)
    _bilingual(over, 429, "3")
    # The one 429 type: Retry-After is the wait until the next Asia/Shanghai day.
    assert over.json()["error"]["code"] == "quota_exceeded"
    assert 1 <= int(over.headers["Retry-After"]) <= 86_401
    _bilingual(api.post("tc-support", url, json=body), 429)  # the limit is the complaint's
    assert len(outbox(container, cid)) == 3
    assert api.post("tc-branch-b", url, json=body).status_code == 404  # not its complaint
    queued = [e for e in _audit(container, "telecom_sms_queued") if e.complaint_id == cid]
    assert len(queued) == 3 and all(e.detail["template_id"] == template for e in queued)
    assert all("13300000001" not in str(e.detail) for e in queued)

    clock.advance(hours=16)  # 09:00 → 01:00 the next day in Shanghai: a new day's quota
    api.tokens.clear()
    assert api.post("tc-branch-a", url, json=body).status_code == 201
    assert len(outbox(container, cid)) == 4


def test_one_number_gets_at_most_five_sms_a_day_across_its_complaints(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    template = approved_template(api, "SC-CALL", "我们已受理您的投诉（{tracking_no}）。")
    complaints = [file(api, f"第{i}次反映手机信号差")["id"] for i in range(3)]
    body = {"template_id": template, "values": {}}
    for cid in (complaints[0], complaints[0], complaints[1], complaints[1], complaints[2]):
        sent = api.post("tc-support", f"/api/v1/telecom/complaints/{cid}/sms", json=body)
        assert sent.status_code == 201, sent.text
    over = api.post("tc-support", f"/api/v1/telecom/complaints/{complaints[2]}/sms", json=body)
    _bilingual(over, 429, "号码")
    with container.uow() as uow:
        to_number = uow.session.scalars(
            select(OutboxRow).where(OutboxRow.recipient == "13300000001")
        ).all()
    assert len(to_number) == 5


def test_a_url_slot_takes_only_an_https_link(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    template = approved_template(api, "SC-URL", "请在此查看进度：{url}（{tracking_no}）")
    cid = file(api, "手机信号差")["id"]
    url = f"/api/v1/telecom/complaints/{cid}/sms"
    for link in ("http://10086.cn/p", "javascript:alert(1)", "https://a.cn/" + "x" * 200):
        bad = {"template_id": template, "values": {"url": link}}
        _bilingual(api.post("tc-support", url, json=bad), 422, "https")
    good = {"template_id": template, "values": {"url": "https://www.189.cn/track"}}
    sent = api.post("tc-support", url, json=good)
    assert sent.status_code == 201, sent.text
    (sms,) = outbox(container, cid)
    assert sms.body.startswith("请在此查看进度：https://www.189.cn/track（TS")
