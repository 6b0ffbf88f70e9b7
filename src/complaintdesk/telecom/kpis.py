"""Telecom KPIs (SPEC §7, §8.1): the pre-processing rates, the city-branch assessment, and
the subscriber counts and thresholds an admin enters for it.

The counting is the KPI engine's (``complaintdesk.evaluation.kpis``: one SQL query per source,
every figure drillable to its complaints); the formulas are ``complaintdesk.telecom.rates``.
:func:`preprocessing` is the one place the two §7 rates are computed from the records: the
telecom dashboard (``GET /api/v1/kpis/telecom``), ``GET /api/v1/telecom/metrics`` and
``complaintdesk telecom metrics`` all call it, so they show the same figures for the same
period and viewer.

Which tickets belong to a period P (docs/evaluation.md §5):

- tickets 投诉工单: complaints received in P (in the viewer's jurisdiction); of those, the ones
  with a ``resolve_at_intake`` event of level 1 / level 2.
- branch tickets 市分公司接收工单: dispatches in P to a unit of kind ``branch`` — a branch
  receives a ticket when it is dispatched to it; of those, the ones whose complaint's latest
  ``network_quality`` verdict is true, and the ones with any verdict (the rest are pending and
  stay in the accuracy's denominator, SPEC §7 "all tickets received by city branches").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import select

from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.evaluation.kpis import (
    FIGURES_BY_KEY,
    TELECOM_KEYS,
    Context,
    count_figures,
    unit_names,
)
from complaintdesk.evaluation.service import Period, require_reader
from complaintdesk.kernel.errors import InvalidInput, NotFound, PermissionDenied
from complaintdesk.kernel.figures import percent_2dp, round_2dp
from complaintdesk.org.model import Actor
from complaintdesk.org.tables import UnitRow
from complaintdesk.telecom import rates
from complaintdesk.telecom.kpi_tables import SubscriberCountRow, TelecomRulesRow

# The figures behind the two §7 rates (FIGURES keys of the KPI engine).
PREPROCESSING_KEYS = [
    "tickets",
    "preprocessed_level_1",
    "preprocessed_level_2",
    "branch_tickets",
    "branch_judged",
    "branch_network_quality",
]


def _pct(value: Fraction | None) -> Decimal | None:
    return percent_2dp(value)


# --- the pre-processing rates (SPEC §7) --------------------------------------------------------


def preprocessing_metrics(counts: dict[str, dict[int, int]]) -> rates.PreprocessingMetrics:
    """The period's totals over every unit, from ``count_figures`` of PREPROCESSING_KEYS."""

    def total(key: str) -> int:
        return sum(counts[key].values())

    return rates.PreprocessingMetrics(
        total=total("tickets"),
        level1=total("preprocessed_level_1"),
        level2=total("preprocessed_level_2"),
        to_branch=total("branch_tickets"),
        branch_judged=total("branch_judged"),
        branch_network_quality=total("branch_network_quality"),
    )


def preprocessing(uow: SqlUnitOfWork, ctx: Context) -> rates.PreprocessingMetrics:
    """Success rate and dispatch accuracy of the context's period and viewer."""
    return preprocessing_metrics(count_figures(uow, ctx, PREPROCESSING_KEYS))


def summary_out(m: rates.PreprocessingMetrics) -> dict[str, Any]:
    """The dashboard's ``summary`` (its JSON, unchanged)."""
    return {
        "tickets": m.total,
        "preprocessed": m.preprocessed,
        "success_rate": _pct(m.success_rate),
        "branch_tickets": m.to_branch,
        "network_quality": m.branch_network_quality,
        "dispatch_accuracy": _pct(m.dispatch_accuracy),
    }


# --- the dashboard (SPEC §7, §8.1) -------------------------------------------------------------


def telecom(uow: SqlUnitOfWork, ctx: Context) -> dict[str, Any]:
    period = ctx.month
    keys = list(dict.fromkeys([*TELECOM_KEYS, *PREPROCESSING_KEYS]))
    counts = count_figures(uow, ctx, keys)
    centres = set(counts["tickets"])
    branches = set(counts["branch_tickets"])
    names = unit_names(uow, centres | branches)
    users = _subscribers(uow, str(period), branches)
    rules_row = rules_for(uow, period)
    pre = []
    for unit_id in sorted(centres, key=lambda u: names[u][2]):
        total = counts["tickets"][unit_id]
        l1 = counts["preprocessed_level_1"].get(unit_id, 0)
        l2 = counts["preprocessed_level_2"].get(unit_id, 0)
        pre.append(
            {
                "unit_id": unit_id,
                "unit_name": names[unit_id][1],
                "tickets": total,
                "level_1": l1,
                "level_2": l2,
                "success_rate": _pct(rates.preprocessing_success_rate(l1, l2, total)),
            }
        )
    ordered = sorted(branches, key=lambda u: names[u][2])
    months = [
        rates.BranchMonth(
            branch=str(u),
            users=users.get(u, 0),
            complaints=counts["branch_tickets"][u],
            resolved=counts["branch_resolved"].get(u, 0),
            solved_by_optimisation=counts["branch_optimised"].get(u, 0),
            callback_failures=counts["branch_callback_failures"].get(u, 0),
        )
        for u in ordered
    ]
    rules = _to_rules(rules_row) if rules_row else None
    assessed = rates.assess_branches(months, rules) if rules else [None] * len(months)
    rows = []
    for u, month, result in zip(ordered, months, assessed, strict=True):
        nq = counts["branch_network_quality"].get(u, 0)
        rows.append(
            {
                "unit_id": u,
                "unit_name": names[u][1],
                "users": users.get(u),
                "tickets": month.complaints,
                "network_quality": nq,
                "dispatch_accuracy": _pct(rates.dispatch_accuracy(nq, month.complaints)),
                "complaints_per_10k": round_2dp(month.complaints_per_10k),
                "resolved": month.resolved,
                "callback_failures": month.callback_failures,
                "resolution_rate": _pct(month.resolution_rate),
                "solved_by_optimisation": month.solved_by_optimisation,
                "optimisation_share": _pct(month.optimisation_share),
                "optimisation_rank": result.optimisation_rank if result else None,
                "complaint_rate_penalty": round_2dp(result.complaint_rate_penalty)
                if result
                else None,
                "resolution_penalty": round_2dp(result.resolution_penalty) if result else None,
                "optimisation_bonus": round_2dp(result.optimisation_bonus) if result else None,
                "callback_deduction": round_2dp(result.callback_deduction) if result else None,
                "points": round_2dp(result.points) if result else None,
            }
        )
    return {
        "period": str(period),
        "figures": {k: FIGURES_BY_KEY[k].label for k in TELECOM_KEYS},
        "summary": summary_out(preprocessing_metrics(counts)),
        "preprocessing": pre,
        "branches": rows,
        "rules": rules_out(rules_row) if rules_row else None,
    }


