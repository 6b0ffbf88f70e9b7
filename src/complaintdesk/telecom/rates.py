"""The telecom rates over plain counts — SPEC §7 pre-processing, SPEC §8.1 branch assessment.

Sources: 投诉信范文3, 1.1 definitions (2)(3) and 1.3 评估阶段. This is the one place these
formulas live; the counting (which tickets belong to a period) is the KPI engine's SQL
(``complaintdesk.telecom.kpis``), so ``GET /api/v1/telecom/metrics``, ``GET /api/v1/kpis/
telecom``, the Excel export, the monthly report and the CLI all show the same figures.
Every rate is an exact `Fraction` in 0…1, or None when its denominator is zero (shown as "—"
by `figures.format_percent`), never an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from complaintdesk.kernel.figures import competition_ranks, ratio, require_counts, require_within

TEN_THOUSAND = 10_000
BONUS_TOP_N = 6


# --- pre-processing (SPEC §7) ---------------------------------------------------------------


def preprocessing_success_rate(
    resolved_level_1: int, resolved_level_2: int, total_tickets: int
) -> Fraction | None:
    """省层面预处理成功率 = (resolved at level 1 + level 2) ÷ all complaint tickets."""
    require_counts(
        resolved_level_1=resolved_level_1,
        resolved_level_2=resolved_level_2,
        total_tickets=total_tickets,
    )
    resolved = resolved_level_1 + resolved_level_2
    require_within("resolved by pre-processing", resolved, "total_tickets", total_tickets)
    return ratio(resolved, total_tickets)


def dispatch_accuracy(network_quality_tickets: int, city_received_tickets: int) -> Fraction | None:
    """省层面派单准确率 = network-quality tickets ÷ ALL tickets received by city branches.

    A branch ticket still awaiting the branch's verdict is in the denominator (SPEC §7 says
    all tickets received) and not in the numerator: it has not been shown to be network
    quality. Callers may report how many are pending; they never leave them out.
    """
    require_counts(network_quality=network_quality_tickets, city_received=city_received_tickets)
    require_within(
        "network_quality", network_quality_tickets, "city_received", city_received_tickets
    )
    return ratio(network_quality_tickets, city_received_tickets)


@dataclass(frozen=True)
class PreprocessingMetrics:
    """One period's SPEC §7 counts, and both rates computed from them by the rules above.

    ``total`` complaint tickets received; ``level1``/``level2`` of those resolved by level 1 /
    level 2; ``to_branch`` tickets received by city branches; ``branch_network_quality`` of
    those the branch found to be network quality; ``branch_judged`` of those with a verdict
    (true or false) — the rest are pending, and count in the accuracy's denominator.
    """

    total: int
    level1: int
    level2: int
    to_branch: int
    branch_judged: int
    branch_network_quality: int

    def __post_init__(self) -> None:
        require_counts(**vars(self))
        require_within("level1 + level2", self.level1 + self.level2, "total", self.total)
        require_within("branch_judged", self.branch_judged, "to_branch", self.to_branch)
        require_within(
            "branch_network_quality",
            self.branch_network_quality,
            "branch_judged",
            self.branch_judged,
        )

    @property
    def preprocessed(self) -> int:
        return self.level1 + self.level2

    @property
    def branch_pending(self) -> int:
        """Branch tickets without a verdict yet (counted in the accuracy as not accurate)."""
        return self.to_branch - self.branch_judged

    @property
    def success_rate(self) -> Fraction | None:
        return preprocessing_success_rate(self.level1, self.level2, self.total)

    @property
    def dispatch_accuracy(self) -> Fraction | None:
        return dispatch_accuracy(self.branch_network_quality, self.to_branch)


# --- branch assessment (SPEC §8.1, source 1.3) ----------------------------------------------


def complaints_per_10k_users(complaints: int, users: int, months: int = 1) -> Fraction | None:
    """万用户月均投诉率 = complaints ÷ months ÷ users × 10,000."""
    require_counts(complaints=complaints, users=users, months=months)
    return ratio(complaints * TEN_THOUSAND, users * months)


def network_optimisation_share(solved_by_optimisation: int, complaints: int) -> Fraction | None:
    """网优手段解决率 = complaints solved by network optimisation ÷ complaints handled."""
    require_counts(solved_by_optimisation=solved_by_optimisation, complaints=complaints)
    require_within("solved_by_optimisation", solved_by_optimisation, "complaints", complaints)
    return ratio(solved_by_optimisation, complaints)


def branch_resolution_rate(
    resolved: int, callback_failures: int, complaints: int
) -> Fraction | None:
    """投诉解决率 = (resolved − callback-confirmed failures) ÷ complaints.

    A failure confirmed at the callback ("not improved / not solved", and true) is not a
    resolution (source 1.3 (4)).
    """
    require_counts(resolved=resolved, callback_failures=callback_failures, complaints=complaints)
    require_within("callback_failures", callback_failures, "resolved", resolved)
    require_within("resolved", resolved, "complaints", complaints)
    return ratio(resolved - callback_failures, complaints)


@dataclass(frozen=True)
class BranchMonth:
    """One city branch's network-quality complaint figures for one month."""

    branch: str
    users: int  # subscribers, entered by an admin per branch and month
    complaints: int  # network-quality complaints dispatched to the branch
    resolved: int  # reported resolved by the branch
    solved_by_optimisation: int  # of the resolved, solved by network optimisation (网优手段)
    callback_failures: int = 0  # callback: "not improved / not solved" and confirmed true

    def __post_init__(self) -> None:
        require_counts(
            users=self.users,
            complaints=self.complaints,
            resolved=self.resolved,
            solved_by_optimisation=self.solved_by_optimisation,
            callback_failures=self.callback_failures,
        )
        require_within("resolved", self.resolved, "complaints", self.complaints)
        require_within(
            "solved_by_optimisation", self.solved_by_optimisation, "resolved", self.resolved
        )
        require_within("callback_failures", self.callback_failures, "resolved", self.resolved)

    @property
    def complaints_per_10k(self) -> Fraction | None:
        return complaints_per_10k_users(self.complaints, self.users)

    @property
    def resolution_rate(self) -> Fraction | None:
        return branch_resolution_rate(self.resolved, self.callback_failures, self.complaints)

    @property
    def optimisation_share(self) -> Fraction | None:
        return network_optimisation_share(self.solved_by_optimisation, self.complaints)


