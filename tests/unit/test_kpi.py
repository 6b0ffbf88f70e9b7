"""Hotline and telecom KPI formulas (SPEC §7, §8.1 / source 投诉信范文3).

Hotline formulas are `complaintdesk.evaluation.kpi`; the telecom ones, the one implementation
of SPEC §7 and the branch assessment, are `complaintdesk.telecom.rates`."""

from __future__ import annotations

from fractions import Fraction

import pytest

from complaintdesk.evaluation.kpi import HotlineCounts, hotline_rates
from complaintdesk.kernel.figures import NO_FIGURE, format_percent
from complaintdesk.telecom.rates import (
    BranchMonth,
    PreprocessingMetrics,
    TelecomRules,
    assess_branches,
    branch_resolution_rate,
    complaints_per_10k_users,
    dispatch_accuracy,
    network_optimisation_share,
    preprocessing_success_rate,
)

# --- hotline --------------------------------------------------------------------------------


def test_it_computes_the_hotline_rates_from_counts() -> None:
    counts = HotlineCounts(
        received=200,
        responded=196,  # 196/200 = 98.00 %
        closed=180,
        closed_on_time=171,  # 171/180 = 95.00 %
        resolved=153,  # 153/180 = 85.00 %
        rated=150,
        satisfied=140,  # 140/150 = 93.33 %
        repeat=9,  # 9/200 = 4.50 %
    )
    rates = hotline_rates(counts)
    assert rates.response_rate == Fraction(98, 100)
    assert rates.on_time_rate == Fraction(95, 100)
    assert rates.resolution_rate == Fraction(85, 100)
    assert format_percent(rates.satisfaction_rate) == "93.33%"
    assert format_percent(rates.repeat_rate) == "4.50%"


def test_it_shows_a_dash_instead_of_dividing_by_zero() -> None:
    rates = hotline_rates(HotlineCounts(0, 0, 0, 0, 0, 0, 0))
    assert rates.response_rate is None and rates.satisfaction_rate is None
    assert format_percent(rates.on_time_rate) == NO_FIGURE == "—"


def test_it_refuses_more_on_time_closures_than_closures() -> None:
    with pytest.raises(ValueError):
        HotlineCounts(received=5, responded=5, closed=3, closed_on_time=4, resolved=3, rated=0,
                      satisfied=0)  # fmt: skip


# --- telecom pre-processing -----------------------------------------------------------------


def test_it_reaches_the_seed_pre_processing_success_rate() -> None:
    # (700 level 1 + 250 level 2) / 1000 tickets = 95 % (the source's 2014 H1 result)
    assert preprocessing_success_rate(700, 250, 1000) == Fraction(95, 100)


def test_it_measures_dispatch_accuracy_over_city_branch_tickets() -> None:
    # 46 network-quality tickets of 50 received by city branches = 92 % (> 90 % of the source)
    assert dispatch_accuracy(46, 50) == Fraction(92, 100)
    assert dispatch_accuracy(0, 0) is None


def test_the_period_figures_give_both_rates_by_the_same_formulas() -> None:
    # 10 tickets: 6 level 1, 2 level 2, 2 to a branch (1 network quality, 1 not)
    figures = PreprocessingMetrics(
        total=10, level1=6, level2=2, to_branch=2, branch_judged=2, branch_network_quality=1
    )
    # success (6 + 2) / 10 = 80 %; accuracy: 1 network-quality of 2 dispatched = 50 %
    assert figures.success_rate == Fraction(8, 10) == preprocessing_success_rate(6, 2, 10)
    assert figures.dispatch_accuracy == Fraction(1, 2) == dispatch_accuracy(1, 2)
    assert (figures.preprocessed, figures.branch_pending) == (8, 0)


def test_a_branch_ticket_awaiting_its_verdict_stays_in_the_accuracy_denominator() -> None:
    # SPEC §7: network-quality tickets ÷ ALL tickets received by city branches.
    # 4 received: 2 network quality, 1 not, 1 without a verdict → 2 / 4, not 2 / 3
    figures = PreprocessingMetrics(
        total=4, level1=0, level2=0, to_branch=4, branch_judged=3, branch_network_quality=2
    )
    assert figures.dispatch_accuracy == Fraction(1, 2)
    assert figures.branch_pending == 1
    assert format_percent(figures.dispatch_accuracy) == "50.00%"


def test_it_has_no_rates_without_tickets() -> None:
    figures = PreprocessingMetrics(0, 0, 0, 0, 0, 0)
    assert (figures.success_rate, figures.dispatch_accuracy) == (None, None)


def test_it_refuses_figures_that_cannot_be_counts_of_one_period() -> None:
    with pytest.raises(ValueError):
        PreprocessingMetrics(3, 2, 2, 0, 0, 0)  # more pre-processed than tickets
    with pytest.raises(ValueError):
        PreprocessingMetrics(5, 0, 0, 2, 3, 0)  # more verdicts than branch tickets
    with pytest.raises(ValueError):
        PreprocessingMetrics(5, 0, 0, 3, 1, 2)  # network quality without a verdict


