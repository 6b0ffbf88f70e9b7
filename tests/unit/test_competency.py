"""Handler competency, SPEC §8.3 / source 投诉信范文4 表2, and the Delphi statistics."""

from __future__ import annotations

from decimal import Decimal

import pytest
from scipy.stats import friedmanchisquare

from complaintdesk.evaluation.competency import (
    DEFAULT_TREE,
    CompetencyTree,
    IndicatorGroup,
    InvalidScores,
    LikertMatrix,
    analyse_delphi,
    average_ranks,
    chi2_sf,
    kendall_w,
    mean_importance_weights,
    run_delphi_round,
    score_handler,
)

# --- the source's tree ----------------------------------------------------------------------

# 表2 of the source: (first-level %, second-level %, printed combined %)
PUBLISHED = {
    "reading_customer": ("38.15", "24.23", "9.24"),
    "product_knowledge": ("38.15", "22.48", "8.58"),
    "understanding_needs": ("38.15", "27.14", "10.35"),
    "fitting_solutions": ("38.15", "26.15", "9.98"),
    "communication": ("33.47", "34.52", "11.55"),
    "self_management": ("33.47", "30.16", "10.10"),
    "teamwork": ("33.47", "21.24", "7.11"),
    "self_motivation": ("33.47", "14.08", "4.71"),
    "continuous_learning": ("28.38", "31.21", "8.86"),
    "reflective_practice": ("28.38", "36.57", "10.38"),
    "it_skills": ("28.38", "32.22", "9.14"),
}


def test_it_has_three_first_level_and_eleven_second_level_indicators() -> None:
    assert len(DEFAULT_TREE.groups) == 3
    assert [len(g.indicators) for g in DEFAULT_TREE.groups] == [4, 4, 3]
    assert set(DEFAULT_TREE.indicator_codes) == set(PUBLISHED)


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_it_reproduces_each_published_combined_weight_to_a_hundredth(code: str) -> None:
    first, second, printed = (Decimal(v) for v in PUBLISHED[code])
    # e.g. reading the customer: 38.15 % × 24.23 % = 9.243645 % → printed 9.24 %
    # self-management: 33.47 % × 30.16 % = 10.094552 %, printed 10.10 % (|Δ| = 0.0054)
    combined = DEFAULT_TREE.combined_weights()[code]
    assert combined == first * second / 100
    assert abs(combined - printed) <= Decimal("0.01")


def test_it_makes_the_combined_weights_sum_to_one_hundred() -> None:
    # each level sums to 100.00 % in the source, so the products sum to exactly 100 %
    assert sum(DEFAULT_TREE.combined_weights().values()) == Decimal(100)


def test_it_ranks_the_top_five_indicators_as_the_source_does() -> None:
    # 三、2: 人际沟通, 反思实践, 理解客户需求, 自我管理, 提供适合产品或服务 are the top five
    weights = DEFAULT_TREE.combined_weights()
    top_five = sorted(weights, key=lambda c: weights[c], reverse=True)[:5]
    assert top_five == [
        "communication",
        "reflective_practice",
        "understanding_needs",
        "self_management",
        "fitting_solutions",
    ]


def test_it_refuses_a_tree_whose_weights_do_not_sum_to_one_hundred() -> None:
    group = DEFAULT_TREE.groups[0]
    with pytest.raises(ValueError):
        CompetencyTree((IndicatorGroup("g", "组", "group", Decimal(90), group.indicators),))


# --- scoring a handler ----------------------------------------------------------------------


def test_it_scores_a_handler_with_the_combined_weights() -> None:
    # 80 everywhere except communication 100:
    # 80 + (100 − 80) × 11.554... % = 80 + 20 × 0.115542... = 82.310888...
    scores = dict.fromkeys(DEFAULT_TREE.indicator_codes, 80)
    scores["communication"] = 100
    result = score_handler(DEFAULT_TREE, scores)
    # combined weight of communication = 33.47 × 34.52 / 100 = 11.553844 %
    assert result.total == Decimal(80) + Decimal(20) * Decimal("0.11553844")
    # the customer-centred group: 80 + 20 × 34.52 % = 86.904
    assert result.by_group["customer_centred"] == Decimal("86.904")
    assert result.by_group["problem_solving"] == Decimal(80)


def test_it_refuses_a_handler_score_with_a_missing_indicator() -> None:
    scores = dict.fromkeys(DEFAULT_TREE.indicator_codes[1:], 80)
    with pytest.raises(ValueError):
        score_handler(DEFAULT_TREE, scores)


def test_it_refuses_a_handler_score_above_one_hundred() -> None:
    scores = dict.fromkeys(DEFAULT_TREE.indicator_codes, 101)
    with pytest.raises(ValueError):
        score_handler(DEFAULT_TREE, scores)


# --- Kendall's W against published examples -------------------------------------------------

# Siegel & Castellan (1988), Nonparametric Statistics for the Behavioral Sciences, 2nd ed.,
# §9.4: 3 raters rank 8 attributes of a holiday resort (no ties); the same data are the
# "example from Siegel and Castellan (1988)" in R DescTools::KendallW's documentation.
SIEGEL_CASTELLAN = [
    [5, 6, 7, 1, 2, 4, 3, 8],
    [1, 7, 6, 2, 3, 5, 4, 8],
    [4, 5, 1, 3, 2, 7, 6, 8],
]

# R irr/DescTools `anxiety` data: 3 raters × 20 subjects on a 1–6 scale, many ties.
# DescTools documentation prints KendallW(anxiety, correct = TRUE) = 0.5396569.
ANXIETY = [
    [3, 3, 3, 4, 5, 5, 2, 3, 5, 2, 2, 6, 1, 5, 2, 2, 1, 2, 4, 3],
    [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4],
    [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2],
]


