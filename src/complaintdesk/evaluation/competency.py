"""Handler competency (投诉处理岗位核心能力) — SPEC §8.3, source 投诉信范文4 表1/表2.

The indicator tree has 3 first-level and 11 second-level indicators. A combined weight is
first-level weight × second-level weight (表2 组合权重). The source's combined weights are
printed to 2 dp; computing them from the printed first- and second-level weights reproduces all
of them to 0.01 (self-management: 33.47 % × 30.16 % = 10.09 %, printed 10.10 %).

Delphi rounds (德尔菲法): every expert scores every indicator's importance on a Likert scale
5 (absolutely important) … 1 (slightly important). The weight of an indicator is its mean score
normalised so that the weights of one level (or of one group of second-level indicators) sum
to 1. Agreement between experts is Kendall's coefficient of concordance W with the correction
for tied scores (experts rarely give 11 distinct Likert scores), tested with
χ² = m (n − 1) W on n − 1 degrees of freedom (m experts, n indicators).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

LIKERT_MIN = 1
LIKERT_MAX = 5
HUNDRED = Decimal(100)


class InvalidScores(ValueError):
    """A Delphi score matrix that cannot be analysed; the message is Chinese / English."""


@dataclass(frozen=True)
class Indicator:
    code: str
    name_zh: str
    name_en: str
    weight_percent: Decimal  # within its group
    published_combined_percent: Decimal | None = None  # 表2 组合权重, for reference only


@dataclass(frozen=True)
class IndicatorGroup:
    code: str
    name_zh: str
    name_en: str
    weight_percent: Decimal
    indicators: tuple[Indicator, ...]

    def combined_percent(self, indicator: Indicator) -> Decimal:
        """First-level weight × second-level weight, exact (e.g. 38.15 × 24.23 % = 9.243645 %)."""
        return self.weight_percent * indicator.weight_percent / HUNDRED


@dataclass(frozen=True)
class CompetencyTree:
    groups: tuple[IndicatorGroup, ...]

    def __post_init__(self) -> None:
        _require_hundred("一级指标 / first level", [g.weight_percent for g in self.groups])
        for group in self.groups:
            _require_hundred(group.code, [i.weight_percent for i in group.indicators])
        codes = [i.code for g in self.groups for i in g.indicators]
        if len(set(codes)) != len(codes):
            raise ValueError("指标代码重复 / duplicate indicator codes")

    @property
    def indicator_codes(self) -> tuple[str, ...]:
        return tuple(i.code for g in self.groups for i in g.indicators)

    def combined_weights(self) -> dict[str, Decimal]:
        """Indicator code → combined weight in percent (sums to 100)."""
        return {i.code: g.combined_percent(i) for g in self.groups for i in g.indicators}


def _require_hundred(where: str, weights: Sequence[Decimal]) -> None:
    # The source's printed percentages sum to exactly 100.00 within every level and group.
    if abs(sum(weights, Decimal(0)) - HUNDRED) > Decimal("0.05"):
        raise ValueError(f"{where}: 权重之和应为100% / weights must sum to 100 %")


def _ind(code: str, zh: str, en: str, weight: str, combined: str) -> Indicator:
    return Indicator(code, zh, en, Decimal(weight), Decimal(combined))


DEFAULT_TREE = CompetencyTree(
    groups=(
        IndicatorGroup(
            "problem_solving",
            "解决具体问题的专业能力",
            "problem-solving expertise",
            Decimal("38.15"),
            (
                _ind(
                    "reading_customer", "客户信息解读能力", "reading the customer", "24.23", "9.24"
                ),
                _ind("product_knowledge", "产品知识运用能力", "product knowledge", "22.48", "8.58"),
                _ind(
                    "understanding_needs",
                    "理解客户需求能力",
                    "understanding needs",
                    "27.14",
                    "10.35",
                ),
                _ind(
                    "fitting_solutions",
                    "提供适合产品或服务的能力",
                    "offering fitting solutions",
                    "26.15",
                    "9.98",
                ),
            ),
        ),
        IndicatorGroup(
            "customer_centred",
            "以客户为中心的服务能力",
            "customer-centred service",
            Decimal("33.47"),
            (
                _ind("communication", "人际沟通能力", "communication", "34.52", "11.55"),
                _ind("self_management", "自我管理能力", "self-management", "30.16", "10.10"),
                _ind("teamwork", "团队协作能力", "teamwork", "21.24", "7.11"),
                _ind("self_motivation", "自我激励能力", "self-motivation", "14.08", "4.71"),
            ),
        ),
        IndicatorGroup(
            "practice_learning",
            "基于实践的学习能力",
            "learning from practice",
            Decimal("28.38"),
            (
                _ind(
                    "continuous_learning",
                    "持续获取知识及应用能力",
                    "continuous learning",
                    "31.21",
                    "8.86",
                ),
                _ind(
                    "reflective_practice", "反思实践能力", "reflective practice", "36.57", "10.38"
                ),
                _ind("it_skills", "信息技术应用能力", "IT skills", "32.22", "9.14"),
            ),
        ),
    )
)


# --- Delphi: weights and Kendall's W -------------------------------------------------------


@dataclass(frozen=True)
class LikertMatrix:
    """Experts × indicators importance scores (one row per expert)."""

    indicators: tuple[str, ...]
    rows: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        if len(self.indicators) < 2:
            raise InvalidScores("至少需要2个指标 / at least 2 indicators are needed")
        if len(set(self.indicators)) != len(self.indicators):
            raise InvalidScores("指标名称重复 / indicator names must be unique")
        if len(self.rows) < 2:
            raise InvalidScores("至少需要2位专家 / at least 2 experts are needed")
        for number, row in enumerate(self.rows, start=1):
            if len(row) != len(self.indicators):
                raise InvalidScores(
                    f"第{number}位专家的评分个数不对 / expert {number} scored "
                    f"{len(row)} indicators, expected {len(self.indicators)}"
                )
            for score in row:
                if not LIKERT_MIN <= score <= LIKERT_MAX:
                    raise InvalidScores(
                        f"第{number}位专家的评分 {score} 不在1–5之间 / "
                        f"expert {number}: score {score} is outside 1–5"
                    )

    @property
    def experts(self) -> int:
        return len(self.rows)

    def column(self, indicator: str) -> tuple[int, ...]:
        index = self.indicators.index(indicator)
        return tuple(row[index] for row in self.rows)


@dataclass(frozen=True)
class Concordance:
    """Kendall's W for m experts ranking n indicators, and its χ² test."""

    experts: int
    indicators: int
    kendall_w: float | None  # None when every expert scored every indicator the same
    chi2: float | None
    df: int
    p_value: float | None


