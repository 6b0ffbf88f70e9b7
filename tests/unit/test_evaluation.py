"""Unit evaluation, SPEC §8.2 / source 投诉信范文5 §五–§七, with hand-worked figures."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

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
    UnitScore,
    evaluate,
    method_satisfaction,
    overall_satisfaction,
    rank_category,
    rectification_score,
    score_unit,
    total_score,
)
from complaintdesk.kernel.figures import competition_ranks, format_number, round_2dp

LAW = Category.LAW_ENFORCEMENT
MGMT = Category.COMPREHENSIVE_MANAGEMENT

# A worked unit used across several tests.
INSTANT = GradeCounts(excellent=6, good=3, fair=1)  # 10 assessments
MONTHLY = GradeCounts(excellent=2, good=1)  # 3 assessments
INSPECTION = GradeCounts(good=1, poor=1)  # 2 assessments
CONCENTRATED = GradeCounts(excellent=10, good=5, fair=3, poor=1, bad=1)  # 20 assessments


def worked_unit(**overrides: Any) -> UnitAssessment:
    unit = UnitAssessment(
        unit_id="public-security-permits",
        category=LAW,
        assessments={
            Method.INSTANT: INSTANT,
            Method.MONTHLY: MONTHLY,
            Method.INSPECTION: INSPECTION,
            Method.CONCENTRATED: CONCENTRATED,
        },
        rectifications={
            RectificationKind.RECTIFIED: 4,
            RectificationKind.LATE_OR_INCOMPLETE: 1,
            RectificationKind.NOT_RECTIFIED_AFTER_SUPERVISION: 1,
        },
    )
    return replace(unit, **overrides)


def scored(unit_id: str, total: int | Fraction | None, category: Category = LAW) -> UnitScore:
    """A unit score with a given total, for ranking tests."""
    overall = None if total is None else Fraction(1)
    return UnitScore(
        unit_id=unit_id,
        category=category,
        name=unit_id,
        satisfaction={},
        overall=overall,
        missing_methods=(),
        rectification=20,
        total=None if total is None else Fraction(total),
    )


def by_id(ranked: list[RankedUnit]) -> dict[str, RankedUnit]:
    return {r.score.unit_id: r for r in ranked}


# --- satisfaction of one method -------------------------------------------------------------


def test_it_scores_one_method_as_points_over_ninety_per_assessment() -> None:
    # instant: 6×90 + 3×75 + 1×60 = 540 + 225 + 60 = 825; 10 assessments × 90 = 900
    # 825 / 900 = 11/12 ≈ 91.67 %
    assert method_satisfaction(INSTANT) == Fraction(825, 900) == Fraction(11, 12)


def test_it_uses_every_grade_value_of_the_source() -> None:
    # concentrated: 10×90 + 5×75 + 3×60 + 1×45 + 1×30 = 900+375+180+45+30 = 1530
    # 20 assessments × 90 = 1800 → 1530/1800 = 0.85
    assert method_satisfaction(CONCENTRATED) == Fraction(85, 100)


def test_it_gives_a_third_when_every_assessment_is_bad() -> None:
    # 4 × 30 / (4 × 90) = 1/3: the lowest possible satisfaction, not zero
    assert method_satisfaction(GradeCounts(bad=4)) == Fraction(1, 3)


def test_it_has_no_satisfaction_for_a_method_never_used() -> None:
    assert method_satisfaction(GradeCounts()) is None


def test_it_counts_grades_from_a_list_of_assessments() -> None:
    counts = GradeCounts.from_grades([Grade.GOOD, Grade.GOOD, Grade.BAD])
    assert (counts.good, counts.bad, counts.total, counts.points) == (2, 1, 3, 180)


def test_it_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError):
        GradeCounts(good=-1)


# --- overall satisfaction -------------------------------------------------------------------


def test_it_weights_the_four_methods_twenty_twenty_ten_fifty() -> None:
    # instant 11/12, monthly (2×90+75)/270 = 255/270 = 17/18, inspection (75+45)/180 = 2/3,
    # concentrated 17/20.
    # 0.2×11/12 + 0.2×17/18 + 0.1×2/3 + 0.5×17/20
    #   = 66/360 + 68/360 + 24/360 + 153/360 = 311/360 ≈ 86.39 %
    score = score_unit(worked_unit())
    assert score.satisfaction[Method.MONTHLY] == Fraction(17, 18)
    assert score.satisfaction[Method.INSPECTION] == Fraction(2, 3)
    assert score.overall == Fraction(311, 360)
    assert score.overall_percent == Decimal("86.39")
    assert score.missing_methods == ()


def test_it_renormalises_the_weights_when_a_method_has_no_assessments() -> None:
    # No inspection: (66/360 + 68/360 + 153/360) / 0.9 = (287/360) / (9/10) = 287/324 ≈ 88.58 %
    unit = worked_unit(
        assessments={
            Method.INSTANT: INSTANT,
            Method.MONTHLY: MONTHLY,
            Method.CONCENTRATED: CONCENTRATED,
        },
        rectifications={},
    )
    score = score_unit(unit)
    assert score.overall == Fraction(287, 324)
    assert score.missing_methods == (Method.INSPECTION,)
    # total = 287/324 × 80 + 20 = 5740/81 + 20 = 70.8642 + 20 = 90.8642 → 90.86
    assert score.total_display == Decimal("90.86")


def test_it_leaves_a_unit_unrated_under_the_strict_policy_when_a_method_is_missing() -> None:
    overall, missing = overall_satisfaction(
        {Method.INSTANT: Fraction(1), Method.CONCENTRATED: Fraction(1)},
        MissingMethodPolicy.NOT_RATED,
    )
    assert overall is None
    assert missing == (Method.MONTHLY, Method.INSPECTION)


def test_it_never_rates_a_unit_without_any_assessment() -> None:
    score = score_unit(UnitAssessment(unit_id="empty", category=MGMT))
    assert (score.overall, score.total, score.rated) == (None, None, False)
    assert score.missing_methods == tuple(Method)


# --- rectification --------------------------------------------------------------------------


def test_it_deducts_three_five_and_ten_points_per_case() -> None:
    # 20 − 0×4 (rectified) − 3×1 (late) − 5×1 (after second supervision) = 12
    assert rectification_score(worked_unit().rectifications) == 12
    # 20 − 10 (one refusal) = 10
    assert rectification_score({RectificationKind.REFUSED: 1}) == 10


def test_it_keeps_twenty_points_when_every_problem_was_rectified() -> None:
    assert rectification_score({RectificationKind.RECTIFIED: 7}) == 20


def test_it_floors_rectification_at_zero() -> None:
    # 20 − 10 − 2×5 − 2×3 = 20 − 26 = −6 → floored to 0 (扣完为止)
    cases = {
        RectificationKind.REFUSED: 1,
        RectificationKind.NOT_RECTIFIED_AFTER_SUPERVISION: 2,
        RectificationKind.LATE_OR_INCOMPLETE: 2,
    }
    assert rectification_score(cases) == 0


def test_it_scores_exactly_zero_when_deductions_use_up_the_base() -> None:
    # 20 − 2×10 = 0
    assert rectification_score({RectificationKind.REFUSED: 2}) == 0


# --- total ----------------------------------------------------------------------------------


def test_it_adds_eighty_times_satisfaction_to_the_rectification_score() -> None:
    # 311/360 × 80 = 622/9 ≈ 69.1111; + 12 = 730/9 ≈ 81.1111 → shown 81.11
    score = score_unit(worked_unit())
    assert score.total == total_score(Fraction(311, 360), 12) == Fraction(730, 9)
    assert score.total_display == Decimal("81.11")
    assert format_number(score.total) == "81.11"


def test_it_gives_one_hundred_for_a_perfect_unit() -> None:
    # all excellent → satisfaction 1 in every method; 1 × 80 + 20 = 100
    perfect = {m: GradeCounts(excellent=3) for m in Method}
    score = score_unit(UnitAssessment(unit_id="p", category=LAW, assessments=perfect))
    assert score.total == 100


def test_it_rounds_half_up_only_for_display() -> None:
    # 1/200 = 0.005 exactly: half-up gives 0.01 (banker's rounding would give 0.00)
    assert round_2dp(Fraction(1, 200)) == Decimal("0.01")
    assert round_2dp(Fraction(2, 3)) == Decimal("0.67")


# --- ranking and outcomes -------------------------------------------------------------------


def test_it_ranks_ties_by_competition_ranking() -> None:
    # 90 first; the two 85s share second place; 80 is fourth (1, 2, 2, 4)
    values = [Fraction(v) for v in (90, 85, 85, 80)]
    assert competition_ranks(values) == [1, 2, 2, 4]
    # from the bottom: 80 is 1st-worst, the 85s share 2nd-worst, 90 is 4th-worst
    assert competition_ranks(values, descending=False) == [4, 2, 2, 1]


def test_it_ranks_on_the_exact_total_not_the_rounded_one() -> None:
    # 85.333… and 85.33 both show as 85.33 but are not tied
    ranked = by_id(rank_category([scored("a", Fraction(256, 3)), scored("b", Fraction(8533, 100))]))
    assert (ranked["a"].rank, ranked["b"].rank) == (1, 2)


def test_it_commends_the_top_six_and_asks_the_bottom_three_to_explain() -> None:
    # 10 units, totals 99..90; ranks 1..10; bottom ranks: 90→1, 91→2, 92→3
    ranked = by_id(rank_category([scored(f"u{t}", t) for t in range(90, 100)]))
    commended = {k for k, r in ranked.items() if r.outcome is Outcome.COMMENDED}
    explain = {k for k, r in ranked.items() if r.outcome is Outcome.EXPLAIN}
    assert commended == {"u99", "u98", "u97", "u96", "u95", "u94"}
    assert explain == {"u90", "u91", "u92"}
    assert ranked["u93"].outcome is Outcome.NONE


def test_it_commends_every_unit_tied_for_sixth_place() -> None:
    # totals 95 94 93 92 91 90 90 89 88 87 → ranks 1 2 3 4 5 6 6 8 9 10
    # both 90s rank 6 ≤ 6, so 7 units are commended and the tie is flagged
    totals = {"a": 95, "b": 94, "c": 93, "d": 92, "e": 91, "f": 90, "g": 90, "h": 89}
    totals |= {"i": 88, "j": 87}
    ranked = by_id(rank_category([scored(k, v) for k, v in totals.items()]))
    assert (ranked["f"].rank, ranked["g"].rank, ranked["h"].rank) == (6, 6, 8)
    assert sum(r.outcome is Outcome.COMMENDED for r in ranked.values()) == 7
    assert ranked["f"].tied_at_boundary and ranked["g"].tied_at_boundary
    assert not ranked["a"].tied_at_boundary
    # 89 is 3rd from the bottom (87→1, 88→2, 89→3): the remaining three explain
    assert [ranked[k].outcome for k in "hij"] == [Outcome.EXPLAIN] * 3


def test_it_asks_every_unit_tied_for_third_from_last_to_explain() -> None:
    # totals 99 98 97 96 95 94 93 80 80 72 71 → from the bottom: 71→1, 72→2, 80,80→3, 93→5
    totals = [99, 98, 97, 96, 95, 94, 93, 80, 80, 72, 71]
    ranked = by_id(rank_category([scored(f"u{i}", t) for i, t in enumerate(totals)]))
    explain = sorted(k for k, r in ranked.items() if r.outcome is Outcome.EXPLAIN)
    assert explain == ["u10", "u7", "u8", "u9"]
    assert ranked["u7"].rank_from_bottom == ranked["u8"].rank_from_bottom == 3
    assert ranked["u7"].tied_at_boundary
    assert ranked["u6"].outcome is Outcome.NONE


def test_it_holds_the_head_accountable_below_seventy_even_in_the_top_six() -> None:
    # 3 units: 90 (rank 1), 85 (rank 2, also 2nd from bottom), 68 (rank 3, below 70)
    ranked = by_id(rank_category([scored("a", 90), scored("b", 85), scored("c", 68)]))
    assert ranked["a"].outcome is Outcome.COMMENDED
    # commendation wins over the explanation when a small category overlaps
    assert ranked["b"].outcome is Outcome.COMMENDED
    assert ranked["c"].outcome is Outcome.ACCOUNTABLE


def test_it_treats_exactly_seventy_as_passing() -> None:
    # "得分在70分(含70分)以上" → 70 explains, 69.99 is held accountable
    totals: list[int | Fraction] = [99, 98, 97, 96, 95, 94, 93, 70, Fraction(6999, 100)]
    ranked = by_id(rank_category([scored(f"u{i}", t) for i, t in enumerate(totals)]))
    assert ranked["u7"].outcome is Outcome.EXPLAIN
    assert ranked["u8"].outcome is Outcome.ACCOUNTABLE


def test_it_lists_unrated_units_last_without_a_rank() -> None:
    ranked = rank_category([scored("none", None), scored("a", 80)])
    assert [r.score.unit_id for r in ranked] == ["a", "none"]
    assert (ranked[1].rank, ranked[1].outcome) == (None, Outcome.NOT_RATED)


def test_it_refuses_to_rank_two_categories_together() -> None:
    with pytest.raises(ValueError):
        rank_category([scored("a", 80, LAW), scored("b", 80, MGMT)])


def test_it_ranks_each_category_separately() -> None:
    perfect = {m: GradeCounts(excellent=1) for m in Method}
    weak = {m: GradeCounts(bad=1) for m in Method}
    units = [
        UnitAssessment(unit_id="law-best", category=LAW, assessments=perfect),
        UnitAssessment(unit_id="law-weak", category=LAW, assessments=weak),
        UnitAssessment(unit_id="mgmt-weak", category=MGMT, assessments=weak),
    ]
    table = evaluate(units)
    assert [r.score.unit_id for r in table[LAW]] == ["law-best", "law-weak"]
    # alone in its category the weak unit is first, but 1/3 × 80 + 20 = 46.67 < 70
    (mgmt,) = table[MGMT]
    assert (mgmt.rank, mgmt.outcome) == (1, Outcome.ACCOUNTABLE)
    assert mgmt.score.total_display == Decimal("46.67")
