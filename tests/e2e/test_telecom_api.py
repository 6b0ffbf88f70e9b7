"""Telecom pre-processing through the API (SPEC §7): level 1's four causes, an account
look-up that fails, level 2 dispatching with evidence, the 48-hour review and the
improvement notice. Account systems are the local stand-in server."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from complaintdesk.bootstrap import Container
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.kernel.time import FixedClock
from complaintdesk.notify.tables import OutboxRow
from tests.conftest import Api


def file(api: Api, content: str, phone: str = "13300000001", **extra: Any) -> dict[str, Any]:
    body = {"content": content, "complainant": {"name": "李雷", "phone": phone}, **extra}
    response = api.post("tc-operator", "/api/v1/telecom/complaints", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def post(api: Api, user: str, url: str, expect: int = 200, **body: Any) -> Any:
    response = api.post(user, f"/api/v1/telecom{url}", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def outbox(container: Container, complaint_id: int) -> list[OutboxRow]:
    with container.uow() as uow:
        rows = list(
            uow.session.scalars(select(OutboxRow).where(OutboxRow.complaint_id == complaint_id))
        )
        uow.session.expunge_all()  # keep the loaded values after the session closes
        return rows


def events(api: Api, user: str, complaint_id: int) -> list[dict[str, Any]]:
    return api.get(user, f"/api/v1/complaints/{complaint_id}/events").json()


def approved_template(api: Api, external_id: str, sms_template: str, **script: Any) -> int:
    """A script written and approved by the support centre; its id is the template id."""
    body = {
        "external_id": external_id,
        "title": external_id,
        "keywords": [f"{external_id}-never-in-a-complaint"],
        "explanation": "模板 / template",
        "sms_template": sms_template,
        **script,
    }
    response = api.post("tc-support", "/api/v1/telecom/scripts", json=[body])
    assert response.status_code == 200, response.text
    listed = api.get("tc-support", "/api/v1/telecom/scripts").json()
    script_id = next(s["id"] for s in listed if s["external_id"] == external_id)
    approved = api.post("tc-support", f"/api/v1/telecom/scripts/{script_id}/approve")
    assert approved.status_code == 200, approved.text
    return int(script_id)


def confirm(api: Api, container: Container, filed: dict[str, Any]) -> OutboxRow:
    case = post(api, "tc-operator", f"/complaints/{filed['id']}/confirm-level1")
    assert case["status"] == "resolved_at_intake"
    assert case["resolved_level"] == 1
    resolved = [
        e for e in events(api, "tc-operator", filed["id"]) if e["action"] == "resolve_at_intake"
    ]
    assert resolved[0]["data"] == {"level": 1}
    (sms,) = outbox(container, filed["id"])
    assert sms.channel == "sms"
    return sms


def test_an_active_alarm_in_the_area_resolves_it_at_level_1_with_the_recovery_time(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    response = api.post(
        "tc-support",
        "/api/v1/telecom/alarms",
        json=[
            {
                "external_id": "ALM-1",
                "site": "白鹭郡宏站",
                "areas": ["A3区白鹭郡"],
                "started_at": "2026-11-30T06:00:00+08:00",
                "expected_recovery_at": "2026-11-30T15:30:00+08:00",
            }
        ],
    )
    assert response.status_code == 200, response.text
    filed = file(api, "家里手机没有信号，打不了电话", area="A3区白鹭郡5栋")
    case = filed["case"]
    assert case["queue"] == "level1"
    assert [p["code"] for p in case["phenomena"]] == ["no_signal"]
    finding = case["diagnosis"]["findings"][0]
    assert finding["cause"] == "equipment_fault"
    assert finding["evidence"]["site"] == "白鹭郡宏站"
    assert finding["evidence"]["matched_area"] == "A3区白鹭郡"
    sms = confirm(api, container, filed)
    assert sms.recipient == "13300000001"
    assert "11月30日15:30" in sms.body and "A3区白鹭郡" in sms.body


def test_a_known_blind_spot_matched_by_location_resolves_it_at_level_1(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    response = api.post(
        "tc-support",
        "/api/v1/telecom/blind-spots",
        json=[
            {
                "external_id": "BS-1",
                "name": "菱角村腰坝组",
                "polygon": [[113.10, 28.20], [113.12, 28.20], [113.12, 28.22], [113.10, 28.22]],
                "planned_fix": "新建宏站已列入年度规划",
            }
        ],
    )
    assert response.status_code == 200, response.text
    filed = file(api, "村里手机信号一直很差", longitude=113.11, latitude=28.21)
    finding = filed["case"]["diagnosis"]["findings"][0]
    assert finding["cause"] == "blind_spot"
    assert finding["evidence"]["matched_polygon"] is True
    sms = confirm(api, container, filed)
    assert "新建宏站已列入年度规划" in sms.body


def test_a_terminal_script_for_the_handset_sends_the_self_help_sms(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    script = {
        "external_id": "SC-IOS",
        "title": "iOS升级后信号异常",
        "phenomena": ["无法上网"],
        "os": "iOS",
        "explanation": "iOS升级后运营商配置未更新 / carrier settings outdated",
        "sms_template": "请在{model}上更新运营商设置后重启。",
    }
    approved_template(api, **script)
    android = file(api, "手机升级后无法上网", handset_model="Mate 60", os="HarmonyOS")
    assert android["case"]["queue"] == "level2"  # the script is for iOS only
    filed = file(api, "手机升级后无法上网", handset_model="iPhone 13", os="iOS 17")
    finding = filed["case"]["diagnosis"]["findings"][0]
    assert finding["cause"] == "terminal_usage"
    assert finding["explanation"].startswith("iOS升级后")
    assert confirm(api, container, filed).body == "请在iPhone 13上更新运营商设置后重启。"


def test_an_account_in_arrears_is_found_in_the_crm_and_prepaid_systems(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    filed = file(api, "手机打不了电话也上不了网", phone="13300000002")
    case = filed["case"]
    causes = [(f["cause"], f["source"]) for f in case["diagnosis"]["findings"]]
    assert causes == [("account", "account:crm"), ("account", "account:prepaid")]
    account = {a["system"]: a["outcome"] for a in case["diagnosis"]["account"]}
    assert account == {"crm": "problem", "prepaid": "problem", "aaa": "ok", "hlr": "ok"}
    assert "欠费停机" in confirm(api, container, filed).body


def test_a_failed_or_slow_look_up_is_shown_as_unknown_and_never_as_fine(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    filed = file(api, "今天手机一直打不了电话", phone="13300000003")
    case = filed["case"]
    account = {a["system"]: a for a in case["diagnosis"]["account"]}
    assert account["crm"]["outcome"] == "unknown"
    assert "503" in account["crm"]["finding"]
    assert account["prepaid"]["outcome"] == "unknown"
    assert "超时" in account["prepaid"]["finding"]
    assert case["diagnosis"]["unknown_systems"] == ["crm", "prepaid"]
    assert case["queue"] == "level2" and case["cause"] is None
    post(api, "tc-operator", f"/complaints/{filed['id']}/confirm-level1", expect=422)
    assert outbox(container, filed["id"]) == []


def _dispatched(api: Api, telecom: dict[str, Any], area: str = "A5区高铁新城") -> int:
    filed = file(api, "在家通话经常掉话，有杂音", area=area)
    return _to_branch(api, telecom, filed)


def _to_branch(api: Api, telecom: dict[str, Any], filed: dict[str, Any]) -> int:
    cid = filed["id"]
    if filed["case"]["queue"] == "level1":  # the operator does not accept level 1's cause
        post(api, "tc-operator", f"/complaints/{cid}/escalate", reason="用户称上月起才变差")
    queue = api.get("tc-support", "/api/v1/telecom/queue", params={"queue": "level2"}).json()
    assert cid in [item["complaint_id"] for item in queue["items"]]
    branch = telecom["tc-branch-a"].id
    post(api, "tc-operator", f"/complaints/{cid}/dispatch-branch", expect=403, unit_id=branch)
    case = post(
        api, "tc-support", f"/complaints/{cid}/dispatch-branch", unit_id=branch, note="需现场测试"
    )
    assert case["queue"] == "branch" and case["status"] == "dispatched"
    return cid


def test_level_2_dispatches_to_the_city_branch_with_the_evidence_attached(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    cid = _dispatched(api, telecom)
    seen = events(api, "tc-branch-a", cid)
    dispatch = next(e for e in seen if e["action"] == "dispatch")
    evidence = dispatch["data"]["evidence"]
    assert evidence["phenomena"] == ["dropped_calls", "poor_voice"]
    assert evidence["area"] == "A5区高铁新城"
    assert evidence["level2_note"] == "需现场测试"
    assert {a["system"]: a["outcome"] for a in evidence["account"]}["crm"] == "ok"
    assert "13300000001" not in str(seen)  # the branch never sees the subscriber's number
    complaint = api.get("tc-branch-a", f"/api/v1/complaints/{cid}").json()
    assert "A5区高铁新城" in complaint["summary"]

    for action in ("receive", "start-handling"):
        assert (
            api.post("tc-branch-a", f"/api/v1/complaints/{cid}/{action}", json={}).status_code
            == 200
        )
    post(
        api,
        "tc-branch-a",
        f"/complaints/{cid}/branch-reply",
        reply="已调整天线",
        network_quality=True,
    )
    reply = next(e for e in events(api, "tc-operator", cid) if e["action"] == "reply")
    assert reply["data"]["network_quality"] is True


def test_the_metrics_count_levels_and_branch_verdicts_from_the_records(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    arrears = file(api, "手机打不了电话", phone="13300000002")
    post(api, "tc-operator", f"/complaints/{arrears['id']}/confirm-level1")
    unknown = file(api, "手机打不了电话", phone="13300000003")
    post(
        api,
        "tc-support",
        f"/complaints/{unknown['id']}/resolve-level2",
        cause="account",
        resolution="人工核实：欠费停机",
        sms_template_id=approved_template(api, "SC-PAY", "请缴费后重启手机（{tracking_no}）。"),
    )
    wrong = _dispatched(api, telecom, area="A6区")
    right = _dispatched(api, telecom)
    for cid, verdict in ((wrong, False), (right, True)):
        for action in ("receive", "start-handling"):
            api.post("tc-branch-a", f"/api/v1/complaints/{cid}/{action}", json={})
        post(
            api,
            "tc-branch-a",
            f"/complaints/{cid}/branch-reply",
            reply="已处理",
            network_quality=verdict,
        )
    pending = _dispatched(api, telecom, area="A8区")
    assert pending
    metrics = api.get("tc-support", "/api/v1/telecom/metrics").json()
    assert metrics["total"] == 5
    assert (metrics["level1"], metrics["level2"], metrics["to_branch"]) == (1, 1, 3)
    assert metrics["success_rate"] == 40.0
    # SPEC §7: 1 network-quality ticket of ALL 3 received by the branch, the pending one too
    assert metrics["dispatch_accuracy"] == 33.33
    assert (metrics["branch_judged"], metrics["branch_pending"]) == (2, 1)


def _give_verdict(api: Api, cid: int, network_quality: bool) -> None:
    for action in ("receive", "start-handling"):
        api.post("tc-branch-a", f"/api/v1/complaints/{cid}/{action}", json={})
    post(
        api,
        "tc-branch-a",
        f"/complaints/{cid}/branch-reply",
        reply="已处理",
        network_quality=network_quality,
    )


def test_the_metrics_and_the_telecom_dashboard_report_the_same_month(
    api: Api, clock: FixedClock, telecom: dict[str, Any]
) -> None:
    """November: 7 tickets — 1 resolved at level 1, 1 at level 2, 4 to the branch (verdicts:
    network quality twice, not once, one still pending) and 1 left at level 2, dispatched on
    1 December. December: 1 ticket, dispatched and found network quality.

    A ticket belongs to the month it was received in; a branch ticket to the month the
    branch received it (the dispatch), so the late dispatch is a December branch ticket.
    """
    arrears = file(api, "手机打不了电话", phone="13300000002")
    post(api, "tc-operator", f"/complaints/{arrears['id']}/confirm-level1")
    unknown = file(api, "手机打不了电话", phone="13300000003")
    post(
        api,
        "tc-support",
        f"/complaints/{unknown['id']}/resolve-level2",
        cause="account",
        resolution="人工核实：欠费停机",
    )
    for area, verdict in (("A5区", True), ("A6区", True), ("A7区", False), ("A8区", None)):
        cid = _dispatched(api, telecom, area=area)
        if verdict is not None:
            _give_verdict(api, cid, verdict)
    late = file(api, "在家通话经常掉话，有杂音", area="A9区")
    clock.moment = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    api.tokens.clear()  # yesterday's sign-ins have expired
    _to_branch(api, telecom, late)
    _give_verdict(api, _dispatched(api, telecom, area="B1区"), True)

    # (period, first day, last day, tickets, level 1, level 2, branch, judged, network quality)
    months = [
        ("2026-11", "2026-11-01", "2026-11-30", 7, 1, 1, 4, 3, 2),
        ("2026-12", "2026-12-01", "2026-12-31", 1, 0, 0, 2, 1, 1),
    ]
    for period, first, last, tickets, l1, l2, branch, judged, nq in months:
        dashboard = api.get("tc-support", "/api/v1/kpis/telecom", params={"period": period})
        assert dashboard.status_code == 200, dashboard.text
        summary = dashboard.json()["summary"]
        by_month = api.get("tc-support", "/api/v1/telecom/metrics", params={"period": period})
        assert by_month.status_code == 200, by_month.text
        metrics = by_month.json()
        by_days = api.get(
            "tc-support",
            "/api/v1/telecom/metrics",
            params={"received_from": first, "received_to": last},
        ).json()
        assert by_days == metrics
        assert (metrics["total"], metrics["level1"], metrics["level2"]) == (tickets, l1, l2)
        assert (metrics["to_branch"], metrics["branch_judged"]) == (branch, judged)
        assert metrics["branch_network_quality"] == nq
        assert metrics["branch_pending"] == branch - judged == 1
        assert summary == {
            "tickets": tickets,
            "preprocessed": l1 + l2,
            "success_rate": summary["success_rate"],
            "branch_tickets": branch,
            "network_quality": nq,
            "dispatch_accuracy": summary["dispatch_accuracy"],
        }
        # SPEC §7 by hand: (level 1 + level 2) ÷ all tickets; network quality ÷ ALL branch
        # tickets, the pending one included. Both endpoints show it to 2 decimals.
        success = (Decimal(100 * (l1 + l2)) / tickets).quantize(Decimal("0.01"))
        accuracy = (Decimal(100 * nq) / branch).quantize(Decimal("0.01"))
        assert Decimal(summary["success_rate"]) == success
        assert Decimal(str(metrics["success_rate"])) == success
        assert Decimal(summary["dispatch_accuracy"]) == accuracy
        assert Decimal(str(metrics["dispatch_accuracy"])) == accuracy
        # Another viewer (the admin's jurisdiction is the hotline tree): the two still agree.
        admin = api.get("admin", "/api/v1/kpis/telecom", params={"period": period}).json()
        mine = api.get("admin", "/api/v1/telecom/metrics", params={"period": period}).json()
        assert (admin["summary"]["tickets"], admin["summary"]["branch_tickets"]) == (
            mine["total"],
            mine["to_branch"],
        )
    # November by hand: 2 / 7 = 28.57 % (not 2 / 6); 2 / 4 = 50.00 % (not 2 / 3 = 66.67 %)
    november = api.get("tc-support", "/api/v1/telecom/metrics", params={"period": "2026-11"})
    assert (november.json()["success_rate"], november.json()["dispatch_accuracy"]) == (
        28.57,
        50.0,
    )
    both = api.get(
        "tc-support",
        "/api/v1/telecom/metrics",
        params={"period": "2026-11", "received_from": "2026-11-01"},
    )
    assert both.status_code == 422


def _archive(api: Api, cid: int) -> None:
    for action in ("receive", "start-handling"):
        api.post("tc-branch-a", f"/api/v1/complaints/{cid}/{action}", json={})
    post(
        api, "tc-branch-a", f"/complaints/{cid}/branch-reply", reply="已优化", network_quality=True
    )
    for user, action, body in (
        ("tc-callback", "start-callback", {}),
        ("tc-callback", "callback", {"outcome": "satisfied"}),
        ("tc-callback", "archive", {}),
    ):
        response = api.post(user, f"/api/v1/complaints/{cid}/{action}", json=body)
        assert response.status_code == 200, response.text


def test_network_quality_tickets_come_back_for_review_48_hours_after_archiving(
    api: Api, container: Container, clock: FixedClock, telecom: dict[str, Any]
) -> None:
    cid = _dispatched(api, telecom)
    _archive(api, cid)

    def queue() -> list[int]:
        api.tokens.clear()  # sessions expire while the clock moves on; sign in again
        items = api.get("tc-support", "/api/v1/telecom/review-queue").json()["items"]
        return [i["complaint_id"] for i in items]

    assert queue() == []
    clock.advance(hours=47)
    assert queue() == []
    post(api, "tc-support", f"/complaints/{cid}/review", expect=422, note="早", improved=True)
    clock.advance(hours=2)
    assert queue() == [cid]
    post(api, "tc-support", f"/complaints/{cid}/review", note="复测信号良好", improved=True)
    assert queue() == []
    review = [e for e in events(api, "tc-support", cid) if e["action"] == "network_review"]
    assert review[0]["reason"] == "复测信号良好" and review[0]["data"] == {"improved": True}


def test_a_new_site_sends_an_improvement_notice_to_earlier_complainants_in_the_area(
    api: Api, container: Container, clock: FixedClock, telecom: dict[str, Any]
) -> None:
    api.post(
        "tc-support",
        "/api/v1/telecom/blind-spots",
        json=[{"external_id": "BS-2", "name": "五丰村", "areas": ["A9市普迹镇五丰村"]}],
    )
    blind = file(api, "村里信号差，打电话听不清", area="A9市普迹镇五丰村塘积组")
    confirm(api, container, blind)
    field = _dispatched(api, telecom, area="A9市普迹镇五丰村东组")
    elsewhere = _dispatched(api, telecom, area="A5区高铁新城")
    template = approved_template(
        api,
        "SC-IMPROVED",
        "【网络改善】您此前反映的{area}网络问题（{tracking_no}）：{site}已开通。",
    )
    clock.advance(hours=1)
    notice = post(
        api,
        "tc-support",
        "/improvements",
        expect=201,
        area="A9市普迹镇五丰村",
        kind="new_site",
        description="五丰村新建宏站开通",
        template_id=template,
        values={"site": "五丰村新建宏站"},
    )
    assert notice["notified"] == 2
    for cid in (blind["id"], field):
        bodies = [r.body for r in outbox(container, cid) if r.subject == "网络改善通知"]
        assert len(bodies) == 1 and "A9市普迹镇五丰村网络问题" in bodies[0]
        assert "五丰村新建宏站已开通" in bodies[0]
        assert any(e["action"] == "improvement_notice" for e in events(api, "tc-support", cid))
    assert [r for r in outbox(container, elsewhere) if r.subject == "网络改善通知"] == []
    live_at = clock.now()
    clock.advance(minutes=30)
    later = file(api, "村里信号还是差", area="A9市普迹镇五丰村")
    again = post(
        api,
        "tc-support",
        "/improvements",
        expect=201,
        area="A9市普迹镇五丰村",
        kind="fix",
        description="天线优化",
        live_at=live_at.isoformat(),
        template_id=template,
        values={"site": "天线优化"},
    )
    assert again["notified"] == 2  # the complaint filed after it went live is not told
    assert later["tracking_no"] not in again["tracking_nos"]


def test_a_csv_import_with_a_bad_row_stores_nothing_and_names_the_row(
    api: Api, container: Container, telecom: dict[str, Any]
) -> None:
    good = (
        "编号,站点,影响区域,开始时间,预计恢复时间\n"
        "A-1,一号站,A1区;A2区,2026-11-30 08:00,2026-11-30 18:00\n"
    )
    bad = good + "A-2,二号站,A3区,昨天,\n"
    response = api.post(
        "tc-support", "/api/v1/telecom/imports/alarms", files={"file": ("alarms.csv", bad.encode())}
    )
    assert response.status_code == 422
    assert "第3行" in response.json()["error"]["message"]
    assert api.get("tc-support", "/api/v1/telecom/alarms").json() == []
    response = api.post(
        "tc-support",
        "/api/v1/telecom/imports/alarms",
        files={"file": ("alarms.csv", good.encode())},
    )
    assert response.json() == {"created": 1, "updated": 0}
    (alarm,) = api.get("tc-support", "/api/v1/telecom/alarms").json()
    assert alarm["areas"] == ["A1区", "A2区"] and alarm["started_at"].startswith("2026-11-30T00:00")


def test_the_branch_reads_the_complainants_title_masked_in_its_queue_and_case(
    api: Api, telecom: dict[str, Any]
) -> None:
    filed = file(
        api, "在家通话经常掉话，有杂音", area="A5区高铁新城", title="李雷13300000001家中掉话"
    )
    cid = _to_branch(api, telecom, filed)
    case = api.get("tc-branch-a", f"/api/v1/telecom/complaints/{cid}").json()
    queue = api.get("tc-branch-a", "/api/v1/telecom/queue", params={"queue": "branch"}).json()
    [item] = [i for i in queue["items"] if i["complaint_id"] == cid]
    for seen in (case["title"], item["title"]):
        assert "13300000001" not in seen and "李雷" not in seen and "掉话" in seen
    # The support centre that owns the case reads it as the citizen wrote it.
    own = api.get("tc-support", f"/api/v1/telecom/complaints/{cid}").json()
    assert own["title"] == "李雷13300000001家中掉话"
