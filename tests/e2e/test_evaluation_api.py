"""An evaluator enters a month of unit assessments; supervisors read the ranked table,
download it as Excel and see it in the monthly report (SPEC §8.2)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook, load_workbook

from tests.conftest import Api

PERIOD = "2026-12"
# Concentrated assessments only (excellent, good, fair, poor, bad): the other methods are
# missing, so the weights re-normalise to the concentrated method alone.
CONCENTRATED = {
    "market": (10, 0, 0, 0, 0),  # 90/90 × 80 + 20 = 100
    "culture": (10, 0, 0, 0, 0),  # 100, tied first
    "emergency": (8, 2, 0, 0, 0),  # 870/900 × 80 + 20 = 97.33
    "transport": (5, 5, 0, 0, 0),  # 825/900 × 80 + 20 = 93.33
    "agriculture": (2, 8, 0, 0, 0),  # 780/900 × 80 + 20 = 89.33
    "hrss": (6, 0, 4, 0, 0),  # 780/900 → 89.33, tied with agriculture
    "ecology": (0, 10, 0, 0, 0),  # 86.67
    "resources": (0, 0, 10, 0, 0),  # 73.33
    "water": (0, 0, 10, 0, 0),  # 73.33
    "housing": (0, 5, 5, 0, 0),  # 675/900 × 80 + 20 − 10 (refused) = 70.00
    "urban": (0, 0, 0, 10, 0),  # 60.00
    "tax": (0, 0, 0, 0, 10),  # 46.67
}
# SPEC §8.2 worked example (docs/evaluation.md 1.2): 81.11 with all four methods.
POLICE = {
    "即时测评": (6, 3, 1, 0, 0),
    "综合测评": (2, 1, 0, 0, 0),
    "明察暗访": (0, 1, 0, 1, 0),
    "集中测评": (10, 5, 3, 1, 1),
}


def workbook(rows: list[list[Any]], rect_rows: list[list[Any]] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "测评"
    sheet.append(["单位编码 / unit_code", "月份", "测评方法", "优", "良", "一般", "较差", "差"])
    for row in rows:
        sheet.append(row)
    if rect_rows is not None:
        rect = book.create_sheet("整改")
        rect.append(["单位编码", "月份", "整改情况", "投诉编号", "说明"])
        for row in rect_rows:
            rect.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def upload(api: Api, user: str, content: bytes, **params: Any) -> Any:
    return api.post(
        user,
        "/api/v1/evaluations/import",
        params=params,
        files={"file": ("测评.xlsx", content, "application/octet-stream")},
    )


def enter_month(api: Api, org: dict[str, Any]) -> None:
    rows: list[list[Any]] = [[code, PERIOD, "集中测评", *c] for code, c in CONCENTRATED.items()]
    rows += [["police", PERIOD, method, *c] for method, c in POLICE.items()]
    rects = [
        ["police", PERIOD, "未按时或未整改到位", None, "逾期一周"],
        ["police", PERIOD, "not_rectified_after_supervision", None, ""],
        ["housing", PERIOD, "拒不整改", None, "无正当理由"],
    ]
    response = upload(api, "evaluator", workbook(rows, rects))
    assert response.status_code == 201, response.text
    assert response.json() == {"assessments": 16, "rectifications": 3, "periods": [PERIOD]}
    education = org["education"].id
    response = api.post(
        "evaluator",
        "/api/v1/evaluations/assessments",
        json={
            "items": [
                {
                    "unit_id": education,
                    "period": PERIOD,
                    "method": "concentrated",
                    "counts": {"excellent": 9, "good": 1},
                },
                {"unit_id": education, "period": PERIOD, "method": "instant", "grade": "excellent"},
            ]
        },
    )
    assert response.status_code == 201, response.text


def by_code(table: dict[str, Any], category: str) -> dict[str, dict[str, Any]]:
    block = next(c for c in table["categories"] if c["category"] == category)
    return {u["unit_code"]: u for u in block["units"]}


def test_a_month_of_assessments_gives_the_ranked_table_with_outcomes(
    api: Api, org: dict[str, Any]
) -> None:
    enter_month(api, org)
    response = api.get("supervisor", "/api/v1/evaluations/ranking", params={"period": PERIOD})
    assert response.status_code == 200, response.text
    law = by_code(response.json(), "law_enforcement")

    assert law["police"]["total"] == "81.11"
    assert law["police"]["overall_satisfaction"] == "86.39"
    assert law["police"]["rectification"] == 12
    assert law["housing"]["total"] == "70.00"
    assert {c: law[c]["rank"] for c in law} == {
        "market": 1,
        "culture": 1,
        "emergency": 3,
        "transport": 4,
        "agriculture": 5,
        "hrss": 5,
        "ecology": 7,
        "police": 8,
        "resources": 9,
        "water": 9,
        "housing": 11,
        "urban": 12,
        "tax": 13,
        "tobacco": None,
    }
    outcomes = {c: law[c]["outcome"] for c in law}
    assert [c for c, o in outcomes.items() if o == "commended"] == [
        "market",
        "culture",
        "emergency",
        "transport",
        "agriculture",
        "hrss",
    ]
    # 70 itself is "at least 70": the written explanation, not accountability.
    assert outcomes["housing"] == "explain"
    assert outcomes["urban"] == outcomes["tax"] == "accountable"
    assert outcomes["resources"] == outcomes["water"] == outcomes["ecology"] == "none"
    assert outcomes["tobacco"] == "not_rated"
    assert law["market"]["missing_methods"] == ["instant", "monthly", "inspection"]

    comprehensive = by_code(response.json(), "comprehensive_management")
    # (0.2 × 1 + 0.5 × 885/900) ÷ 0.7 × 80 + 20 = 99.047…
    assert comprehensive["education"]["total"] == "99.05"
    assert comprehensive["education"]["satisfaction"]["instant"] == "100.00"
    assert comprehensive["education"]["outcome"] == "commended"


def test_the_ranking_downloads_as_excel_with_the_same_figures(
    api: Api, org: dict[str, Any]
) -> None:
    enter_month(api, org)
    response = api.get("leader", "/api/v1/evaluations/export.xlsx", params={"period": PERIOD})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["行政执法类排名", "综合管理类排名", "测评", "整改"]
    sheet = book["行政执法类排名"]
    assert "2026年12月行政执法类科室测评排名" in sheet["A1"].value
    assert sheet["A3"].value.startswith("名次")
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    police = next(r for r in rows if r[1] == "police")
    assert police[0] == 8
    assert police[2] == "西州公安局"
    assert float(police[10]) == 81.11
    assert police[11] == "—"
    first = rows[0]
    assert (first[0], float(first[10]), first[11]) == (1, 100.0, "满意科室，通报表扬")
    assert len(book["测评"]["A"]) == 1 + 16 + 2
    assert [c.value for c in book["整改"]["C"]][1:] == [
        "未按时或未整改到位",
        "二次督办或挂牌督办后仍未整改到位",
        "拒不整改且无正当理由",
    ]


def test_bad_rows_are_reported_per_row_and_nothing_is_stored(api: Api, org: dict[str, Any]) -> None:
    rows = [
        ["police", PERIOD, "集中测评", 3, 2, 0, 0, 0],  # fine on its own
        ["nosuch", PERIOD, "集中测评", 1, 0, 0, 0, 0],
        ["market", "2026-13", "集中测评", 1, 0, 0, 0, 0],
        ["culture", PERIOD, "电话抽查", 1, 0, 0, 0, 0],
        ["ecology", PERIOD, "综合测评", -1, "三", 0, 0, 0],
        ["water", PERIOD, "明察暗访", 0, 0, 0, 0, 0],
    ]
    response = upload(api, "evaluator", workbook(rows, [["police", PERIOD, "不知道", None, ""]]))
    assert response.status_code == 422
    error = response.json()["error"]
    assert "未保存任何数据" in error["message"] and "nothing was stored" in error["message"]
    by_row = {(e["sheet"], e["row"]): e["message"] for e in error["rows"]}
    assert "nosuch" in by_row[("测评", 3)]
    assert "YYYY-MM" in by_row[("测评", 4)]
    assert "电话抽查" in by_row[("测评", 5)]
    assert "excellent" in by_row[("测评", 6)] or "good" in by_row[("测评", 6)]
    assert "至少要有一次测评" in by_row[("测评", 7)]
    assert "不知道" in by_row[("整改", 2)]
    assert ("测评", 2) not in by_row
    stored = api.get("evaluator", "/api/v1/evaluations/assessments", params={"period": PERIOD})
    assert stored.json() == []


def test_only_evaluators_and_admins_record_and_handlers_read_nothing(
    api: Api, org: dict[str, Any]
) -> None:
    body = {
        "items": [
            {"unit_id": org["police"].id, "period": PERIOD, "method": "instant", "grade": "good"}
        ]
    }
    assert api.post("supervisor", "/api/v1/evaluations/assessments", json=body).status_code == 403
    assert api.post("admin", "/api/v1/evaluations/assessments", json=body).status_code == 201
    assert (
        api.get(
            "handler-housing", "/api/v1/evaluations/ranking", params={"period": PERIOD}
        ).status_code
        == 403
    )
    centre = org["centre"].id
    refused = api.post(
        "evaluator",
        "/api/v1/evaluations/assessments",
        json={
            "items": [{"unit_id": centre, "period": PERIOD, "method": "instant", "grade": "good"}]
        },
    )
    assert refused.status_code == 422
    assert "未设置考评类别" in refused.json()["error"]["message"]
    bad_period = api.get("leader", "/api/v1/evaluations/ranking", params={"period": "12/2026"})
    assert bad_period.status_code == 422
    assert "YYYY-MM" in bad_period.json()["error"]["message"]
