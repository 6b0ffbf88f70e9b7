"""Unit evaluation use cases (SPEC §8.2): record assessments and rectification cases, import
them from Excel, and publish the ranked table with outcomes.

The formulas are `domain.evaluation`'s; this module only gathers a month's entries per unit and
hands them over. Evaluators (效能办) and admins write; supervisors and leaders read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.complaints.queries import ComplaintQueries
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.evaluation.scoring import (
    Category,
    Grade,
    GradeCounts,
    Method,
    MissingMethodPolicy,
    Outcome,
    RankedUnit,
    RectificationKind,
    UnitAssessment,
    evaluate,
)
from complaintdesk.evaluation.tables import AssessmentRow, RectificationRow
from complaintdesk.kernel.errors import InvalidInput, NotFound, PermissionDenied
from complaintdesk.kernel.figures import percent_2dp, round_2dp
from complaintdesk.org.model import Actor, Role
from complaintdesk.org.tables import UnitRow

WRITERS = frozenset({Role.EVALUATOR, Role.ADMIN})
READERS = frozenset({Role.EVALUATOR, Role.ADMIN, Role.SUPERVISOR, Role.LEADER})

METHOD_LABELS: dict[Method, str] = {
    Method.INSTANT: "即时测评",
    Method.MONTHLY: "综合测评",
    Method.INSPECTION: "明察暗访",
    Method.CONCENTRATED: "集中测评",
}
GRADE_LABELS: dict[Grade, str] = {
    Grade.EXCELLENT: "优",
    Grade.GOOD: "良",
    Grade.FAIR: "一般",
    Grade.POOR: "较差",
    Grade.BAD: "差",
}
KIND_LABELS: dict[RectificationKind, str] = {
    RectificationKind.RECTIFIED: "整改到位",
    RectificationKind.LATE_OR_INCOMPLETE: "未按时或未整改到位",
    RectificationKind.NOT_RECTIFIED_AFTER_SUPERVISION: "二次督办或挂牌督办后仍未整改到位",
    RectificationKind.REFUSED: "拒不整改且无正当理由",
}
OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.COMMENDED: "满意科室，通报表扬",
    Outcome.EXPLAIN: "书面说明情况，取消年终评优评先资格",
    Outcome.ACCOUNTABLE: "限期整改，问责主要负责人",
    Outcome.NONE: "—",
    Outcome.NOT_RATED: "未参评（无测评数据）",
}
CATEGORY_LABELS: dict[Category, str] = {
    Category.LAW_ENFORCEMENT: "行政执法类",
    Category.COMPREHENSIVE_MANAGEMENT: "综合管理类",
}

# --- periods ---------------------------------------------------------------------------------

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_COUNT = 100_000  # more assessments than this in one entry is a typing error


@dataclass(frozen=True)
class Period:
    """A calendar month in Asia/Shanghai, written ``YYYY-MM``."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: Any) -> Period:
        if isinstance(text, datetime | date):
            return cls(text.year, text.month)
        match = _PERIOD.match(str(text or "").strip())
        if not match:
            raise InvalidInput(
                f"月份格式应为 YYYY-MM（如 2026-11），收到“{text}”"
                f" / period must be YYYY-MM (e.g. 2026-11), got {text!r}"
            )
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def start(self) -> datetime:
        """First moment of the month in Shanghai (aware)."""
        return datetime(self.year, self.month, 1, tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """First moment of the next month in Shanghai: periods are half-open."""
        return self.shift(1).start

    def shift(self, months: int) -> Period:
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    def days(self) -> list[date]:
        first = self.start.date()
        count = (self.end.date() - first).days
        return [first + timedelta(days=i) for i in range(count)]


# --- permissions -----------------------------------------------------------------------------


def require_reader(actor: Actor) -> None:
    if not (actor.is_admin or actor.roles & READERS):
        raise PermissionDenied("无权查看考评与指标 / not allowed to read evaluations and KPIs")


def require_writer(actor: Actor) -> None:
    if not (actor.is_admin or actor.roles & WRITERS):
        raise PermissionDenied(
            "只有效能办或管理员可以录入考评 / only evaluators and admins may record evaluations"
        )


def _evaluated_unit(uow: SqlUnitOfWork, actor: Actor, unit_id: int) -> UnitRow:
    row = uow.session.get(UnitRow, unit_id)
    if row is None or not actor.sees(row.path):
        raise NotFound(f"单位 {unit_id} 不存在 / unit {unit_id} not found")
    if not row.category:
        raise InvalidInput(
            f"单位“{row.name}”未设置考评类别，不参加科室测评"
            f" / unit {row.code} has no evaluation category and is not evaluated"
        )
    return row


# --- recording -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentInput:
    unit_id: int
    period: str
    method: Method
    counts: GradeCounts
    note: str = ""


@dataclass(frozen=True)
class RectificationInput:
    unit_id: int
    period: str
    kind: RectificationKind
    complaint_id: int | None = None
    note: str = ""


def _check_counts(counts: GradeCounts) -> None:
    if counts.total == 0:
        raise InvalidInput("至少要有一次测评 / at least one assessment is needed")
    if any(counts.count(g) > MAX_COUNT for g in Grade):
        raise InvalidInput(f"单项次数不能超过 {MAX_COUNT} / a count above {MAX_COUNT}")


def record_assessments(
    uow: SqlUnitOfWork,
    actor: Actor,
    items: Iterable[AssessmentInput],
    *,
    now: datetime,
    source: str = "api",
    commit: bool = True,
) -> list[int]:
    """Store assessment entries, all or none."""
    require_writer(actor)
    rows = []
    for item in items:
        _evaluated_unit(uow, actor, item.unit_id)
        _check_counts(item.counts)
        rows.append(
            AssessmentRow(
                unit_id=item.unit_id,
                period=str(Period.parse(item.period)),
                method=Method(item.method).value,
                **{g.value: item.counts.count(g) for g in Grade},
                source=source,
                note=item.note.strip(),
                created_by=actor.user_id,
                created_at=now,
            )
        )
    if not rows:
        raise InvalidInput("没有要保存的测评 / nothing to record")
    uow.session.add_all(rows)
    uow.session.flush()
    if commit:
        uow.commit()
    return [r.id for r in rows]


def record_rectification(
    uow: SqlUnitOfWork,
    actor: Actor,
    item: RectificationInput,
    *,
    now: datetime,
    commit: bool = True,
) -> int:
    require_writer(actor)
    _evaluated_unit(uow, actor, item.unit_id)
    if item.complaint_id is not None:
        # Through the one jurisdiction-scoped read: an unseen complaint "does not exist".
        ComplaintQueries(uow.session).get_row(actor, item.complaint_id)
    row = RectificationRow(
        unit_id=item.unit_id,
        period=str(Period.parse(item.period)),
        kind=RectificationKind(item.kind).value,
        complaint_id=item.complaint_id,
        note=item.note.strip(),
        created_by=actor.user_id,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    if commit:
        uow.commit()
    return row.id


def delete_entry(uow: SqlUnitOfWork, actor: Actor, table: str, entry_id: int) -> None:
    """Correct a mistake: remove one assessment or rectification entry."""
    require_writer(actor)
    row: AssessmentRow | RectificationRow | None = (
        uow.session.get(AssessmentRow, entry_id)
        if table == "assessments"
        else uow.session.get(RectificationRow, entry_id)
    )
    unit = uow.session.get(UnitRow, row.unit_id) if row else None
    if row is None or unit is None or not actor.sees(unit.path):
        raise NotFound(f"记录 {entry_id} 不存在 / entry {entry_id} not found")
    uow.session.delete(row)
    uow.commit()


def replace_assessments(uow: SqlUnitOfWork, keys: Iterable[tuple[int, str, str]]) -> None:
    """Delete the entries of these (unit, period, method) before a re-import."""
    for unit_id, period, method in set(keys):
        uow.session.execute(
            delete(AssessmentRow).where(
                AssessmentRow.unit_id == unit_id,
                AssessmentRow.period == period,
                AssessmentRow.method == method,
            )
        )


# --- reading ---------------------------------------------------------------------------------


def _visible_units(uow: SqlUnitOfWork, actor: Actor) -> dict[int, UnitRow]:
    rows = uow.session.scalars(select(UnitRow).where(UnitRow.category.is_not(None)))
    return {r.id: r for r in rows if actor.sees(r.path)}


def _entry_head(row: AssessmentRow | RectificationRow, unit: UnitRow) -> dict[str, Any]:
    """The columns every month entry opens with: which entry, of which unit, for when."""
    return {
        "id": row.id,
        "unit_id": row.unit_id,
        "unit_code": unit.code,
        "unit_name": unit.name,
        "period": row.period,
    }


def list_assessments(uow: SqlUnitOfWork, actor: Actor, period: Period) -> list[dict[str, Any]]:
    require_reader(actor)
    units = _visible_units(uow, actor)
    rows = uow.session.scalars(
        select(AssessmentRow).where(AssessmentRow.period == str(period)).order_by(AssessmentRow.id)
    )
    return [
        {
            **_entry_head(r, units[r.unit_id]),
            "method": r.method,
            "method_label": METHOD_LABELS[Method(r.method)],
            **{g.value: getattr(r, g.value) for g in Grade},
            "total": sum(getattr(r, g.value) for g in Grade),
            "source": r.source,
            "note": r.note,
        }
        for r in rows
        if r.unit_id in units
    ]


def list_rectifications(uow: SqlUnitOfWork, actor: Actor, period: Period) -> list[dict[str, Any]]:
    require_reader(actor)
    units = _visible_units(uow, actor)
    result = uow.session.execute(
        select(RectificationRow, ComplaintRow.tracking_no)
        .outerjoin(ComplaintRow, ComplaintRow.id == RectificationRow.complaint_id)
        .where(RectificationRow.period == str(period))
        .order_by(RectificationRow.id)
    )
    return [
        {
            **_entry_head(r, units[r.unit_id]),
            "kind": r.kind,
            "kind_label": KIND_LABELS[RectificationKind(r.kind)],
            "complaint_id": r.complaint_id,
            "tracking_no": tracking_no,
            "note": r.note,
        }
        for r, tracking_no in result
        if r.unit_id in units
    ]


def unit_assessments(uow: SqlUnitOfWork, actor: Actor, period: Period) -> list[UnitAssessment]:
    """Every categorised unit the actor sees, with the month's summed entries."""
    units = _visible_units(uow, actor)
    tallies: dict[int, dict[Method, dict[Grade, int]]] = defaultdict(
        lambda: defaultdict(lambda: dict.fromkeys(Grade, 0))
    )
    for row in uow.session.scalars(
        select(AssessmentRow).where(AssessmentRow.period == str(period))
    ):
        for grade in Grade:
            tallies[row.unit_id][Method(row.method)][grade] += getattr(row, grade.value)
    cases: dict[int, dict[RectificationKind, int]] = defaultdict(lambda: defaultdict(int))
    for case in uow.session.scalars(
        select(RectificationRow).where(RectificationRow.period == str(period))
    ):
        cases[case.unit_id][RectificationKind(case.kind)] += 1
    return [
        UnitAssessment(
            unit_id=str(unit.id),
            category=Category(unit.category or ""),
            assessments={m: GradeCounts.of(c) for m, c in tallies[unit.id].items()},
            rectifications=dict(cases[unit.id]),
            name=unit.name,
        )
        for unit in sorted(units.values(), key=lambda u: u.id)
    ]


def ranking(
    uow: SqlUnitOfWork,
    actor: Actor,
    period: Period,
    policy: MissingMethodPolicy = MissingMethodPolicy.RENORMALISE,
) -> dict[str, Any]:
    """The published table: per category, best first, with outcomes (§8.2 七)."""
    require_reader(actor)
    units = _visible_units(uow, actor)
    table = evaluate(unit_assessments(uow, actor, period), policy)
    return {
        "period": str(period),
        "policy": policy.value,
        "categories": [
            {
                "category": category.value,
                "label": CATEGORY_LABELS[category],
                "units": [_ranked_row(r, units[int(r.score.unit_id)]) for r in ranked],
            }
            for category, ranked in table.items()
        ],
    }


def _ranked_row(ranked: RankedUnit, unit: UnitRow) -> dict[str, Any]:
    score = ranked.score
    return {
        "rank": ranked.rank,
        "rank_from_bottom": ranked.rank_from_bottom,
        "unit_id": unit.id,
        "unit_code": unit.code,
        "unit_name": unit.name,
        "satisfaction": {m.value: percent_2dp(score.satisfaction[m]) for m in Method},
        "overall_satisfaction": score.overall_percent,
        "missing_methods": [m.value for m in score.missing_methods],
        "rectification": score.rectification,
        "total": round_2dp(score.total),
        "outcome": ranked.outcome.value,
        "outcome_label": OUTCOME_LABELS[ranked.outcome],
        "tied_at_boundary": ranked.tied_at_boundary,
    }