@dataclass(frozen=True)
class TelecomRules:
    """Thresholds and points an admin configures; the source gives no numbers."""

    complaint_rate_threshold: Fraction  # per 10,000 users a month; above it → penalty
    complaint_rate_penalty: Fraction
    resolution_threshold: Fraction  # ratio 0…1; below it → penalty
    resolution_penalty: Fraction
    optimisation_threshold: Fraction  # ratio 0…1; above it and in the top N → bonus
    optimisation_bonus: Fraction
    callback_failure_points: Fraction = Fraction(1)  # deducted twice per confirmed failure
    bonus_top_n: int = BONUS_TOP_N


@dataclass(frozen=True)
class BranchAssessment:
    branch: str
    complaints_per_10k: Fraction | None
    resolution_rate: Fraction | None  # (resolved − confirmed callback failures) ÷ complaints
    optimisation_share: Fraction | None
    optimisation_rank: int | None  # competition rank among branches with a share
    complaint_rate_penalty: Fraction
    resolution_penalty: Fraction
    optimisation_bonus: Fraction
    callback_deduction: Fraction  # 2 × points × confirmed failures (加倍扣分)

    @property
    def points(self) -> Fraction:
        """Net points: bonus minus every penalty and deduction."""
        return (
            self.optimisation_bonus
            - self.complaint_rate_penalty
            - self.resolution_penalty
            - self.callback_deduction
        )


def assess_branches(months: Sequence[BranchMonth], rules: TelecomRules) -> list[BranchAssessment]:
    """Apply source 1.3 (1)–(4) to one month of branches, in the order given.

    A figure that cannot be computed (no users, no complaints) triggers neither penalty nor
    bonus. A callback-confirmed failure is not a resolution, and it costs double points.
    """
    shares = [m.optimisation_share for m in months]
    ranked = [(i, s) for i, s in enumerate(shares) if s is not None]
    ranks = dict(
        zip((i for i, _ in ranked), competition_ranks([s for _, s in ranked]), strict=True)
    )
    zero = Fraction(0)
    result = []
    for index, month in enumerate(months):
        per_10k = month.complaints_per_10k
        resolution = month.resolution_rate
        share, rank = shares[index], ranks.get(index)
        earns_bonus = (
            share is not None
            and rank is not None
            and share > rules.optimisation_threshold
            and rank <= rules.bonus_top_n
        )
        result.append(
            BranchAssessment(
                branch=month.branch,
                complaints_per_10k=per_10k,
                resolution_rate=resolution,
                optimisation_share=share,
                optimisation_rank=rank,
                complaint_rate_penalty=(
                    rules.complaint_rate_penalty
                    if per_10k is not None and per_10k > rules.complaint_rate_threshold
                    else zero
                ),
                resolution_penalty=(
                    rules.resolution_penalty
                    if resolution is not None and resolution < rules.resolution_threshold
                    else zero
                ),
                optimisation_bonus=rules.optimisation_bonus if earns_bonus else zero,
                callback_deduction=2 * rules.callback_failure_points * month.callback_failures,
            )
        )
    return result
