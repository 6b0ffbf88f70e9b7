"""Unit (科室) evaluation — SPEC §8.2, source 投诉信范文5 §五–§七.

Formulas, exactly as the source writes them:

- each assessment is graded excellent/good/fair/poor/bad (优/良/一般/较差/差) = 90/75/60/45/30;
- satisfaction of one method = Σ(count × points) ÷ (total count × 90);
- overall satisfaction = 20% instant (即时测评) + 20% monthly (综合测评)
  + 10% inspection (明察暗访) + 50% concentrated (集中测评);
- rectification (整改情况) = 20 − 3 per late/incomplete case − 5 per case still not rectified
  after a second or listed supervision − 10 per unjustified refusal, floor 0 (扣完为止);
- total = overall satisfaction × 80 + rectification;
- ranked high to low within each category; top 6 commended (满意科室), bottom 3 with ≥ 70
  explain in writing and lose year-end awards, below 70 rectify within a time limit and the
  head is held accountable.

Decisions the source leaves open (documented in docs/evaluation.md):

- A method with zero assessments has no satisfaction. By default the weights are re-normalised
  over the methods that do have data and the unit is flagged (`missing_methods`), because a unit
  should not lose points for an assessment the evaluators never held. With
  `MissingMethodPolicy.NOT_RATED` such a unit is left unrated instead. A unit with no
  assessment at all is never rated.
- Ranks are competition ranks (1, 1, 3) on the exact total, before any rounding. A tie never
  separates two units: if the tied group reaches into the top 6 (or bottom 3) all of its
  members are in it, so more than 6 (or 3) units can be named; `tied_at_boundary` flags it.
- A total below 70 always leads to accountability, even inside the top 6 (no commendation);
  the commendation slot is not handed to the next unit. In a category too small to keep the
  top 6 and bottom 3 apart, commendation wins over the written explanation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from complaintdesk.kernel.figures import competition_ranks, percent_2dp, ratio, round_2dp


class Category(StrEnum):
    """Evaluation category; units are ranked only against their own category."""

    LAW_ENFORCEMENT = "law_enforcement"  # 行政执法类
    COMPREHENSIVE_MANAGEMENT = "comprehensive_management"  # 综合管理类


class Method(StrEnum):
    """The four assessment methods of §5 五."""

    INSTANT = "instant"  # 监测点即时测评: one 《即时监测表》 = one assessment
    MONTHLY = "monthly"  # 监测点综合测评: one 《综合测评表》 a month
    INSPECTION = "inspection"  # 明察暗访: one visit = one assessment
    CONCENTRATED = "concentrated"  # 集中测评 by representatives of society


class Grade(StrEnum):
    EXCELLENT = "excellent"  # 优
    GOOD = "good"  # 良
    FAIR = "fair"  # 一般
    POOR = "poor"  # 较差
    BAD = "bad"  # 差


class RectificationKind(StrEnum):
    """How a problem found during the evaluation was (not) rectified (整改)."""

    RECTIFIED = "rectified"  # 按要求整改到位: no deduction
    LATE_OR_INCOMPLETE = "late_or_incomplete"  # 未按时间节点整改或整改不到位
    # 经二次督办或挂牌督办后仍整改不到位
    NOT_RECTIFIED_AFTER_SUPERVISION = "not_rectified_after_supervision"
    REFUSED = "refused"  # 拒不整改且无正当理由


class Outcome(StrEnum):
    COMMENDED = "commended"  # 满意科室, 通报表扬, head rated 优秀 for the year
    EXPLAIN = "explain"  # 书面说明情况, 取消年终评优评先资格
    ACCOUNTABLE = "accountable"  # 限期整改 + 主要负责人问责
    NONE = "none"
    NOT_RATED = "not_rated"  # no usable assessments


class MissingMethodPolicy(StrEnum):
    RENORMALISE = "renormalise"
    NOT_RATED = "not_rated"


GRADE_POINTS: Mapping[Grade, int] = {
    Grade.EXCELLENT: 90,
    Grade.GOOD: 75,
    Grade.FAIR: 60,
    Grade.POOR: 45,
    Grade.BAD: 30,
}
FULL_MARKS_PER_ASSESSMENT = 90
METHOD_WEIGHTS: Mapping[Method, Fraction] = {
    Method.INSTANT: Fraction(20, 100),
    Method.MONTHLY: Fraction(20, 100),
    Method.INSPECTION: Fraction(10, 100),
    Method.CONCENTRATED: Fraction(50, 100),
}
RECTIFICATION_BASE = 20
DEDUCTIONS: Mapping[RectificationKind, int] = {
    RectificationKind.RECTIFIED: 0,
    RectificationKind.LATE_OR_INCOMPLETE: 3,
    RectificationKind.NOT_RECTIFIED_AFTER_SUPERVISION: 5,
    RectificationKind.REFUSED: 10,
}
SATISFACTION_POINTS = 80
COMMENDED_TOP_N = 6
EXPLAIN_BOTTOM_N = 3
PASS_MARK = 70


@dataclass(frozen=True)
class GradeCounts:
    """How many assessments of one method gave each grade."""

    excellent: int = 0
    good: int = 0
    fair: int = 0
    poor: int = 0
    bad: int = 0

    def __post_init__(self) -> None:
        for grade in Grade:
            if self.count(grade) < 0:
                raise ValueError(f"评价次数不能为负 / negative count for {grade}")

    @classmethod
    def of(cls, counts: Mapping[Grade, int]) -> GradeCounts:
        return cls(**{Grade(g).value: n for g, n in counts.items()})

    @classmethod
    def from_grades(cls, grades: Iterable[Grade]) -> GradeCounts:
        tally = dict.fromkeys(Grade, 0)
        for grade in grades:
            tally[Grade(grade)] += 1
        return cls.of(tally)

    def count(self, grade: Grade) -> int:
        value: int = getattr(self, Grade(grade).value)
        return value

    @property
    def total(self) -> int:
        return sum(self.count(g) for g in Grade)

    @property
    def points(self) -> int:
        return sum(self.count(g) * GRADE_POINTS[g] for g in Grade)


def method_satisfaction(counts: GradeCounts) -> Fraction | None:
    """Σ(count × points) ÷ (total count × 90); None when the method was never used."""
    return ratio(counts.points, counts.total * FULL_MARKS_PER_ASSESSMENT)


def overall_satisfaction(
    satisfaction: Mapping[Method, Fraction | None],
    policy: MissingMethodPolicy = MissingMethodPolicy.RENORMALISE,
) -> tuple[Fraction | None, tuple[Method, ...]]:
    """Weighted overall satisfaction and the methods that had no data.

    With every method present this is exactly 20/20/10/50 %. Missing methods either
    re-normalise the weights over the rest or leave the unit unrated (policy).
    """
    missing = tuple(m for m in Method if satisfaction.get(m) is None)
    present = [m for m in Method if m not in missing]
    if not present or (missing and policy is MissingMethodPolicy.NOT_RATED):
        return None, missing
    weighted = sum((METHOD_WEIGHTS[m] * _known(satisfaction[m]) for m in present), Fraction(0))
    weight_used = sum((METHOD_WEIGHTS[m] for m in present), Fraction(0))
    return weighted / weight_used, missing


def rectification_score(cases: Mapping[RectificationKind, int]) -> int:
    """20 minus 3/5/10 per case, never below 0 (扣完为止)."""
    deducted = 0
    for kind, count in cases.items():
        if count < 0:
            raise ValueError(f"整改案件数不能为负 / negative case count for {kind}")
        deducted += DEDUCTIONS[RectificationKind(kind)] * count
    return max(0, RECTIFICATION_BASE - deducted)


def total_score(overall: Fraction, rectification: int) -> Fraction:
    """Overall satisfaction × 80 + rectification score (out of 100)."""
    return overall * SATISFACTION_POINTS + rectification


@dataclass(frozen=True)
class UnitAssessment:
    """One unit's assessments and rectification cases for one evaluation period."""

    unit_id: str
    category: Category
    assessments: Mapping[Method, GradeCounts] = field(default_factory=dict)
    rectifications: Mapping[RectificationKind, int] = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True)
