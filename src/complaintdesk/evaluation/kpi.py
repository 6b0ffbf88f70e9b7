"""KPI formulas over plain counts — hotline 三率 and telecom KPIs (SPEC §7, §8.1).

Sources: telecom figures from 投诉信范文3 (1.1 definitions (2)(3), 1.3 评估阶段); hotline
figures are what 12345 centres are ranked by. Every rate is an exact `Fraction` in 0…1, or
None when its denominator is zero (shown as "—" by `figures.format_percent`), never an error.
The counting itself (which complaints fall in a period) belongs to the caller, so every
figure can be drilled down to the complaints that were counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from complaintdesk.kernel.figures import competition_ranks, ratio

TEN_THOUSAND = 10_000
BONUS_TOP_N = 6


def _require_counts(**counts: int) -> None:
    for name, value in counts.items():
        if value < 0:
            raise ValueError(f"计数不能为负 / {name} must not be negative")


def _require_within(part: str, part_value: int, whole: str, whole_value: int) -> None:
    if part_value > whole_value:
        raise ValueError(f"{part} 不能大于 {whole} / {part} cannot exceed {whole}")


# --- hotline (12345) ------------------------------------------------------------------------


@dataclass(frozen=True)
class HotlineCounts:
    """One unit's counts for one period."""

    received: int  # complaints assigned to the unit in the period
    responded: int  # of those, signed for / first contact within the response limit (响应)
    closed: int  # closed (办结) in the period
    closed_on_time: int  # of those, within the time limit of SPEC §4 (按时办结)
    resolved: int  # of the closed, confirmed solved at the callback (解决)
    rated: int  # callbacks in which the complainant gave a rating
    satisfied: int  # of those, satisfied or basically satisfied (满意+基本满意)
    repeat: int = 0  # received complaints linked to an earlier one on the same matter (重复投诉)

    def __post_init__(self) -> None:
        _require_counts(**vars(self))
        _require_within("responded", self.responded, "received", self.received)
        _require_within("closed_on_time", self.closed_on_time, "closed", self.closed)
        _require_within("resolved", self.resolved, "closed", self.closed)
        _require_within("satisfied", self.satisfied, "rated", self.rated)
        _require_within("repeat", self.repeat, "received", self.received)


@dataclass(frozen=True)
class HotlineRates:
    response_rate: Fraction | None  # 响应率 = responded ÷ received
    on_time_rate: Fraction | None  # 按时办结率 = closed on time ÷ closed
    resolution_rate: Fraction | None  # 解决率 = resolved ÷ closed
    satisfaction_rate: Fraction | None  # 满意率 = satisfied ÷ rated
    repeat_rate: Fraction | None  # 重复投诉率 = repeat ÷ received


def hotline_rates(counts: HotlineCounts) -> HotlineRates:
    return HotlineRates(
        response_rate=ratio(counts.responded, counts.received),
        on_time_rate=ratio(counts.closed_on_time, counts.closed),
        resolution_rate=ratio(counts.resolved, counts.closed),
        satisfaction_rate=ratio(counts.satisfied, counts.rated),
        repeat_rate=ratio(counts.repeat, counts.received),
    )


# --- telecom pre-processing (SPEC §7) -------------------------------------------------------


class HandledAt(StrEnum):
    """Where a telecom complaint ticket was finally handled (SPEC §7)."""

    LEVEL_1 = "level_1"  # automatic pre-processing platform (一级预处理)
    LEVEL_2 = "level_2"  # province customer-support centre (省客户支撑中心)
    CITY_BRANCH = "city_branch"  # dispatched to the city branch for on-site handling (下派)


