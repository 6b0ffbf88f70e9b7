"""Intake through the API: operator registration, groups, proxies, idempotency, repeats,
attachments and the bad-input list of issue 4."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from complaintdesk.bootstrap import Container
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.intake.tables import RepresentativeRow
from tests.conftest import Api
from tests.e2e.test_lifecycle_api import act

TEXT = "西州住建局窗口工作人员连续三次以材料不全为由拒收申请，却不一次性告知需补哪些材料。"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def register(
    api: Api, expect: int = 201, headers: dict[str, str] | None = None, **body: Any
) -> Any:
    payload = {"content": TEXT, "channel": "phone", **body}
    response = api.client.post(
        "/api/v1/intake/complaints",
        json=payload,
        headers={**api.headers("operator"), **(headers or {})},
    )
    assert response.status_code == expect, response.text
    return response.json()


def count(container: Container, model: Any = ComplaintRow) -> int:
    with container.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_an_operator_registers_a_walk_in_by_proxy(api: Api, container: Container) -> None:
    filed = register(
        api,
        channel="walk_in",
        complainant={
            "name": "王小明",
            "phone": "13812345678",
            "proxy": {"name": "王大明", "phone": "13900001111", "relation": "兄弟"},
        },
    )
    seen = api.get("operator", f"/api/v1/complaints/{filed['id']}").json()
    assert seen["channel"] == "walk_in"
    assert seen["complainant"]["proxy"] is True
    revealed = api.post(
        "leader", f"/api/v1/complaints/{filed['id']}/reveal-identity", json={"reason": "核实委托"}
    ).json()
    assert revealed["complainant"]["proxy"]["name"] == "王大明"


def test_a_group_complaint_keeps_up_to_three_representatives(api: Api) -> None:
    reps = [
        {"name": n, "phone": "1380000000" + str(i)} for i, n in enumerate(["张三", "李四", "王五"])
    ]
    filed = register(api, channel="walk_in", group={"member_count": 40, "representatives": reps})
    group = api.get("operator", f"/api/v1/complaints/{filed['id']}/group").json()["group"]
    assert group["member_count"] == 40
    assert [r["ordinal"] for r in group["representatives"]] == [1, 2, 3]
    assert group["representatives"][0]["name"] == "张*"


def test_it_refuses_a_fourth_representative_and_stores_nothing(
    api: Api, container: Container
) -> None:
    reps = [{"name": n} for n in ["张三", "李四", "王五", "赵六"]]
    body = register(api, 422, group={"member_count": 40, "representatives": reps})
    assert "最多推选3名代表" in body["error"]["message"]
    assert "at most 3 representatives" in body["error"]["message"]
    assert count(container) == 0
    assert count(container, RepresentativeRow) == 0


def test_a_retried_request_with_the_same_idempotency_key_files_one_complaint(
    api: Api, container: Container
) -> None:
    key = {"Idempotency-Key": "retry-7f3c"}
    first = register(api, headers=key)
    again = register(api, 200, headers=key)
    assert again["id"] == first["id"]
    assert again["tracking_no"] == first["tracking_no"]
    assert again["query_code"] == first["query_code"]
    assert again["replayed"] is True
    assert count(container) == 1
    other = register(api, 422, headers=key, content="另一件完全不同的投诉内容。")
    assert "Idempotency-Key" in other["error"]["message"]
    assert count(container) == 1


def test_the_public_api_honours_the_idempotency_key_too(api: Api, container: Container) -> None:
    body = {"content": TEXT, "complainant": {"phone": "13812345678"}}
    headers = {"Idempotency-Key": "web-1"}
    first = api.client.post("/api/v1/public/complaints", json=body, headers=headers)
    second = api.client.post("/api/v1/public/complaints", json=body, headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json() == second.json()
    assert count(container) == 1


def test_a_near_identical_complaint_from_the_same_phone_is_linked_not_merged(
    api: Api, container: Container
) -> None:
    person = {"name": "王小明", "phone": "13812345678"}
    first = register(api, complainant=person)
    second = register(api, complainant=person, content=TEXT.replace("三次", "3次") + "！")
    third = register(api, complainant=person, content=TEXT + "请尽快处理。")
    other_matter = register(api, complainant=person, content="小区门口路灯坏了一个月没人修。")
    stranger = register(api, complainant={"phone": "13700000000"})
    assert second["repeat_of"]["id"] == first["id"]
    assert third["repeat_of"]["id"] == first["id"]  # every repeat points at the first
    assert other_matter["repeat_of"] is None and stranger["repeat_of"] is None
    assert count(container) == 5  # never merged
    seen = api.get("operator", f"/api/v1/complaints/{second['id']}").json()
    assert seen["repeat_of_id"] == first["id"]
    timeline = api.get("operator", f"/api/v1/complaints/{second['id']}/events").json()
    assert [e["action"] for e in timeline] == ["file", "link_repeat"]
    counts = api.get("operator", "/api/v1/intake/repeats").json()
    assert counts == {"complaints": 5, "repeats": 2, "repeated_originals": 1}


def test_attachments_are_stored_with_a_checksum_and_served_only_to_the_centre(
    api: Api, container: Container, org: dict[str, Any]
) -> None:
    import hashlib

    cid = register(api)["id"]
    url = f"/api/v1/complaints/{cid}/attachments"
    up = api.post("operator", url, files={"file": ("现场照片.png", PNG, "image/png")})
    assert up.status_code == 201, up.text
    meta = up.json()
    assert meta["sha256"] == hashlib.sha256(PNG).hexdigest()
    stored = container.settings.attachments_dir / meta["sha256"][:2] / meta["sha256"]
    assert stored.read_bytes() == PNG
    got = api.get("operator", f"{url}/{meta['id']}")
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    # a county centre outside the jurisdiction: not found; a handling unit: refused
    assert api.get("operator-dongcheng", f"{url}/{meta['id']}").status_code == 404
    act(api, "operator", cid, "accept")
    act(
        api,
        "dispatcher",
        cid,
        "dispatch",
        unit_id=org["housing"].id,
        mode="transfer",
        summary="请核查窗口拒收问题。",
    )
    assert api.get("handler-housing", f"{url}/{meta['id']}").status_code == 403


def test_it_refuses_attachments_of_the_wrong_type_or_size(api: Api) -> None:
    cid = register(api)["id"]
    url = f"/api/v1/complaints/{cid}/attachments"
    exe = api.post("operator", url, files={"file": ("photo.png", b"MZ\x90\x00" * 10, "image/png")})
    assert exe.status_code == 422
    assert "类型不被接受" in exe.json()["error"]["message"]
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    too_big = api.post("operator", url, files={"file": ("a.pdf", big, "application/pdf")})
    assert too_big.status_code == 422
    assert "10MB" in too_big.json()["error"]["message"]
    assert api.get("operator", url).json() == []


def test_bad_text_gets_a_clear_422_and_nothing_is_stored(api: Api, container: Container) -> None:
    cases = {
        "empty": (422, "   ", "不能为空"),
        "too long": (422, "投" * 100_000, None),
        # 3 MB of JSON: refused at the edge before it is read (docs/reliability.md)
        "one megabyte": (413, "投" * 1_000_000, "2MB"),
        "binary garbage": (422, "\x00\x01\x02\x03\x04\x05PK\x03\x04" * 20, "二进制"),
    }
    for _name, (status, content, expected) in cases.items():
        body = register(api, status, content=content)
        assert body["error"]["message"]
        if expected:
            assert expected in body["error"]["message"]
    assert count(container) == 0


def test_html_and_sql_looking_text_is_stored_verbatim_as_data(api: Api) -> None:
    script = "<script>alert('x')</script> 窗口人员态度恶劣"
    sql = "'; DROP TABLE complaints; -- 乱收费"
    for content in (script, sql):
        filed = register(api, content=content)
        seen = api.get("operator", f"/api/v1/complaints/{filed['id']}").json()
        assert seen["content"] == content
    assert len(api.get("operator", "/api/v1/complaints").json()["items"]) == 2


def test_an_uploaded_spreadsheet_is_imported_and_a_malformed_one_refused(
    api: Api, container: Container
) -> None:
    csv_text = (
        "留言编号,留言用户,留言主题,留言时间,留言详情\n"
        "1,U1,路灯坏了,2026-11-01 10:00:00,路灯坏了一个月\n"
    )
    files = {"file": ("msgs.csv", csv_text.encode("gb18030"), "text/csv")}
    ok = api.post("operator", "/api/v1/intake/imports", files=files)
    assert ok.status_code == 200, ok.text
    assert ok.json()["imported"] == 1 and ok.json()["encoding"] == "gb18030"
    broken = {
        "file": ("msgs.xlsx", b"PK\x03\x04 this is not a workbook", "application/octet-stream")
    }
    bad = api.post("operator", "/api/v1/intake/imports", files=broken)
    assert bad.status_code == 422
    assert "无法读取Excel文件" in bad.json()["error"]["message"]
    assert count(container) == 1
    assert count(container, ComplaintEventRow) == 1