# --- subscriber counts and rules (admin) -------------------------------------------------------


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDenied("只有管理员可以修改 / only an admin may change this")


def _subscribers(uow: SqlUnitOfWork, period: str, units: set[int]) -> dict[int, int]:
    if not units:
        return {}
    rows = uow.session.execute(
        select(SubscriberCountRow.unit_id, SubscriberCountRow.users).where(
            SubscriberCountRow.period == period, SubscriberCountRow.unit_id.in_(units)
        )
    )
    return {r.unit_id: r.users for r in rows}


def set_subscribers(
    uow: SqlUnitOfWork, actor: Actor, unit_id: int, period: Period, users: int, *, now: datetime
) -> None:
    _require_admin(actor)
    unit = uow.session.get(UnitRow, unit_id)
    if unit is None or not actor.sees(unit.path):
        raise NotFound(f"单位 {unit_id} 不存在 / unit {unit_id} not found")
    if users < 0:
        raise InvalidInput("用户数不能为负 / subscriber count must not be negative")
    row = uow.session.scalar(
        select(SubscriberCountRow).where(
            SubscriberCountRow.unit_id == unit_id, SubscriberCountRow.period == str(period)
        )
    )
    if row is None:
        row = SubscriberCountRow(unit_id=unit_id, period=str(period))
        uow.session.add(row)
    row.users = users
    row.updated_by = actor.user_id
    row.updated_at = now
    uow.commit()


def list_subscribers(uow: SqlUnitOfWork, actor: Actor, period: Period) -> list[dict[str, Any]]:
    require_reader(actor)
    rows = uow.session.execute(
        select(SubscriberCountRow, UnitRow.name, UnitRow.path)
        .join(UnitRow, UnitRow.id == SubscriberCountRow.unit_id)
        .where(SubscriberCountRow.period == str(period))
        .order_by(UnitRow.path)
    )
    return [
        {"unit_id": r.unit_id, "unit_name": name, "period": r.period, "users": r.users}
        for r, name, path in rows
        if actor.sees(path)
    ]


RULE_FIELDS = (
    "complaint_rate_threshold",
    "complaint_rate_penalty",
    "resolution_threshold",
    "resolution_penalty",
    "optimisation_threshold",
    "optimisation_bonus",
    "callback_failure_points",
)


def rules_for(uow: SqlUnitOfWork, period: Period) -> TelecomRulesRow | None:
    return uow.session.scalar(
        select(TelecomRulesRow)
        .where(TelecomRulesRow.effective_from <= str(period))
        .order_by(TelecomRulesRow.effective_from.desc())
        .limit(1)
    )


def _to_rules(row: TelecomRulesRow) -> rates.TelecomRules:
    values = {name: Fraction(getattr(row, name)) for name in RULE_FIELDS}
    return rates.TelecomRules(**values, bonus_top_n=row.bonus_top_n)


def rules_out(row: TelecomRulesRow) -> dict[str, Any]:
    return {
        "effective_from": row.effective_from,
        **{name: getattr(row, name) for name in RULE_FIELDS},
        "bonus_top_n": row.bonus_top_n,
    }


def set_rules(
    uow: SqlUnitOfWork,
    actor: Actor,
    effective_from: Period,
    values: dict[str, Decimal],
    bonus_top_n: int,
    *,
    now: datetime,
) -> dict[str, Any]:
    """Thresholds valid from a month on; ratio thresholds are 0…1, points non-negative."""
    _require_admin(actor)
    for name in RULE_FIELDS:
        if values[name] < 0:
            raise InvalidInput(f"{name} 不能为负 / {name} must not be negative")
    for name in ("resolution_threshold", "optimisation_threshold"):
        if values[name] > 1:
            raise InvalidInput(f"{name} 是比例，应在0到1之间 / {name} is a ratio between 0 and 1")
    if bonus_top_n < 1:
        raise InvalidInput("加分名额至少为1 / bonus_top_n must be at least 1")
    row = uow.session.scalar(
        select(TelecomRulesRow).where(TelecomRulesRow.effective_from == str(effective_from))
    )
    if row is None:
        row = TelecomRulesRow(effective_from=str(effective_from))
        uow.session.add(row)
    for name in RULE_FIELDS:
        setattr(row, name, values[name])
    row.bonus_top_n = bonus_top_n
    row.updated_by = actor.user_id
    row.updated_at = now
    uow.commit()
    return rules_out(row)
