"""Dispatch decisions across the jurisdiction tree: instruction (批示), sign-off (签批),
the deputy director for important transfers, hand-over (移交), take-over (提级), returns
counted per unit and the centre's ruling, findings and the written report."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


def file(api: Api, user: str = "operator", **overrides: Any) -> int:
    body = {
        "title": "住建局窗口推诿扯皮",
        "content": "我叫王小明，电话13812345678，到住建局窗口办理备案三次被推给不同科室。",
        "channel": "walk_in",
        "complainant": {"name": "王小明", "phone": "13812345678"},
        **overrides,
    }
    response = api.post(user, "/api/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def act(api: Api, user: str, cid: int, path: str, expect: int = 200, **body: Any) -> Any:
    response = api.post(user, f"/api/v1/complaints/{cid}/{path}", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def test_an_ordinary_dispatch_waits_for_the_leaders_sign_off(api: Api, org: dict[str, Any]) -> None:
    cid = file(api)
    act(api, "operator", cid, "accept")
    housing = org["housing"].id
    refused = act(
        api, "dispatcher", cid, "dispatch", 422, unit_id=housing, mode="transfer", summary="摘要"
    )
    assert "签批" in refused["error"]["message"]
    # A dispatcher cannot sign off; a leader can, and names the mode and the unit.
    act(api, "dispatcher", cid, "sign-off", 403, mode="transfer")
    act(api, "leader", cid, "sign-off", mode="transfer", unit_id=housing, opinion="同意转办")
    wrong_unit = act(
        api,
        "dispatcher",
        cid,
        "dispatch",
        422,
        unit_id=org["education"].id,
        mode="transfer",
        summary="摘要",
    )
    assert "签批" in wrong_unit["error"]["message"]
    wrong_mode = act(api, "dispatcher", cid, "dispatch", 422, unit_id=housing, mode="self_handle")
    assert "self_handle" in wrong_mode["error"]["message"]
    done = act(api, "dispatcher", cid, "dispatch", unit_id=housing, mode="transfer", summary="摘要")
    assert done["status"] == "dispatched"


def test_an_important_complaint_needs_the_instruction_and_the_deputy_directors_signature(
    api: Api, org: dict[str, Any]
) -> None:
    cid = file(api, importance="important")
    act(api, "operator", cid, "accept")
    early = act(api, "deputy", cid, "sign-off", 422, mode="transfer")
    assert "批示" in early["error"]["message"]
    act(api, "operator", cid, "instruct", 403, instruction="请转办")
    act(api, "leader", cid, "instruct", instruction="请住建局依法核查，十日内报结果。")
    refused = act(api, "leader", cid, "sign-off", 403, mode="transfer")
    assert "副主任" in refused["error"]["message"]
    act(api, "deputy", cid, "sign-off", mode="transfer")
    act(
        api,
        "dispatcher",
        cid,
        "dispatch",
        unit_id=org["housing"].id,
        mode="transfer",
        summary="反映窗口推诿",
    )
    actions = [e["action"] for e in api.get("operator", f"/api/v1/complaints/{cid}/events").json()]
    assert actions == ["file", "accept", "instruct", "sign_off", "dispatch"]


def test_an_important_complaint_is_not_handed_over_before_the_instruction(api: Api) -> None:
    cid = file(api, importance="important")
    refused = act(api, "dispatcher", cid, "hand-over", 422, department="信访局", reason="非效能")
    assert "批示" in refused["error"]["message"]
    act(api, "leader", cid, "instruct", instruction="移交信访局")
    assert (
        act(api, "dispatcher", cid, "hand-over", department="信访局", reason="非效能")["status"]
        == "handed_over"
    )


def test_a_higher_centre_takes_over_a_county_case_and_the_county_loses_it(
    api: Api, org: dict[str, Any]
) -> None:
    cid = file(api, user="operator-dongcheng")
    act(api, "operator-dongcheng", cid, "accept")
    # The county cannot take over its own case; the prefecture centre can.
    act(api, "operator-dongcheng", cid, "take-over", 422, reason="提级")
    taken = act(api, "dispatcher", cid, "take-over", reason="涉及县处级领导，提级办理")
    assert taken["complaint"]["owner_unit"]["id"] == org["centre"].id
    assert taken["status"] == "accepted"
    assert api.get("operator-dongcheng", f"/api/v1/complaints/{cid}").status_code == 404
    act(api, "dispatcher", cid, "take-over", 422, reason="again")


def test_returns_are_counted_per_unit_and_the_centre_rules_on_the_dispute(
    api: Api, org: dict[str, Any]
) -> None:
    housing = org["housing"].id
    for _ in range(2):
        cid = file(api)
        act(api, "operator", cid, "accept")
        act(api, "leader", cid, "sign-off", mode="transfer", unit_id=housing)
        act(api, "dispatcher", cid, "dispatch", unit_id=housing, mode="transfer", summary="摘要")
        act(api, "handler-housing", cid, "return", reason="不属于本单位职责")
    # The returning unit no longer sees the case; a dispatcher may not rule on it.
    act(api, "handler-housing", cid, "rule-on-return", 404, upheld=False, reason="x")
    act(api, "dispatcher", cid, "rule-on-return", 403, upheld=False, reason="x")
    overruled = act(
        api, "leader", cid, "rule-on-return", upheld=False, reason="属住建局职责，应予办理"
    )
    assert overruled["status"] == "dispatched"
    assert overruled["complaint"]["handling_unit"]["id"] == housing
    act(api, "handler-housing", cid, "receive")

    figures = api.get("leader", "/api/v1/returns").json()
    row = next(r for r in figures if r["unit_id"] == housing)
    assert (row["returns"], row["upheld"], row["overruled"]) == (2, 0, 1)
    # The bureau sees its own figures; another bureau does not see them.
    assert [r["unit_id"] for r in api.get("head-housing", "/api/v1/returns").json()] == [housing]
    assert api.get("handler-education", "/api/v1/returns").json() == []


def test_findings_carry_factors_and_the_transferred_unit_reports_in_writing(
    api: Api, org: dict[str, Any]
) -> None:
    cid = file(api)
    act(api, "operator", cid, "accept")
    act(api, "leader", cid, "sign-off", mode="transfer")
    act(api, "dispatcher", cid, "dispatch", unit_id=org["housing"].id, mode="transfer", summary="s")
    act(api, "handler-housing", cid, "receive")
    act(api, "handler-housing", cid, "start-handling")
    act(api, "handler-housing", cid, "findings", 422, finding="true", facts="x")
    act(
        api,
        "handler-housing",
        cid,
        "findings",
        finding="substantiated",
        facts="窗口人员三次推诿属实。",
        leniency=["actively_remedied"],
        aggravating=["passive"],
    )
    act(api, "handler-housing", cid, "report", 409, report="too early")
    act(api, "handler-housing", cid, "reply", reply="已为您办结备案并致歉。", channel="sms")
    act(api, "handler-housing", cid, "report", report="经查属实，已批评教育当事人并整改。")
    events = api.get("operator", f"/api/v1/complaints/{cid}/events").json()
    findings = next(e for e in events if e["action"] == "record_findings")
    assert findings["data"] == {
        "finding": "substantiated",
        "leniency": ["actively_remedied"],
        "aggravating": ["passive"],
    }
    reply = next(e for e in events if e["action"] == "reply")
    assert reply["data"]["channel"] == "sms"
    assert events[-1]["action"] == "submit_report"


def test_a_self_handled_complaint_has_no_report_to_the_centre(
    api: Api, org: dict[str, Any]
) -> None:
    cid = file(api)
    act(api, "operator", cid, "accept")
    act(api, "leader", cid, "sign-off", mode="self_handle")
    act(api, "dispatcher", cid, "dispatch", unit_id=org["centre"].id, mode="self_handle")
    act(api, "leader", cid, "receive")
    act(api, "leader", cid, "start-handling")
    act(api, "leader", cid, "reply", reply="已答复", channel="phone")
    refused = act(api, "leader", cid, "report", 422, report="报告")
    assert "转办" in refused["error"]["message"]
