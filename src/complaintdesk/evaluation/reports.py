"""Outputs of the evaluation feature: Excel workbooks, charts and the monthly report page.

Every number comes from `evaluation.service`, `evaluation.kpis` and `telecom.kpis`, so the
dashboard, the workbook, the chart and the report always show the same figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from complaintdesk.clock.deadlines import SHANGHAI, WorkingCalendar
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.evaluation import charts, kpis
from complaintdesk.evaluation import report_page as html
from complaintdesk.evaluation import service as evaluation
from complaintdesk.evaluation.scoring import Category, Grade, Method
from complaintdesk.evaluation.service import GRADE_LABELS, METHOD_LABELS, Period
from complaintdesk.io import excel
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.org.model import Actor
from complaintdesk.org.tables import UnitRow
from complaintdesk.telecom import kpis as telecom_kpis

TREND_MONTHS = 12
MAX_TREND_MONTHS = 60


def _category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        valid = ", ".join(c.value for c in Category)
        raise InvalidInput(f"未知考评类别 / unknown category; valid: {valid}") from None


# --- charts ----------------------------------------------------------------------------------


def trend_chart(
    uow: SqlUnitOfWork,
    actor: Actor,
    period: Period,
    calendar: WorkingCalendar,
    *,
    months: int = TREND_MONTHS,
    fmt: charts.Format = "svg",
) -> bytes:
    if not 1 <= months <= MAX_TREND_MONTHS:
        raise InvalidInput(f"月数应在1到{MAX_TREND_MONTHS}之间 / months must be 1–60")
    points = kpis.trend(uow, kpis.context(uow, actor, period, calendar), months)
    return charts.trend_chart(points, "各月受理投诉件数 / complaints per month", fmt)


def _ranking_bars(category: dict[str, Any]) -> list[charts.Bar]:
    return [
        charts.Bar(u["unit_name"], u["total"], u["outcome"])
        for u in category["units"]
        if u["total"] is not None
    ]


def ranking_chart(
    uow: SqlUnitOfWork, actor: Actor, period: Period, category: str, fmt: charts.Format = "svg"
) -> bytes:
    wanted = _category(category)
    table = evaluation.ranking(uow, actor, period)
    block = next(c for c in table["categories"] if c["category"] == wanted.value)
    title = f"{period.label}{block['label']}科室测评总得分 / ranking"
    return charts.ranking_chart(_ranking_bars(block), title, fmt)


# --- Excel -----------------------------------------------------------------------------------

RANKING_HEADERS = [
    "名次 rank",
    "单位编码 unit_code",
    "单位 unit",
    *[f"{METHOD_LABELS[m]}满意度% {m.value}" for m in Method],
    "综合满意度% overall",
    "缺少的测评 missing",
    "整改得分 rectification",
    "总得分 total",
    "结果 outcome",
    "并列跨界 tied_at_boundary",
]


def _ranking_sheet(block: dict[str, Any], period: Period) -> excel.Sheet:
    rows = [
        [
            u["rank"],
            u["unit_code"],
            u["unit_name"],
            *[u["satisfaction"][m.value] for m in Method],
            u["overall_satisfaction"],
            ",".join(u["missing_methods"]),
            u["rectification"],
            u["total"],
            u["outcome_label"],
            "是" if u["tied_at_boundary"] else "",
        ]
        for u in block["units"]
    ]
    return excel.Sheet(
        f"{block['label']}排名",
        RANKING_HEADERS,
        rows,
        caption=f"{period.label}{block['label']}科室测评排名 / unit ranking {period}",
        widths={3: 30, 13: 30},
    )


def evaluation_workbook(uow: SqlUnitOfWork, actor: Actor, period: Period) -> bytes:
    table = evaluation.ranking(uow, actor, period)
    sheets = [_ranking_sheet(block, period) for block in table["categories"]]
    assessments = evaluation.list_assessments(uow, actor, period)
    sheets.append(
        excel.Sheet(
            "测评",
            ["单位编码", "月份", "测评方法", *[GRADE_LABELS[g] for g in Grade], "备注", "来源"],
            [
                [
                    a["unit_code"],
                    a["period"],
                    a["method_label"],
                    *[a[g.value] for g in Grade],
                    a["note"],
                    a["source"],
                ]
                for a in assessments
            ],
        )
    )
    rects = evaluation.list_rectifications(uow, actor, period)
    sheets.append(
        excel.Sheet(
            "整改",
            ["单位编码", "月份", "整改情况", "投诉编号", "说明"],
            [
                [r["unit_code"], r["period"], r["kind_label"], r["tracking_no"], r["note"]]
                for r in rects
            ],
        )
    )
    return excel.write_workbook(sheets)


HOTLINE_RATES = [
    ("response_rate", "签收率% response"),
    ("on_time_rate", "按时办结率% on_time"),
    ("resolution_rate", "解决率% resolution"),
    ("satisfaction_rate", "满意率% satisfaction"),
    ("repeat_rate", "重复投诉率% repeat"),
]


def kpi_workbook(
    uow: SqlUnitOfWork, actor: Actor, period: Period, calendar: WorkingCalendar
) -> bytes:
    ctx = kpis.context(uow, actor, period, calendar)
    hot = kpis.hotline(uow, ctx)
    tel = telecom_kpis.telecom(uow, ctx)
    keys = kpis.HOTLINE_KEYS
    hotline_sheet = excel.Sheet(
        "热线指标",
        [
            "单位编码 unit_code",
            "单位 unit",
            *[f"{hot['figures'][k]} {k}" for k in keys],
            *[h for _, h in HOTLINE_RATES],
        ],
        [
            [
                u["unit_code"],
                u["unit_name"],
                *[u["counts"][k] for k in keys],
                *[u["rates"][k] for k, _ in HOTLINE_RATES],
            ]
            for u in hot["units"]
        ],
        caption=f"{period.label}承办单位办理指标 / hotline KPIs {period}",
        widths={2: 30},
    )
    branch_cols = [
        ("unit_name", "分公司 branch"),
        ("users", "用户数 users"),
        ("tickets", "工单 tickets"),
        ("network_quality", "网络质量类 network_quality"),
        ("dispatch_accuracy", "派单准确率% dispatch_accuracy"),
        ("complaints_per_10k", "万用户投诉率 per_10k"),
        ("resolved", "解决数 resolved"),
        ("callback_failures", "回访属实未解决 callback_failures"),
        ("resolution_rate", "解决率% resolution"),
        ("solved_by_optimisation", "网优解决 optimised"),
        ("optimisation_share", "网优占比% optimisation_share"),
        ("optimisation_rank", "网优排名 rank"),
        ("complaint_rate_penalty", "投诉率扣分 rate_penalty"),
        ("resolution_penalty", "解决率扣分 resolution_penalty"),
        ("optimisation_bonus", "网优加分 bonus"),
        ("callback_deduction", "回访加倍扣分 callback_deduction"),
        ("points", "合计 points"),
    ]
    pre_cols = [
        ("unit_name", "受理单位 centre"),
        ("tickets", "工单总数 tickets"),
        ("level_1", "一级预处理 level_1"),
        ("level_2", "二级预处理 level_2"),
        ("success_rate", "预处理成功率% success_rate"),
    ]
    trend = kpis.trend(uow, ctx, TREND_MONTHS)
    return excel.write_workbook(
        [
            hotline_sheet,
            excel.Sheet(
                "预处理",
                [h for _, h in pre_cols],
                [[p[k] for k, _ in pre_cols] for p in tel["preprocessing"]],
                caption=f"{period.label}电信投诉预处理 / pre-processing {period}",
            ),
            excel.Sheet(
                "分公司考核",
                [h for _, h in branch_cols],
                [[b[k] for k, _ in branch_cols] for b in tel["branches"]],
                caption=f"{period.label}市分公司考核 / branch assessment {period}",
            ),
            excel.Sheet("月度趋势", ["月份 period", "受理投诉 complaints"], trend),
        ]
    )


def drilldown_workbook(result: dict[str, Any]) -> bytes:
    rows = [
        [i["complaint_id"], i["tracking_no"], i["at"].astimezone(SHANGHAI).replace(tzinfo=None)]
        for i in result["items"]
    ]
    return excel.write_workbook(
        [
            excel.Sheet(
                "明细",
                ["投诉ID id", "受理编号 tracking_no", "时间（北京时间）at"],
                rows,
                caption=f"{result['period']} {result['label']}：{result['count']}",
                widths={2: 24, 3: 22},
            )
        ]
    )


# --- the monthly report ------------------------------------------------------------------------


def monthly_report(
    uow: SqlUnitOfWork,
    actor: Actor,
    period: Period,
    calendar: WorkingCalendar,
    *,
    now: datetime,
) -> str:
    ctx = kpis.context(uow, actor, period, calendar)
    points = kpis.trend(uow, ctx, TREND_MONTHS)
    hot = kpis.hotline(uow, ctx)
    totals = {k: sum(u["counts"][k] for u in hot["units"]) for k in kpis.HOTLINE_KEYS}
    ranking = evaluation.ranking(uow, actor, period)
    blocks = []
    for block in ranking["categories"]:
        bars = _ranking_bars(block)
        title = f"{period.label}{block['label']}科室测评总得分"
        blocks.append(
            {
                **block,
                "rated": bool(bars),
                "svg": html.inline_svg(charts.ranking_chart(bars, title)) if bars else "",
            }
        )
    unit = uow.session.get(UnitRow, actor.unit_id)
    return html.render_monthly(
        {
            "title": f"{period.label}投诉处理与效能考评月度报告",
            "scope_name": unit.name if unit else "",
            "period": str(period),
            "period_label": period.label,
            "generated_at": now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
            "month_total": points[-1][1],
            "previous_total": points[-2][1] if len(points) > 1 else None,
            "trend_svg": html.inline_svg(
                charts.trend_chart(points, "近12个月受理投诉件数 / complaints per month")
            ),
            "totals": totals,
            "hotline": hot["units"],
            "ranking": blocks,
            "telecom": telecom_kpis.telecom(uow, ctx),
        }
    )