def test_it_refuses_more_pre_processed_tickets_than_tickets() -> None:
    with pytest.raises(ValueError):
        preprocessing_success_rate(8, 3, 10)


# --- telecom branch KPIs --------------------------------------------------------------------


def test_it_computes_monthly_complaints_per_ten_thousand_users() -> None:
    # 36 complaints over 3 months among 120,000 users: 36 / 3 / 120000 × 10000 = 1.00
    assert complaints_per_10k_users(36, 120_000, months=3) == 1
    # one month: 45 / 150,000 × 10,000 = 3
    assert complaints_per_10k_users(45, 150_000) == 3
    assert complaints_per_10k_users(45, 0) is None


def test_a_callback_confirmed_failure_is_not_a_resolution() -> None:
    # (20 resolved − 2 confirmed failures) / 20 = 90 %
    assert branch_resolution_rate(20, 2, 20) == Fraction(9, 10)
    assert branch_resolution_rate(0, 0, 0) is None


def test_it_computes_the_network_optimisation_share() -> None:
    # 30 of 40 complaints solved by network optimisation = 75 %
    assert network_optimisation_share(30, 40) == Fraction(3, 4)
    assert network_optimisation_share(0, 0) is None


RULES = TelecomRules(
    complaint_rate_threshold=Fraction(3),  # per 10,000 users a month
    complaint_rate_penalty=Fraction(2),
    resolution_threshold=Fraction(90, 100),
    resolution_penalty=Fraction(3),
    optimisation_threshold=Fraction(50, 100),
    optimisation_bonus=Fraction(1),
    callback_failure_points=Fraction(1, 2),
)


def branch(name: str, solved_by_optimisation: int, **overrides: int) -> BranchMonth:
    figures = {"users": 100_000, "complaints": 20, "resolved": 20, "callback_failures": 0}
    figures.update(overrides)
    return BranchMonth(branch=name, solved_by_optimisation=solved_by_optimisation, **figures)


def test_it_penalises_a_branch_above_the_complaint_threshold_only() -> None:
    # 31 complaints / 100,000 users × 10,000 = 3.1 > 3 → penalty; 30 → exactly 3, no penalty
    above, at = assess_branches(
        [
            branch("above", 0, complaints=31, resolved=31),
            branch("at", 0, complaints=30, resolved=30),
        ],
        RULES,
    )
    assert above.complaints_per_10k == Fraction(31, 10)
    assert above.complaint_rate_penalty == 2
    assert at.complaint_rate_penalty == 0


def test_it_penalises_a_resolution_rate_below_the_threshold() -> None:
    # 17 of 20 resolved = 85 % < 90 % → penalty 3; 18 of 20 = 90 %, not below → none
    low, ok = assess_branches([branch("low", 0, resolved=17), branch("ok", 0, resolved=18)], RULES)
    assert (low.resolution_penalty, ok.resolution_penalty) == (3, 0)


def test_it_gives_the_bonus_to_the_top_six_above_the_threshold_with_ties() -> None:
    # shares (of 20 complaints): 19 18 17 16 15 14 14 13 9 → 95 90 85 80 75 70 70 65 45 %
    # ranks 1 2 3 4 5 6 6 8 9: both 70 % branches share 6th place and get the bonus;
    # 65 % is 8th; 45 % is below the 50 % threshold anyway
    solved = [19, 18, 17, 16, 15, 14, 14, 13, 9]
    result = assess_branches([branch(f"b{i}", s) for i, s in enumerate(solved)], RULES)
    assert [r.optimisation_rank for r in result] == [1, 2, 3, 4, 5, 6, 6, 8, 9]
    assert [r.optimisation_bonus for r in result] == [1] * 7 + [0, 0]


def test_it_gives_no_bonus_to_a_top_branch_not_above_the_threshold() -> None:
    # alone, so rank 1, but 10/20 = 50 % is not above 50 %
    (only,) = assess_branches([branch("only", 10)], RULES)
    assert (only.optimisation_rank, only.optimisation_bonus) == (1, 0)


def test_it_counts_a_callback_confirmed_failure_double() -> None:
    # 20 reported resolved, 2 confirmed unsolved at callback:
    # resolution (20 − 2) / 20 = 90 % (no resolution penalty), deduction 2 × 0.5 × 2 = 2 points
    (result,) = assess_branches([branch("b", 12, callback_failures=2)], RULES)
    assert result.resolution_rate == Fraction(9, 10)
    assert result.callback_deduction == 2
    # net: bonus 1 (12/20 = 60 % > 50 %, rank 1) − 2 = −1
    assert result.points == -1


def test_it_neither_penalises_nor_rewards_a_branch_without_figures() -> None:
    (empty,) = assess_branches(
        [BranchMonth("new", users=0, complaints=0, resolved=0, solved_by_optimisation=0)], RULES
    )
    assert (empty.complaints_per_10k, empty.resolution_rate, empty.optimisation_share) == (
        None,
        None,
        None,
    )
    assert empty.points == 0
