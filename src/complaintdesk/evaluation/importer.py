"""Import a month of assessments and rectification cases from an Excel workbook.

Layout (documented in docs/evaluation.md §4): a sheet named 测评 / assessments (else the first
sheet) with the header row

    单位编码 | 月份 | 测评方法 | 优 | 良 | 一般 | 较差 | 差 | 备注

and optionally a sheet 整改 / rectifications with

    单位编码 | 月份 | 整改情况 | 投诉编号 | 说明

Headers may be Chinese, English (unit_code, period, method, excellent, good, fair, poor, bad,
note; kind, tracking_no) or both ("单位编码 / unit_code"). Every bad row is reported with its
sheet and row number, and then nothing at all is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from complaintdesk.complaints.queries import ComplaintQueries
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.evaluation.scoring import Grade, GradeCounts, Method, RectificationKind
from complaintdesk.evaluation.service import (
    GRADE_LABELS,
    KIND_LABELS,
    MAX_COUNT,
    METHOD_LABELS,
    AssessmentInput,
    Period,
    RectificationInput,
    record_assessments,
    record_rectification,
    replace_assessments,
    require_writer,
)
from complaintdesk.io.excel import BadWorkbook, read_sheets
from complaintdesk.kernel.errors import InvalidInput, NotFound
from complaintdesk.org.model import Actor
from complaintdesk.org.tables import UnitRow

ASSESSMENT_SHEETS = {"测评", "assessments", "测评结果"}
RECTIFICATION_SHEETS = {"整改", "rectifications", "整改情况"}
MAX_ROWS = 20_000

COLUMNS: dict[str, set[str]] = {
    "unit": {"单位编码", "单位", "科室", "unit_code", "unit"},
    "period": {"月份", "考评月份", "period", "month"},
    "method": {"测评方法", "方法", "method"},
    "note": {"备注", "说明", "note"},
    "kind": {"整改情况", "类型", "kind"},
    "tracking_no": {"投诉编号", "受理编号", "tracking_no"},
    **{g.value: {GRADE_LABELS[g], g.value} for g in Grade},
}
METHOD_NAMES: dict[str, Method] = {
    **{m.value: m for m in Method},
    **{label: m for m, label in METHOD_LABELS.items()},
    "即时": Method.INSTANT,
    "监测点即时测评": Method.INSTANT,
    "综合": Method.MONTHLY,
    "监测点综合测评": Method.MONTHLY,
    "明察暗访监督测评": Method.INSPECTION,
    "集中": Method.CONCENTRATED,
}
KIND_NAMES: dict[str, RectificationKind] = {
    **{k.value: k for k in RectificationKind},
    **{label: k for k, label in KIND_LABELS.items()},
    "逾期": RectificationKind.LATE_OR_INCOMPLETE,
    "不到位": RectificationKind.LATE_OR_INCOMPLETE,
    "督办后仍不到位": RectificationKind.NOT_RECTIFIED_AFTER_SUPERVISION,
    "拒不整改": RectificationKind.REFUSED,
}


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    message: str


class ImportRejected(InvalidInput):
    """The workbook has bad rows; none of it was stored."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(
            f"导入失败：{len(errors)} 行有错误，未保存任何数据"
            f" / import refused: {len(errors)} bad rows, nothing was stored"
        )


@dataclass(frozen=True)
class ImportResult:
    assessments: int
    rectifications: int
    periods: list[str]


def _header_key(text: Any) -> str | None:
    for part in str(text or "").replace("／", "/").split("/"):
        name = part.strip().lower()
        for key, aliases in COLUMNS.items():
            if name in aliases:
                return key
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _count(value: Any) -> int:
    if value is None or _text(value) == "":
        return 0
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        value = int(value)
    number = int(str(value).strip())
    if number < 0 or number > MAX_COUNT:
        raise ValueError
    return number


class _Rows:
    """Rows of one sheet as dicts keyed by column, with their Excel row numbers."""

    def __init__(self, name: str, rows: list[tuple[Any, ...]], needed: set[str]) -> None:
        self.name = name
        self.errors: list[RowError] = []
        self.records: list[tuple[int, dict[str, Any]]] = []
        if not rows:
            self.errors.append(RowError(name, 1, "工作表为空 / the sheet is empty"))
            return
        keys = [_header_key(h) for h in rows[0]]
        missing = needed - set(keys)
        if missing:
            self.errors.append(
                RowError(
                    name,
                    1,
                    f"缺少列：{', '.join(sorted(missing))} / missing columns:"
                    f" {', '.join(sorted(missing))}",
                )
            )
            return
        for number, values in enumerate(rows[1:], start=2):
            if all(_text(v) == "" for v in values):
                continue
            record = {k: v for k, v in zip(keys, values, strict=False) if k is not None}
            self.records.append((number, record))
        if len(self.records) > MAX_ROWS:
            self.errors.append(
                RowError(name, 1, f"行数超过 {MAX_ROWS} / more than {MAX_ROWS} rows")
            )


