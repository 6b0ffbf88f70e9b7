"""A complaint walked through the API by the people who do each step."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api


def file(api: Api, **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "小区旁工地夜间施工噪音扰民",
        "content": "A市A5区某小区旁工地连续一周夜间施工到凌晨两点，严重影响居民休息，"
        "多次向住建局反映无人处理。",
        "channel": "phone",
        "complained_unit_name": "西州住房和城乡建设局",
        "complainant": {"name": "王小明", "phone": "13812345678"},
        **overrides,
    }
    response = api.post("operator", "/api/v1/complaints", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def act(api: Api, user: str, complaint_id: int, action: str, expect: int = 200, **body: Any) -> Any:
    if action == "dispatch" and expect == 200:
        # Every dispatch needs the leader's sign-off (签批) for its mode first (issue 6).
        signed = api.post(
            "leader", f"/api/v1/complaints/{complaint_id}/sign-off", json={"mode": body["mode"]}
        )
        assert signed.status_code == 200, signed.text
    response = api.post(user, f"/api/v1/complaints/{complaint_id}/{action}", json=body)
    assert response.status_code == expect, response.text
    return response.json()


def test_it_walks_a_complaint_from_filing_to_closure(api: Api, org: dict[str, Any]) -> None:
    filed = file(api)
    cid = filed["id"]
    assert filed["tracking_no"].startswith("TS20261130-")
    assert len(filed["query_code"]) == 8
    assert filed["complaint"]["status"] == "registered"
    assert filed["complaint"]["complainant"]["name"] == "王**"
    assert filed["complaint"]["complainant"]["phone"] == "138****5678"
    # 10 working days from the day after Monday 30 Nov 2026: Monday 14 Dec.
    assert filed["complaint"]["due_at"].startswith("2026-12-14T15:59:59")

    housing = org["housing"].id
    act(api, "operator", cid, "accept", category="delay")
    act(
        api,
        "dispatcher",
        cid,
        "dispatch",
        unit_id=housing,
        mode="transfer",
        summary="群众反映工地夜间施工噪音，请核查处理。",
    )
    act(api, "handler-housing", cid, "receive")
    act(api, "handler-housing", cid, "start-handling")
    act(api, "handler-housing", cid, "notes", note="已联系施工单位，约谈项目经理。")
    act(api, "handler-housing", cid, "reply", reply="已责令夜间停工并罚款。", channel="phone")
    act(api, "callback", cid, "start-callback")
    result = act(api, "callback", cid, "callback", outcome="satisfied")
    assert result["status"] == "closed"
    act(api, "operator", cid, "archive")

    events = api.get("operator", f"/api/v1/complaints/{cid}/events").json()
    assert [e["action"] for e in events] == [
        "file",
        "accept",
        "sign_off",
        "dispatch",
        "receive",
        "start_handling",
        "add_note",
        "reply",
        "start_callback",
        "record_callback",
        "close",
        "archive",
    ]
    assert events[2]["actor_name"] == "中心主任 张伟"
    assert events[3]["actor_name"] == "派单员 李强"
    assert all(e["at"] for e in events)
    final = api.get("operator", f"/api/v1/complaints/{cid}").json()
    assert final["status"] == "archived"
    assert final["closed_at"] is not None


def test_a_handling_unit_sees_the_summary_but_never_the_complainant(
    api: Api, org: dict[str, Any]
) -> None:
    cid = file(api)["id"]
    act(api, "operator", cid, "accept")
    act(
        api,
        "dispatcher",
        cid,
        "dispatch",
        unit_id=org["housing"].id,
        mode="transfer",
        summary="群众反映工地夜间施工噪音。",
    )
    seen = api.get("handler-housing", f"/api/v1/complaints/{cid}").json()
    assert seen["summary"] == "群众反映工地夜间施工噪音。"
    assert seen["content"] is None
    assert seen["complainant"] is None
    timeline = str(api.get("handler-housing", f"/api/v1/complaints/{cid}/events").json())
    assert "小明" not in timeline and "5678" not in timeline


def test_another_unit_cannot_see_or_touch_the_complaint(api: Api, org: dict[str, Any]) -> None:
    cid = file(api)["id"]
    act(api, "operator", cid, "accept")
    act(
        api,
        "dispatcher",
        cid,
        "dispatch",
        unit_id=org["housing"].id,
        mode="transfer",
        summary="摘要",
    )
    assert api.get("handler-education", f"/api/v1/complaints/{cid}").status_code == 404
    act(api, "handler-education", cid, "receive", expect=404)
    listed = api.get("handler-education", "/api/v1/complaints").json()
    assert listed["items"] == []


def test_a_wrong_dispatch_is_returned_with_a_reason_and_redispatched(
    api: Api, org: dict[str, Any]
) -> None:
    cid = file(api)["id"]
    act(api, "operator", cid, "accept")
    act(
        api,
        "dispatcher",
        cid,
        "dispatch",
        unit_id=org["education"].id,
        mode="transfer",
        summary="摘要",
    )
    refused = act(api, "handler-education", cid, "return", expect=422, reason="")
    assert "退单理由" in refused["error"]["message"]
    returned = act(api, "handler-education", cid, "return", reason="施工噪音不属于教育局职责")
    assert returned["status"] == "returned"
    assert returned["complaint"] is None  # it has left the education bureau
    again = act(
        api,
        "dispatcher",
        cid,
        "dispatch",
        unit_id=org["housing"].id,
        mode="transfer",
        summary="摘要",
    )
    assert again["complaint"]["return_count"] == 1
    assert again["complaint"]["handling_unit"]["id"] == org["housing"].id


def test_an_extension_is_approved_by_a_leader_and_capped_at_thirty_working_days(
    api: Api, org: dict[str, Any]
) -> None:
    cid = file(api)["id"]
    act(api, "operator", cid, "accept")
    act(api, "dispatcher", cid, "dispatch", unit_id=org["centre"].id, mode="self_handle")
    act(api, "leader", cid, "receive")
    act(api, "leader", cid, "start-handling")
    act(api, "handler-housing", cid, "request-extension", expect=404, working_days=5, reason="x")
    # The centre's own leader handles it here; a centre handler would do the same.
    refused = act(
        api, "leader", cid, "request-extension", expect=403, working_days=5, reason="需要现场勘验"
    )
    assert refused["error"]["code"] == "forbidden"


def test_an_illegal_action_names_the_state_and_the_action(api: Api) -> None:
    cid = file(api)["id"]
    error = act(api, "callback", cid, "start-callback", expect=409)["error"]
    assert error["code"] == "illegal_transition"
    assert error["status"] == "registered"
    assert error["action"] == "start_callback"
    assert "已登记" in error["message"]


def test_a_stale_version_gets_409_with_the_current_state(api: Api) -> None:
    filed = file(api)
    cid, version = filed["id"], filed["complaint"]["version"]
    act(api, "operator", cid, "accept", expected_version=version)
    conflict = act(
        api, "operator", cid, "notes", expect=409, expected_version=version, note="基于旧版本的记录"
    )
    assert conflict["error"]["code"] == "version_conflict"
    assert conflict["current"] == {"status": "accepted", "version": version + 1}


def test_a_failed_callback_reopens_and_counts_double(api: Api, org: dict[str, Any]) -> None:
    cid = file(api)["id"]
    act(api, "operator", cid, "accept")
    act(
        api,
        "dispatcher",
        cid,
        "dispatch",
        unit_id=org["housing"].id,
        mode="transfer",
        summary="摘要",
    )
    for step in ("receive", "start-handling"):
        act(api, "handler-housing", cid, step)
    act(api, "handler-housing", cid, "reply", reply="已处理", channel="sms")
    act(api, "callback", cid, "start-callback")
    reopened = act(
        api,
        "callback",
        cid,
        "callback",
        outcome="unsatisfied",
        unsolved_and_true=True,
        note="噪音仍在持续",
    )
    assert reopened["status"] == "in_progress"
    assert reopened["complaint"]["double_deduction"] is True
    assert reopened["complaint"]["reopen_count"] == 1


def test_an_appeal_opens_a_linked_case_at_the_next_level_up(api: Api, org: dict[str, Any]) -> None:
    county = org["dongcheng"]
    response = api.post(
        "operator-dongcheng",
        "/api/v1/complaints",
        json={"content": "县教育局乱收费", "channel": "walk_in"},
    )
    assert response.status_code == 201, response.text
    filed = response.json()
    cid = filed["id"]
    assert filed["complaint"]["owner_unit"]["id"] == county.id
    act(
        api,
        "operator-dongcheng",
        cid,
        "reject",
        explanation="不属于受理范围",
        competent_authority="东城县信访局",
    )
    status = api.client.post(
        "/api/v1/public/appeal",
        json={
            "tracking_no": filed["tracking_no"],
            "query_code": filed["query_code"],
            "reason": "我认为属于乱收费，应当受理",
        },
    )
    assert status.status_code == 201, status.text
    new_no = status.json()["tracking_no"]
    # The prefecture centre sees the new case and, through it, the old one.
    page = api.get("operator", "/api/v1/complaints", params={"tracking_no": new_no}).json()
    new_case = page["items"][0]
    assert new_case["owner_unit"]["id"] == org["centre"].id
    assert new_case["appeal_of_id"] == cid
    old_events = api.get("operator", f"/api/v1/complaints/{cid}/events").json()
    assert old_events[-1]["action"] == "appeal"
    assert old_events[-1]["data"]["new_tracking_no"] == new_no
    # The county does not see the case filed above it.
    assert api.get("operator-dongcheng", f"/api/v1/complaints/{new_case['id']}").status_code == 404
    # A second appeal of the same case is refused and files nothing: it goes on the new case.
    again = api.client.post(
        "/api/v1/public/appeal",
        json={
            "tracking_no": filed["tracking_no"],
            "query_code": filed["query_code"],
            "reason": "再申诉一次",
        },
    )
    assert again.status_code == 422, again.text
    assert new_no in again.json()["error"]["message"]
    listed = api.get("operator", "/api/v1/complaints").json()["items"]
    assert sum(1 for c in listed if c.get("appeal_of_id") == cid) == 1


def test_a_retried_filing_with_the_same_idempotency_key_files_once(api: Api) -> None:
    body = {"content": "窗口工作人员态度恶劣", "channel": "phone"}
    headers = {**api.headers("operator"), "Idempotency-Key": "call-20261130-0001"}
    first = api.client.post("/api/v1/complaints", json=body, headers=headers)
    again = api.client.post("/api/v1/complaints", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["tracking_no"] == first.json()["tracking_no"]
    assert again.json()["query_code"] == first.json()["query_code"]
    listed = api.get("operator", "/api/v1/complaints").json()["items"]
    assert len(listed) == 1
    other = api.client.post(
        "/api/v1/complaints", json={**body, "content": "另一件事"}, headers=headers
    )
    assert other.status_code == 422