def mean_importance_weights(matrix: LikertMatrix) -> dict[str, float]:
    """Mean Likert score of each indicator, normalised to sum to 1."""
    totals = {code: sum(matrix.column(code)) for code in matrix.indicators}
    grand = sum(totals.values())  # > 0 since every score is ≥ 1
    return {code: float(Fraction(total, grand)) for code, total in totals.items()}


def average_ranks(values: Sequence[float | int]) -> list[Fraction]:
    """Ranks 1..n, ties get the mean of the ranks they span (mid-ranks)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks: list[Fraction] = [Fraction(0)] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        mid_rank = Fraction(start + 1 + end + 1, 2)
        for position in range(start, end + 1):
            ranks[order[position]] = mid_rank
        start = end + 1
    return ranks


def kendall_w(rows: Sequence[Sequence[float | int]], *, correct_ties: bool = True) -> Concordance:
    """Kendall's W over raters (rows) × objects (columns), with tie correction by default.

    W = 12 S / (m² (n³ − n) − m Σ T),  S = Σ (R_j − R̄)²,  T = Σ (t³ − t) over each rater's
    tie groups (Kendall 1948; Siegel & Castellan 1988, §9.4). χ² = m (n − 1) W, df = n − 1.
    Each rater's scores are ranked so that the highest score gets the highest rank.
    """
    m = len(rows)
    n = len(rows[0]) if rows else 0
    if m < 2 or n < 2 or any(len(r) != n for r in rows):
        raise InvalidScores("至少需要2位专家和2个指标 / need at least 2 raters and 2 objects")
    ranked = [average_ranks(row) for row in rows]
    rank_sums = [sum((r[j] for r in ranked), Fraction(0)) for j in range(n)]
    mean_sum = Fraction(m * (n + 1), 2)
    s = sum(((rj - mean_sum) ** 2 for rj in rank_sums), Fraction(0))
    ties = sum(_tie_term(row) for row in rows) if correct_ties else 0
    denominator = m * m * (n**3 - n) - m * ties
    df = n - 1
    if denominator == 0:
        return Concordance(m, n, None, None, df, None)
    w = 12 * s / denominator
    chi2 = m * df * w
    p_value = chi2_sf(float(chi2), df)
    return Concordance(m, n, float(w), float(chi2), df, p_value)


def chi2_sf(x: float, df: int) -> float:
    """P(X ≥ x) for X ~ χ² with ``df`` degrees of freedom: the regularised upper incomplete
    gamma function Q(df/2, x/2), by its series below a + 1 and its continued fraction above
    (Numerical Recipes §6.2); accurate to about 1e-14, no SciPy needed."""
    if df < 1:
        raise ValueError("df must be at least 1")
    if x <= 0:
        return 1.0
    a, half = df / 2, x / 2
    log_front = a * math.log(half) - half - math.lgamma(a)
    if half < a + 1:  # series for P(a, x); Q = 1 - P
        term = total = 1 / a
        n = a
        for _ in range(10_000):
            n += 1
            term *= half / n
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return max(0.0, 1 - total * math.exp(log_front))
    # Lentz's continued fraction for Q(a, x)
    tiny = 1e-300
    b = half + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16:
            break
    return min(1.0, math.exp(log_front) * h)


def _tie_term(row: Sequence[float | int]) -> int:
    counts: dict[float | int, int] = {}
    for value in row:
        counts[value] = counts.get(value, 0) + 1
    return sum(t**3 - t for t in counts.values())


@dataclass(frozen=True)
class DelphiResult:
    weights: Mapping[str, float]
    concordance: Concordance


def analyse_delphi(matrix: LikertMatrix) -> DelphiResult:
    """Weights (mean importance normalised to 1) and tie-corrected Kendall's W of one level."""
    return DelphiResult(mean_importance_weights(matrix), kendall_w(matrix.rows))