def test_it_matches_siegel_and_castellan_without_ties() -> None:
    # rank sums R = 10, 18, 14, 6, 7, 16, 13, 24; mean m(n+1)/2 = 13.5
    # S = 12.25+20.25+0.25+56.25+42.25+6.25+0.25+110.25 = 248
    # W = 12 × 248 / (3² × (8³ − 8)) = 2976 / 4536 = 0.656
    # χ² = m (n − 1) W = 3 × 7 × 0.656 = 13.78, df 7
    result = kendall_w(SIEGEL_CASTELLAN)
    assert result.kendall_w == pytest.approx(2976 / 4536)
    assert round(result.kendall_w or 0, 3) == 0.656
    assert result.chi2 == pytest.approx(3 * 7 * 2976 / 4536)
    assert result.df == 7
    assert result.p_value == pytest.approx(0.0553, abs=1e-4)


def test_it_matches_the_proofwiki_four_judges_example() -> None:
    # ProofWiki "Kendall's Coefficient of Concordance/Examples/Arbitrary Example 1":
    # 4 judges rank 3 competitors, rank sums 7, 9, 8, S = 2, W = 12·2 / (16·3·8) = 1/16
    judges = [[1, 3, 2], [1, 2, 3], [2, 3, 1], [3, 1, 2]]
    assert kendall_w(judges).kendall_w == pytest.approx(1 / 16)


def test_it_matches_the_published_tie_corrected_value_of_the_anxiety_data() -> None:
    result = kendall_w(ANXIETY)
    assert result.kendall_w == pytest.approx(0.5396569, abs=5e-8)
    # χ² = 3 × 19 × 0.5396569 = 30.76 on 19 df
    assert result.chi2 == pytest.approx(3 * 19 * 0.5396569, abs=1e-5)
    assert result.df == 19


def test_it_agrees_with_scipys_tie_corrected_friedman_statistic() -> None:
    # the Friedman χ² with tie correction equals m (n − 1) W_t: an independent implementation
    friedman = friedmanchisquare(*zip(*ANXIETY, strict=True))
    result = kendall_w(ANXIETY)
    assert result.chi2 == pytest.approx(float(friedman.statistic))
    assert result.p_value == pytest.approx(float(friedman.pvalue))


def test_it_gives_a_lower_w_when_ties_are_not_corrected() -> None:
    corrected = kendall_w(ANXIETY).kendall_w or 0
    plain = kendall_w(ANXIETY, correct_ties=False).kendall_w or 0
    assert plain < corrected
    # without ties the correction changes nothing
    assert kendall_w(SIEGEL_CASTELLAN, correct_ties=False).kendall_w == pytest.approx(2976 / 4536)


def test_it_gives_full_agreement_when_every_expert_orders_alike() -> None:
    assert kendall_w([[1, 2, 3, 4], [1, 2, 3, 4], [2, 3, 4, 5]]).kendall_w == pytest.approx(1)


def test_it_has_no_w_when_every_expert_gives_one_score_to_everything() -> None:
    result = kendall_w([[3, 3, 3], [5, 5, 5]])
    assert (result.kendall_w, result.chi2, result.p_value) == (None, None, None)


def test_it_gives_tied_scores_the_mean_of_their_ranks() -> None:
    assert average_ranks([5, 3, 5, 1]) == [3.5, 2, 3.5, 1]


# --- Delphi weights -------------------------------------------------------------------------


def test_it_weights_indicators_by_mean_importance_normalised_to_one() -> None:
    # column sums 5+4 = 9, 3+3 = 6, 1+2 = 3; grand total 18 → 1/2, 1/3, 1/6
    matrix = LikertMatrix(("a", "b", "c"), ((5, 3, 1), (4, 3, 2)))
    weights = mean_importance_weights(matrix)
    assert weights == pytest.approx({"a": 1 / 2, "b": 1 / 3, "c": 1 / 6})
    assert analyse_delphi(matrix).concordance.kendall_w == pytest.approx(1)


def test_it_refuses_a_score_outside_the_likert_scale() -> None:
    with pytest.raises(InvalidScores, match="outside 1–5"):
        LikertMatrix(("a", "b"), ((5, 6), (4, 3)))


def test_it_refuses_a_single_expert() -> None:
    with pytest.raises(InvalidScores, match="at least 2 experts"):
        LikertMatrix(("a", "b"), ((5, 4),))


def test_it_builds_a_tree_from_a_delphi_round() -> None:
    groups = tuple(g.code for g in DEFAULT_TREE.groups)
    first = LikertMatrix(groups, ((5, 4, 3), (5, 3, 3)))  # sums 10, 7, 6 of 23
    codes = DEFAULT_TREE.indicator_codes
    second = LikertMatrix(codes, (tuple([4] * 11), tuple([4] * 10 + [2])))
    result = run_delphi_round(DEFAULT_TREE, first, second)
    weights = {g.code: g.weight_percent for g in result.tree.groups}
    assert float(weights["problem_solving"]) == pytest.approx(100 * 10 / 23)
    # within "learning from practice" the IT-skills column sums 6 against 8 and 8 → 6/22
    it_skills = result.tree.groups[2].indicators[2]
    assert float(it_skills.weight_percent) == pytest.approx(100 * 6 / 22)
    assert result.first_level.experts == 2 and result.second_level.indicators == 11


@pytest.mark.parametrize(
    ("chi2", "df", "p"),
    [(3.841, 1, 0.05), (9.488, 4, 0.05), (23.209, 10, 0.01), (2.706, 1, 0.10), (43.773, 30, 0.05)],
)
def test_chi2_tail_matches_the_printed_critical_values(chi2: float, df: int, p: float) -> None:
    assert chi2_sf(chi2, df) == pytest.approx(p, abs=5e-5)
