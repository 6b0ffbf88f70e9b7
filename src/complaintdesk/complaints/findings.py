"""Findings of an investigation and the factors that weigh on them (SPEC §6, source §6
第二十四、二十五条). Pure data: the aggregate validates against these enums."""

from __future__ import annotations

from enum import StrEnum


class Finding(StrEnum):
    SUBSTANTIATED = "substantiated"  # 属实
    PARTLY_SUBSTANTIATED = "partly_substantiated"  # 部分属实
    UNSUBSTANTIATED = "unsubstantiated"  # 不属实


class LeniencyFactor(StrEnum):
    """从轻: what speaks for the unit complained about."""

    CORRECTED_BEFORE = "corrected_before"  # 投诉前已主动纠正
    ACTIVELY_REMEDIED = "actively_remedied"  # 积极采取补救措施
    OBJECTIVE_CAUSES = "objective_causes"  # 因客观原因造成


class AggravatingFactor(StrEnum):
    """从重: what speaks against it."""

    RETALIATION = "retaliation"  # 对投诉人打击报复
    INTENTIONAL = "intentional"  # 故意
    PASSIVE = "passive"  # 消极应付
    LET_SPREAD = "let_spread"  # 放任后果扩大
    OUTSIDE_INVESTOR = "outside_investor"  # 外来投资者投诉经查属实


FINDING_LABELS: dict[str, tuple[str, str]] = {
    Finding.SUBSTANTIATED: ("属实", "Substantiated"),
    Finding.PARTLY_SUBSTANTIATED: ("部分属实", "Partly substantiated"),
    Finding.UNSUBSTANTIATED: ("不属实", "Unsubstantiated"),
}
FACTOR_LABELS: dict[str, tuple[str, str]] = {
    LeniencyFactor.CORRECTED_BEFORE: ("投诉前已主动纠正", "corrected before the complaint"),
    LeniencyFactor.ACTIVELY_REMEDIED: ("积极补救", "actively remedied"),
    LeniencyFactor.OBJECTIVE_CAUSES: ("客观原因", "objective causes"),
    AggravatingFactor.RETALIATION: ("打击报复投诉人", "retaliation against the complainant"),
    AggravatingFactor.INTENTIONAL: ("故意", "intentional"),
    AggravatingFactor.PASSIVE: ("消极应付", "passive"),
    AggravatingFactor.LET_SPREAD: ("放任后果扩大", "let it spread"),
    AggravatingFactor.OUTSIDE_INVESTOR: (
        "外来投资者投诉属实",
        "confirmed complaint from an outside investor",
    ),
}