class UnitScore:
    unit_id: str
    category: Category
    name: str
    satisfaction: Mapping[Method, Fraction | None]
    overall: Fraction | None
    missing_methods: tuple[Method, ...]
    rectification: int
    total: Fraction | None

    @property
    def rated(self) -> bool:
        return self.total is not None

    @property
    def overall_percent(self) -> Decimal | None:
        return percent_2dp(self.overall)

    @property
    def total_display(self) -> Decimal | None:
        return round_2dp(self.total)


def score_unit(
    unit: UnitAssessment, policy: MissingMethodPolicy = MissingMethodPolicy.RENORMALISE
) -> UnitScore:
    satisfaction = {m: method_satisfaction(unit.assessments.get(m, GradeCounts())) for m in Method}
    overall, missing = overall_satisfaction(satisfaction, policy)
    rectification = rectification_score(unit.rectifications)
    total = None if overall is None else total_score(overall, rectification)
    return UnitScore(
        unit_id=unit.unit_id,
        category=unit.category,
        name=unit.name,
        satisfaction=satisfaction,
        overall=overall,
        missing_methods=missing,
        rectification=rectification,
        total=total,
    )


@dataclass(frozen=True)
class RankedUnit:
    score: UnitScore
    rank: int | None  # 1 = best within the category; None when not rated
    rank_from_bottom: int | None  # 1 = worst within the category
    outcome: Outcome
    tied_at_boundary: bool = False  # a tie pushed the top-6 / bottom-3 group past its size


