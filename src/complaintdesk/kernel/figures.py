"""Exact figures and their presentation, shared by evaluations and KPIs.

Every ratio is kept as an exact `Fraction` until it is shown, so the same inputs always give
the same displayed digits (no float drift between the table, the Excel export and the chart).
Rounding happens only here, half-up to 2 decimal places, the way a published table rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

NO_FIGURE = "—"
"""What a table shows for a figure that cannot be computed (zero denominator, no data)."""

_TWO_PLACES = Decimal("0.01")


def ratio(numerator: int | Fraction, denominator: int | Fraction) -> Fraction | None:
    """Exact numerator ÷ denominator, or None when the denominator is zero (never raises)."""
    if denominator == 0:
        return None
    return Fraction(numerator) / Fraction(denominator)


def to_decimal(value: Fraction | Decimal | int, places: int = 2) -> Decimal:
    """Round an exact value half-up to `places` decimals (presentation only)."""
    exact = Fraction(value)
    quantum = Decimal(1).scaleb(-places)
    # Decimal division at high precision, then one half-up rounding: stable for any Fraction.
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        quantum, rounding=ROUND_HALF_UP
    )


def round_2dp(value: Fraction | Decimal | int | None) -> Decimal | None:
    """Half-up rounding to 2 dp; None stays None."""
    return None if value is None else to_decimal(value, 2)


def percent_2dp(value: Fraction | None) -> Decimal | None:
    """A ratio shown as a percentage with 2 dp (1/3 → 33.33); None stays None."""
    return None if value is None else to_decimal(value * 100, 2)


def format_percent(value: Fraction | None) -> str:
    """'95.00%' or '—' for a figure that cannot be computed."""
    shown = percent_2dp(value)
    return NO_FIGURE if shown is None else f"{shown}%"


def format_number(value: Fraction | int | None) -> str:
    """'85.33' or '—'."""
    shown = round_2dp(value)
    return NO_FIGURE if shown is None else str(shown)


def competition_ranks(values: Sequence[Fraction], *, descending: bool = True) -> list[int]:
    """Standard competition ranking ("1224"): equal values share the best rank."""
    ranks = []
    for value in values:
        better = sum(1 for other in values if (other > value if descending else other < value))
        ranks.append(better + 1)
    return ranks


def require_counts(**counts: int) -> None:
    """Counts feed the KPI formulas: a negative one is a caller's mistake."""
    for name, value in counts.items():
        if value < 0:
            raise ValueError(f"计数不能为负 / {name} must not be negative")


def require_within(part: str, part_value: int, whole: str, whole_value: int) -> None:
    if part_value > whole_value:
        raise ValueError(f"{part} 不能大于 {whole} / {part} cannot exceed {whole}")