@dataclass(frozen=True)
class DelphiRound:
    tree: CompetencyTree  # the same indicators with the weights of this round
    first_level: Concordance
    second_level: Concordance


def run_delphi_round(
    template: CompetencyTree, first_level: LikertMatrix, second_level: LikertMatrix
) -> DelphiRound:
    """One Delphi round over a tree, as the source reports it (表2, W per level).

    First-level weights are normalised over the groups; second-level weights within each
    group; W is computed over all first-level and over all second-level indicators.
    """
    group_codes = tuple(g.code for g in template.groups)
    _require_same(first_level.indicators, group_codes)
    _require_same(second_level.indicators, template.indicator_codes)
    first_sums = {code: sum(first_level.column(code)) for code in group_codes}
    second_sums = {code: sum(second_level.column(code)) for code in template.indicator_codes}
    groups = []
    for group in template.groups:
        # a group's second-level weights are its own column sums normalised within the group
        group_sum = sum(second_sums[i.code] for i in group.indicators)
        groups.append(
            IndicatorGroup(
                group.code,
                group.name_zh,
                group.name_en,
                _percent(Fraction(first_sums[group.code], sum(first_sums.values()))),
                tuple(
                    Indicator(
                        i.code,
                        i.name_zh,
                        i.name_en,
                        _percent(Fraction(second_sums[i.code], group_sum)),
                    )
                    for i in group.indicators
                ),
            )
        )
    return DelphiRound(
        CompetencyTree(tuple(groups)), kendall_w(first_level.rows), kendall_w(second_level.rows)
    )


def _percent(weight: Fraction) -> Decimal:
    return Decimal(weight.numerator) * HUNDRED / Decimal(weight.denominator)


def _require_same(given: Sequence[str], expected: Sequence[str]) -> None:
    if set(given) != set(expected):
        raise InvalidScores(
            f"指标与指标体系不一致 / indicators {sorted(given)} do not match {sorted(expected)}"
        )


# --- scoring a handler --------------------------------------------------------------------


@dataclass(frozen=True)
class HandlerScore:
    total: Decimal  # 0–100, Σ combined weight × indicator score
    by_group: Mapping[str, Decimal]  # each group's weighted mean of its indicators, 0–100


def score_handler(
    tree: CompetencyTree, scores: Mapping[str, Decimal | int | float]
) -> HandlerScore:
    """Score a handler from indicator scores 0–100 on every second-level indicator."""
    missing = [c for c in tree.indicator_codes if c not in scores]
    unknown = [c for c in scores if c not in tree.indicator_codes]
    if missing or unknown:
        raise ValueError(
            f"指标评分不完整 / missing scores {missing}"
            if missing
            else f"未知指标 / unknown indicators {unknown}"
        )
    exact = {code: Decimal(str(value)) for code, value in scores.items()}
    for code, value in exact.items():
        if not 0 <= value <= 100:
            raise ValueError(f"{code}: 评分应在0–100之间 / score {value} is outside 0–100")
    by_group = {
        g.code: sum((i.weight_percent * exact[i.code] for i in g.indicators), Decimal(0)) / HUNDRED
        for g in tree.groups
    }
    total = sum((g.weight_percent * by_group[g.code] for g in tree.groups), Decimal(0)) / HUNDRED
    return HandlerScore(total=total, by_group=by_group)
