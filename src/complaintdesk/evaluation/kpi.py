"""Hotline (12345) KPI formulas over plain counts — the 三率 and the repeat rate.

These are the figures 12345 centres are ranked by. Every rate is an exact `Fraction` in 0…1,
or None when its denominator is zero (shown as "—" by `figures.format_percent`), never an
error. The counting itself (which complaints fall in a period) belongs to the caller, so every
figure can be drilled down to the complaints that were counted. The telecom rates (SPEC §7,
§8.1) are in `complaintdesk.telecom.rates`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from complaintdesk.kernel.figures import ratio, require_counts, require_within

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
        require_counts(**vars(self))
        require_within("responded", self.responded, "received", self.received)
        require_within("closed_on_time", self.closed_on_time, "closed", self.closed)
        require_within("resolved", self.resolved, "closed", self.closed)
        require_within("satisfied", self.satisfied, "rated", self.rated)
        require_within("repeat", self.repeat, "received", self.received)


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