def import_workbook(
    uow: SqlUnitOfWork,
    actor: Actor,
    content: bytes,
    *,
    now: datetime,
    replace: bool = False,
) -> ImportResult:
    """Validate every row, then store all of it in one transaction (or nothing)."""
    require_writer(actor)
    try:
        sheets = read_sheets(content)
    except BadWorkbook as exc:
        raise InvalidInput(str(exc)) from None
    names = list(sheets)
    first = next((n for n in names if n.strip().lower() in ASSESSMENT_SHEETS), names[0])
    rect_name = next((n for n in names if n.strip().lower() in RECTIFICATION_SHEETS), None)
    units = _unit_lookup(uow, actor)
    assessments = _Rows(first, sheets[first], {"unit", "period", "method"})
    errors = list(assessments.errors)
    parsed: list[AssessmentInput] = []
    for number, record in assessments.records:
        item = _assessment(first, number, record, units, errors)
        if item is not None:
            parsed.append(item)
    rects: list[RectificationInput] = []
    if rect_name is not None and rect_name != first:
        sheet = _Rows(rect_name, sheets[rect_name], {"unit", "period", "kind"})
        errors.extend(sheet.errors)
        for number, record in sheet.records:
            rect = _rectification(uow, actor, rect_name, number, record, units, errors)
            if rect is not None:
                rects.append(rect)
    if not errors and not parsed and not rects:
        errors.append(RowError(first, 2, "没有数据行 / no data rows"))
    if errors:
        raise ImportRejected(errors)
    if replace:
        replace_assessments(
            uow, ((a.unit_id, str(Period.parse(a.period)), a.method.value) for a in parsed)
        )
    if parsed:
        record_assessments(uow, actor, parsed, now=now, source="import", commit=False)
    for rect in rects:
        record_rectification(uow, actor, rect, now=now, commit=False)
    uow.commit()
    periods = sorted({a.period for a in parsed} | {r.period for r in rects})
    return ImportResult(len(parsed), len(rects), periods)


def _unit_lookup(uow: SqlUnitOfWork, actor: Actor) -> dict[str, UnitRow]:
    rows = uow.session.scalars(select(UnitRow).where(UnitRow.category.is_not(None)))
    lookup: dict[str, UnitRow] = {}
    for row in rows:
        if actor.sees(row.path):
            lookup[row.code.lower()] = row
            lookup[row.name] = row
    return lookup


def _unit(
    sheet: str, number: int, record: dict[str, Any], units: dict[str, UnitRow], errors: list
) -> UnitRow | None:
    text = _text(record.get("unit"))
    unit = units.get(text) or units.get(text.lower())
    if unit is None:
        errors.append(
            RowError(
                sheet,
                number,
                f"单位“{text}”不存在或不参加科室测评 / unknown or unevaluated unit {text!r}",
            )
        )
    return unit


def _period(sheet: str, number: int, record: dict[str, Any], errors: list) -> str | None:
    try:
        return str(Period.parse(record.get("period")))
    except InvalidInput as exc:
        errors.append(RowError(sheet, number, str(exc)))
        return None


def _assessment(
    sheet: str,
    number: int,
    record: dict[str, Any],
    units: dict[str, UnitRow],
    errors: list[RowError],
) -> AssessmentInput | None:
    before = len(errors)
    unit = _unit(sheet, number, record, units, errors)
    period = _period(sheet, number, record, errors)
    method_text = _text(record.get("method"))
    method = METHOD_NAMES.get(method_text) or METHOD_NAMES.get(method_text.lower())
    if method is None:
        errors.append(
            RowError(
                sheet,
                number,
                f"测评方法“{method_text}”无效，应为即时测评/综合测评/明察暗访/集中测评"
                f" / unknown method {method_text!r}; use instant/monthly/inspection/concentrated",
            )
        )
    counts: dict[Grade, int] = {}
    for grade in Grade:
        try:
            counts[grade] = _count(record.get(grade.value))
        except ValueError:
            errors.append(
                RowError(
                    sheet,
                    number,
                    f"“{GRADE_LABELS[grade]}”的次数应为0到{MAX_COUNT}的整数"
                    f" / {grade.value} must be a whole number 0–{MAX_COUNT}",
                )
            )
    if len(counts) == len(Grade) and sum(counts.values()) == 0:
        errors.append(
            RowError(sheet, number, "至少要有一次测评 / at least one assessment is needed")
        )
    if len(errors) > before or unit is None or period is None or method is None:
        return None
    return AssessmentInput(
        unit_id=unit.id,
        period=period,
        method=method,
        counts=GradeCounts.of(counts),
        note=_text(record.get("note")),
    )


def _rectification(
    uow: SqlUnitOfWork,
    actor: Actor,
    sheet: str,
    number: int,
    record: dict[str, Any],
    units: dict[str, UnitRow],
    errors: list[RowError],
) -> RectificationInput | None:
    before = len(errors)
    unit = _unit(sheet, number, record, units, errors)
    period = _period(sheet, number, record, errors)
    kind_text = _text(record.get("kind"))
    kind = KIND_NAMES.get(kind_text) or KIND_NAMES.get(kind_text.lower())
    if kind is None:
        valid = " / ".join(KIND_LABELS.values())
        errors.append(
            RowError(
                sheet,
                number,
                f"整改情况“{kind_text}”无效，应为：{valid}"
                f" / unknown kind {kind_text!r}; use {', '.join(k.value for k in KIND_LABELS)}",
            )
        )
    complaint_id = None
    tracking_no = _text(record.get("tracking_no")).upper()
    if tracking_no:
        found = uow.session.scalar(
            select(ComplaintRow.id).where(ComplaintRow.tracking_no == tracking_no)
        )
        try:
            if found is None:
                raise NotFound(tracking_no)
            ComplaintQueries(uow.session).get_row(actor, found)
            complaint_id = int(found)
        except NotFound:
            errors.append(
                RowError(
                    sheet,
                    number,
                    f"投诉编号“{tracking_no}”不存在 / complaint {tracking_no} not found",
                )
            )
    if len(errors) > before or unit is None or period is None or kind is None:
        return None
    return RectificationInput(
        unit_id=unit.id,
        period=period,
        kind=kind,
        complaint_id=complaint_id,
        note=_text(record.get("note")),
    )
