"""KPI figures of a hand-built month, walked through the API, drilled down to the complaints
behind them, exported to Excel and printed in the monthly report (SPEC §7, §8.1)."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook

from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.kernel.time import FixedClock
from tests.conftest import Api
from tests.e2e.test_lifecycle_api import act, file

PERIOD = "2026-12"


def dispatch(api: Api, cid: int, unit_id: int) -> None:
    act(
        api,
        "dispatcher",
        cid,
        "dispatch",
        unit_id=unit_id,
        mode="transfer",
        summary="群众反映有关问题，请核查处理。",
    )


def reply_and_callback(api: Api, user: str, cid: int, outcome: str, **extra: Any) -> None:
    act(api, user, cid, "reply", reply="已核查处理并答复。", channel="phone")
    act(api, "callback", cid, "start-callback")
    act(api, "callback", cid, "callback", outcome=outcome, **extra)


@pytest.fixture
def month(api: Api, org: dict[str, Any], clock: FixedClock) -> dict[str, int]:
    """Five complaints in December 2026 (hand-counted figures in the tests below).

    C1 housing: signed the same day, replied, satisfied.
    C2 housing: signed three days late, extension approved, callback "unsolved and true"
        (reopened), replied again, basically satisfied.
    C3 housing returned it; re-dispatched to education, signed the same day.
    C4 housing: signed the same day, still being handled.
    C5 education: signed the same day, replied after the deadline, satisfied.
    """
    housing, education = org["housing"].id, org["education"].id
    clock.moment = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)  # Tuesday
    ids = {}
    for i, name in enumerate(("C1", "C2", "C3", "C4", "C5")):
        # five different complainants: the same caller twice would be linked as a repeat
        ids[name] = file(api, complainant={"name": "王小明", "phone": f"1381234567{i}"})["id"]
        act(api, "operator", ids[name], "accept")
        dispatch(api, ids[name], education if name == "C5" else housing)
    clock.advance(hours=2)
    for name in ("C1", "C4"):
        act(api, "handler-housing", ids[name], "receive")
        act(api, "handler-housing", ids[name], "start-handling")
    reply_and_callback(api, "handler-housing", ids["C1"], "satisfied")
    act(api, "handler-education", ids["C5"], "receive")
    act(api, "handler-education", ids["C5"], "start-handling")
    act(api, "handler-housing", ids["C3"], "return", reason="不属于本单位职责")
    dispatch(api, ids["C3"], education)
    act(api, "handler-education", ids["C3"], "receive")

    clock.moment = datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI)  # Friday: 3 days later
    api.tokens.clear()  # sign in again: yesterday's tokens have expired
    c2 = ids["C2"]
    act(api, "handler-housing", c2, "receive")
    act(api, "handler-housing", c2, "start-handling")
    act(api, "handler-housing", c2, "request-extension", working_days=5, reason="需现场勘验")
    act(api, "leader", c2, "approve-extension")
    reply_and_callback(api, "handler-housing", c2, "unsatisfied", unsolved_and_true=True)
    reply_and_callback(api, "handler-housing", c2, "basically_satisfied")

    # C5 was signed for on 1 Dec: due at the end of the 10th working day, Tue 15 Dec.
    clock.moment = datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI)
    api.tokens.clear()
    reply_and_callback(api, "handler-education", ids["C5"], "satisfied")
    return ids


def unit_row(api: Api, user: str, unit_id: int) -> dict[str, Any]:
    response = api.get(user, "/api/v1/kpis/hotline", params={"period": PERIOD})
    assert response.status_code == 200, response.text
    return next(u for u in response.json()["units"] if u["unit_id"] == unit_id)


def test_the_hotline_figures_match_the_hand_count(
    api: Api, org: dict[str, Any], month: dict[str, int]
) -> None:
    housing = unit_row(api, "supervisor", org["housing"].id)
    assert housing["counts"] == {
        "received": 4,
        "responded": 2,
        "repeat": 0,
        "returns": 1,
        "closed": 2,
        "closed_on_time": 2,
        "resolved": 2,
        "rated": 3,
        "satisfied": 2,
        "callback_failures": 1,
        "extensions": 1,
        "reminders": 0,
        "supervisions": 0,
        "listed_supervisions": 0,
    }
    assert housing["rates"] == {
        "response_rate": "50.00",
        "on_time_rate": "100.00",
        "resolution_rate": "100.00",
        "satisfaction_rate": "66.67",
        "repeat_rate": "0.00",
    }
    education = unit_row(api, "leader", org["education"].id)
    assert education["counts"]["received"] == 2
    assert education["counts"]["responded"] == 2
    assert education["counts"]["closed"] == 1
    assert education["rates"]["on_time_rate"] == "0.00"
    assert education["rates"]["satisfaction_rate"] == "100.00"


def test_every_figure_drills_down_to_exactly_the_complaints_it_counts(
    api: Api, org: dict[str, Any], month: dict[str, int]
) -> None:
    housing = org["housing"].id
    figures = unit_row(api, "supervisor", housing)["counts"]
    for figure, count in figures.items():
        response = api.get(
            "supervisor",
            "/api/v1/kpis/drilldown",
            params={"period": PERIOD, "figure": figure, "unit_id": housing},
        )
        assert response.status_code == 200, response.text
        assert response.json()["count"] == count == len(response.json()["items"]), figure
    responded = api.get(
        "supervisor",
        "/api/v1/kpis/drilldown",
        params={"period": PERIOD, "figure": "responded", "unit_id": housing},
    ).json()
    assert {i["complaint_id"] for i in responded["items"]} == {month["C1"], month["C4"]}
    assert all(i["tracking_no"].startswith("TS2026120") for i in responded["items"])
    failures = api.get(
        "supervisor",
        "/api/v1/kpis/drilldown",
        params={"period": PERIOD, "figure": "callback_failures", "unit_id": housing},
    ).json()
    assert [i["complaint_id"] for i in failures["items"]] == [month["C2"]]
    unknown = api.get(
        "supervisor",
        "/api/v1/kpis/drilldown",
        params={"period": PERIOD, "figure": "happiness", "unit_id": housing},
    )
    assert unknown.status_code == 422
    assert "未知指标" in unknown.json()["error"]["message"]


def test_the_kpis_download_as_excel_and_the_drilldown_too(
    api: Api, org: dict[str, Any], month: dict[str, int]
) -> None:
    response = api.get("supervisor", "/api/v1/kpis/export.xlsx", params={"period": PERIOD})
    assert response.status_code == 200, response.text
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["热线指标", "预处理", "分公司考核", "月度趋势"]
    sheet = book["热线指标"]
    headers = [c.value for c in sheet[3]]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    housing = dict(zip(headers, rows["housing"], strict=True))
    assert housing["单位 unit"] == "西州住房和城乡建设局"
    assert housing["受理（派单）数 / dispatched to the unit received"] == 4
    assert float(housing["签收率% response"]) == 50.0
    assert float(housing["满意率% satisfaction"]) == 66.67
    trend = list(book["月度趋势"].iter_rows(min_row=2, values_only=True))
    assert trend[-1] == ("2026-12", 5)
    assert len(trend) == 12

    detail = api.get(
        "supervisor",
        "/api/v1/kpis/drilldown",
        params={
            "period": PERIOD,
            "figure": "received",
            "unit_id": org["housing"].id,
            "format": "xlsx",
        },
    )
    rows = list(
        load_workbook(BytesIO(detail.content)).active.iter_rows(min_row=4, values_only=True)
    )
    assert len(rows) == 4
    assert {r[0] for r in rows} == {month["C1"], month["C2"], month["C3"], month["C4"]}


def test_the_monthly_report_prints_the_figures_with_the_charts(
    api: Api, org: dict[str, Any], month: dict[str, int]
) -> None:
    api.post(
        "evaluator",
        "/api/v1/evaluations/assessments",
        json={
            "items": [
                {
                    "unit_id": org["police"].id,
                    "period": PERIOD,
                    "method": "concentrated",
                    "counts": {"excellent": 3, "good": 1},
                }
            ]
        },
    )
    response = api.get("leader", "/api/v1/reports/monthly", params={"period": PERIOD})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "2026年12月投诉处理与效能考评月度报告" in page
    assert '<strong id="month-total">5</strong>' in page
    assert page.count("<svg") == 2  # the trend and the law-enforcement ranking
    assert "@page" in page
    # Police: (3 × 90 + 75) / 360 × 80 + 20 = 96.67, in the table and in the chart.
    assert page.count("96.67") >= 2
    assert "西州住房和城乡建设局" in page and "66.67%" in page

    svg = api.get("leader", "/api/v1/reports/charts/trend.svg", params={"period": PERIOD})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "2026-12" in svg.text
    png = api.get(
        "leader",
        "/api/v1/reports/charts/ranking.png",
        params={"period": PERIOD, "category": "law_enforcement"},
    )
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert (
        api.get("leader", "/api/v1/reports/charts/trend.gif", params={"period": PERIOD}).status_code
        == 422
    )


def test_a_handler_cannot_read_the_kpis(api: Api, org: dict[str, Any]) -> None:
    response = api.get("handler-housing", "/api/v1/kpis/hotline", params={"period": PERIOD})
    assert response.status_code == 403
    assert "not allowed" in response.json()["error"]["message"]
