"""Evaluation, KPI and report endpoints (SPEC §7, §8): one router, included once in app.py.

Evaluators (效能办) and admins record assessments; supervisors, leaders, evaluators and admins
read the ranking, the KPI dashboards, drill-downs, Excel exports, charts and the monthly report.
The telecom dashboard, subscriber counts and thresholds are ``complaintdesk.telecom.kpi_api``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from complaintdesk.evaluation import kpis, reports
from complaintdesk.evaluation import service as ev
from complaintdesk.evaluation.charts import MEDIA_TYPES
from complaintdesk.evaluation.importer import ImportRejected, import_workbook
from complaintdesk.evaluation.scoring import (
    Grade,
    GradeCounts,
    Method,
    MissingMethodPolicy,
    RectificationKind,
)
from complaintdesk.evaluation.service import GRADE_LABELS, Period
from complaintdesk.http.deps import ActorDep, ContainerDep, DbId, UowDep
from complaintdesk.io.excel import MAX_UPLOAD_BYTES, XLSX_MEDIA_TYPE, Sheet
from complaintdesk.io.excel import write_workbook as _write_workbook
from complaintdesk.io.tables import read_upload
from complaintdesk.kernel.errors import InvalidInput

router = APIRouter(prefix="/api/v1")
EVALUATION = "evaluation 科室测评"
KPI = "kpis 指标"
REPORTS = "reports 报表"

PeriodQuery = Annotated[str, Query(description="月份 / month, YYYY-MM", examples=["2026-11"])]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class GradeCountsIn(_Strict):
    excellent: int = Field(0, ge=0, le=ev.MAX_COUNT)
    good: int = Field(0, ge=0, le=ev.MAX_COUNT)
    fair: int = Field(0, ge=0, le=ev.MAX_COUNT)
    poor: int = Field(0, ge=0, le=ev.MAX_COUNT)
    bad: int = Field(0, ge=0, le=ev.MAX_COUNT)


class AssessmentIn(_Strict):
    """Either the month's grade counts, or one single assessment's grade."""

    unit_id: DbId
    period: str = Field(max_length=7)
    method: Method
    counts: GradeCountsIn | None = None
    grade: Grade | None = None
    note: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _one_of(self) -> AssessmentIn:
        if (self.counts is None) == (self.grade is None):
            raise ValueError("counts 与 grade 须且只能给出一个 / give either counts or grade")
        return self


class AssessmentsIn(_Strict):
    items: list[AssessmentIn] = Field(min_length=1, max_length=5000)


class RectificationIn(_Strict):
    unit_id: DbId
    period: str = Field(max_length=7)
    kind: RectificationKind
    complaint_id: DbId | None = None
    note: str = Field("", max_length=2000)


def _xlsx(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- assessments and rectifications ------------------------------------------------------------


@router.post(
    "/evaluations/assessments", status_code=201, tags=[EVALUATION], summary="录入测评 / record"
)
def record_assessments(
    body: AssessmentsIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    items = [
        ev.AssessmentInput(
            unit_id=i.unit_id,
            period=i.period,
            method=i.method,
            counts=(
                GradeCounts(**i.counts.model_dump())
                if i.counts is not None
                else GradeCounts.from_grades([i.grade] if i.grade else [])
            ),
            note=i.note,
        )
        for i in body.items
    ]
    ids = ev.record_assessments(uow, actor, items, now=container.clock.now())
    return {"ids": ids}


@router.get("/evaluations/assessments", tags=[EVALUATION], summary="测评记录 / list")
def list_assessments(period: PeriodQuery, actor: ActorDep, uow: UowDep) -> list[dict[str, Any]]:
    return ev.list_assessments(uow, actor, Period.parse(period))


@router.delete(
    "/evaluations/assessments/{entry_id}",
    status_code=204,
    tags=[EVALUATION],
    summary="删除测评记录 / delete an entry",
)
def delete_assessment(entry_id: DbId, actor: ActorDep, uow: UowDep) -> None:
    ev.delete_entry(uow, actor, "assessments", entry_id)


@router.post(
    "/evaluations/rectifications",
    status_code=201,
    tags=[EVALUATION],
    summary="录入整改情况 / record a rectification case",
)
def record_rectification(
    body: RectificationIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    entry_id = ev.record_rectification(
        uow,
        actor,
        ev.RectificationInput(
            unit_id=body.unit_id,
            period=body.period,
            kind=body.kind,
            complaint_id=body.complaint_id,
            note=body.note,
        ),
        now=container.clock.now(),
    )
    return {"id": entry_id}


@router.get("/evaluations/rectifications", tags=[EVALUATION], summary="整改记录 / list")
def list_rectifications(period: PeriodQuery, actor: ActorDep, uow: UowDep) -> list[dict[str, Any]]:
    return ev.list_rectifications(uow, actor, Period.parse(period))


@router.delete(
    "/evaluations/rectifications/{entry_id}",
    status_code=204,
    tags=[EVALUATION],
    summary="删除整改记录 / delete an entry",
)
def delete_rectification(entry_id: DbId, actor: ActorDep, uow: UowDep) -> None:
    ev.delete_entry(uow, actor, "rectifications", entry_id)


@router.post(
    "/evaluations/import",
    status_code=201,
    tags=[EVALUATION],
    summary="从Excel导入测评与整改 / import from Excel",
)
def import_assessments(
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
    file: Annotated[UploadFile, File(description=".xlsx, 见 docs/evaluation.md §4")],
    replace: bool = False,
) -> Any:
    # A plain def: openpyxl and the database run in the threadpool, not on the event loop.
    content = read_upload(file.file, MAX_UPLOAD_BYTES)
    try:
        result = import_workbook(uow, actor, content, now=container.clock.now(), replace=replace)
    except ImportRejected as exc:
        return JSONResponse(
            {
                "error": {
                    "code": "invalid",
                    "message": str(exc),
                    "rows": [
                        {"sheet": e.sheet, "row": e.row, "message": e.message} for e in exc.errors
                    ],
                }
            },
            status_code=422,
        )
    return {
        "assessments": result.assessments,
        "rectifications": result.rectifications,
        "periods": result.periods,
    }


@router.get("/evaluations/template.xlsx", tags=[EVALUATION], summary="导入模板 / import template")
def import_template(actor: ActorDep) -> Response:
    ev.require_writer(actor)
    content = _write_workbook(
        [
            Sheet(
                "测评",
                ["单位编码", "月份", "测评方法", *GRADE_LABELS.values(), "备注"],
                [["police", "2026-11", "集中测评", 10, 5, 3, 1, 1, ""]],
            ),
            Sheet(
                "整改",
                ["单位编码", "月份", "整改情况", "投诉编号", "说明"],
                [["police", "2026-11", "未按时或未整改到位", "", ""]],
            ),
        ]
    )
    return _xlsx(content, "evaluation-template.xlsx")


@router.get("/evaluations/ranking", tags=[EVALUATION], summary="测评排名与结果 / ranking")
def ranking(
    period: PeriodQuery,
    actor: ActorDep,
    uow: UowDep,
    policy: MissingMethodPolicy = MissingMethodPolicy.RENORMALISE,
) -> dict[str, Any]:
    return ev.ranking(uow, actor, Period.parse(period), policy)


@router.get("/evaluations/export.xlsx", tags=[EVALUATION], summary="导出Excel / export")
def export_evaluation(period: PeriodQuery, actor: ActorDep, uow: UowDep) -> Response:
    parsed = Period.parse(period)
    return _xlsx(reports.evaluation_workbook(uow, actor, parsed), f"evaluation-{parsed}.xlsx")


# --- KPIs --------------------------------------------------------------------------------------


def _ctx(uow: Any, actor: Any, container: Any, period: str) -> kpis.Context:
    return kpis.context(uow, actor, Period.parse(period), container.calendar)


@router.get("/kpis/hotline", tags=[KPI], summary="热线指标 / hotline KPIs per unit")
def hotline(period: PeriodQuery, actor: ActorDep, uow: UowDep, container: ContainerDep) -> Any:
    return kpis.hotline(uow, _ctx(uow, actor, container, period))


@router.get("/kpis/drilldown", tags=[KPI], summary="指标明细 / the complaints behind a figure")
def drilldown(
    period: PeriodQuery,
    figure: str,
    unit_id: DbId,
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
    format: Literal["json", "xlsx"] = "json",
) -> Any:
    result = kpis.drilldown(uow, _ctx(uow, actor, container, period), figure, unit_id)
    if format == "xlsx":
        return _xlsx(reports.drilldown_workbook(result), f"{figure}-{unit_id}-{period}.xlsx")
    return result


@router.get("/kpis/export.xlsx", tags=[KPI], summary="导出指标Excel / export KPIs")
def export_kpis(
    period: PeriodQuery, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> Response:
    parsed = Period.parse(period)
    content = reports.kpi_workbook(uow, actor, parsed, container.calendar)
    return _xlsx(content, f"kpis-{parsed}.xlsx")


# --- charts and the monthly report -------------------------------------------------------------


def _fmt(fmt: str) -> Literal["svg", "png"]:
    if fmt == "svg":
        return "svg"
    if fmt == "png":
        return "png"
    raise InvalidInput("图表格式只能是 svg 或 png / chart format must be svg or png")


@router.get("/reports/charts/trend.{fmt}", tags=[REPORTS], summary="月度趋势图 / trend chart")
def trend_chart(
    fmt: str,
    period: PeriodQuery,
    actor: ActorDep,
    uow: UowDep,
    container: ContainerDep,
    months: Annotated[int, Query(ge=1, le=reports.MAX_TREND_MONTHS)] = reports.TREND_MONTHS,
) -> Response:
    kind = _fmt(fmt)
    content = reports.trend_chart(
        uow, actor, Period.parse(period), container.calendar, months=months, fmt=kind
    )
    return Response(content, media_type=MEDIA_TYPES[kind])


@router.get("/reports/charts/ranking.{fmt}", tags=[REPORTS], summary="排名图 / ranking chart")
def ranking_chart(
    fmt: str, period: PeriodQuery, category: str, actor: ActorDep, uow: UowDep
) -> Response:
    kind = _fmt(fmt)
    content = reports.ranking_chart(uow, actor, Period.parse(period), category, kind)
    return Response(content, media_type=MEDIA_TYPES[kind])


@router.get(
    "/reports/monthly",
    tags=[REPORTS],
    response_class=HTMLResponse,
    summary="月度报告（可打印）/ printable monthly report",
)
def monthly_report(
    period: PeriodQuery, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> HTMLResponse:
    page = reports.monthly_report(
        uow, actor, Period.parse(period), container.calendar, now=container.clock.now()
    )
    return HTMLResponse(page)