def rank_category(
    scores: Sequence[UnitScore],
    *,
    top_n: int = COMMENDED_TOP_N,
    bottom_n: int = EXPLAIN_BOTTOM_N,
    pass_mark: int = PASS_MARK,
) -> list[RankedUnit]:
    """Rank one category's units and apply the outcomes of §5 七; best first, unrated last."""
    if len({s.category for s in scores}) > 1:
        raise ValueError("只能在同一类别内排名 / rank one category at a time")
    rated = sorted((s for s in scores if s.total is not None), key=_total, reverse=True)
    totals = [_total(s) for s in rated]
    top_ranks = competition_ranks(totals, descending=True)
    bottom_ranks = competition_ranks(totals, descending=False)
    ranked = []
    for score, rank, from_bottom in zip(rated, top_ranks, bottom_ranks, strict=True):
        outcome = _outcome(score, rank, from_bottom, top_n, bottom_n, pass_mark)
        at_boundary = _straddles(rank, top_ranks, top_n) or _straddles(
            from_bottom, bottom_ranks, bottom_n
        )
        ranked.append(RankedUnit(score, rank, from_bottom, outcome, at_boundary))
    unrated = [RankedUnit(s, None, None, Outcome.NOT_RATED) for s in scores if s.total is None]
    return ranked + sorted(unrated, key=lambda r: r.score.unit_id)


def evaluate(
    units: Iterable[UnitAssessment],
    policy: MissingMethodPolicy = MissingMethodPolicy.RENORMALISE,
) -> dict[Category, list[RankedUnit]]:
    """Score every unit and rank each category separately (the published table)."""
    by_category: dict[Category, list[UnitScore]] = {c: [] for c in Category}
    for unit in units:
        by_category[unit.category].append(score_unit(unit, policy))
    return {category: rank_category(scores) for category, scores in by_category.items()}


def _outcome(
    score: UnitScore, rank: int, from_bottom: int, top_n: int, bottom_n: int, pass_mark: int
) -> Outcome:
    total = _total(score)
    if total < pass_mark:
        return Outcome.ACCOUNTABLE
    if rank <= top_n:
        return Outcome.COMMENDED
    if from_bottom <= bottom_n:
        return Outcome.EXPLAIN
    return Outcome.NONE


def _straddles(rank: int, ranks: Sequence[int], size: int) -> bool:
    """True when this unit's tied group starts inside the first `size` places and ends past it."""
    return rank <= size < rank + ranks.count(rank) - 1


def _total(score: UnitScore) -> Fraction:
    return _known(score.total)


def _known(value: Fraction | None) -> Fraction:
    if value is None:
        raise ValueError("value expected")
    return value