def preprocessing_success_rate(
    resolved_level_1: int, resolved_level_2: int, total_tickets: int
) -> Fraction | None:
    """省层面预处理成功率 = (resolved at level 1 + level 2) ÷ all complaint tickets."""
    _require_counts(
        resolved_level_1=resolved_level_1,
        resolved_level_2=resolved_level_2,
        total_tickets=total_tickets,
    )
    resolved = resolved_level_1 + resolved_level_2
    _require_within("resolved by pre-processing", resolved, "total_tickets", total_tickets)
    return ratio(resolved, total_tickets)


def dispatch_accuracy(network_quality_tickets: int, city_received_tickets: int) -> Fraction | None:
    """省层面派单准确率 = network-quality tickets ÷ all tickets received by city branches."""
    _require_counts(network_quality=network_quality_tickets, city_received=city_received_tickets)
    _require_within(
        "network_quality", network_quality_tickets, "city_received", city_received_tickets
    )
    return ratio(network_quality_tickets, city_received_tickets)


@dataclass(frozen=True)
class Ticket:
    handled_at: HandledAt
    network_quality: bool  # the cause was network quality (网络质量类), not billing/terminal/…


@dataclass(frozen=True)
class PreprocessingFigures:
    total: int
    level_1: int
    level_2: int
    dispatched: int
    dispatched_network_quality: int
    success_rate: Fraction | None
    dispatch_accuracy: Fraction | None


def preprocessing_figures(tickets: Iterable[Ticket]) -> PreprocessingFigures:
    """Both §7 rates from ticket records (every ticket counts once, where it ended)."""
    level_1 = level_2 = dispatched = accurate = 0
    for ticket in tickets:
        if ticket.handled_at is HandledAt.LEVEL_1:
            level_1 += 1
        elif ticket.handled_at is HandledAt.LEVEL_2:
            level_2 += 1
        else:
            dispatched += 1
            accurate += ticket.network_quality
    total = level_1 + level_2 + dispatched
    return PreprocessingFigures(
        total=total,
        level_1=level_1,
        level_2=level_2,
        dispatched=dispatched,
        dispatched_network_quality=accurate,
        success_rate=preprocessing_success_rate(level_1, level_2, total),
        dispatch_accuracy=dispatch_accuracy(accurate, dispatched),
    )


# --- telecom branch assessment (SPEC §8.1, source 1.3) --------------------------------------


def complaints_per_10k_users(complaints: int, users: int, months: int = 1) -> Fraction | None:
    """万用户月均投诉率 = complaints ÷ months ÷ users × 10,000."""
    _require_counts(complaints=complaints, users=users, months=months)
    return ratio(complaints * TEN_THOUSAND, users * months)


def network_optimisation_share(solved_by_optimisation: int, complaints: int) -> Fraction | None:
    """网优手段解决率 = complaints solved by network optimisation ÷ complaints handled."""
    _require_counts(solved_by_optimisation=solved_by_optimisation, complaints=complaints)
    _require_within("solved_by_optimisation", solved_by_optimisation, "complaints", complaints)
    return ratio(solved_by_optimisation, complaints)


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
        _require_counts(
            users=self.users,
            complaints=self.complaints,
            resolved=self.resolved,
            solved_by_optimisation=self.solved_by_optimisation,
            callback_failures=self.callback_failures,
        )
        _require_within("resolved", self.resolved, "complaints", self.complaints)
        _require_within(
            "solved_by_optimisation", self.solved_by_optimisation, "resolved", self.resolved
        )
        _require_within("callback_failures", self.callback_failures, "resolved", self.resolved)


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
    shares = [network_optimisation_share(m.solved_by_optimisation, m.complaints) for m in months]
    ranked = [(i, s) for i, s in enumerate(shares) if s is not None]
    ranks = dict(
        zip((i for i, _ in ranked), competition_ranks([s for _, s in ranked]), strict=True)
    )
    zero = Fraction(0)
    result = []
    for index, month in enumerate(months):
        per_10k = complaints_per_10k_users(month.complaints, month.users)
        resolution = ratio(month.resolved - month.callback_failures, month.complaints)
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
