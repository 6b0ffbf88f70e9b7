"""Telecom KPI endpoints (SPEC §7, §8.1): the telecom dashboard, subscriber counts and the
branch-assessment thresholds. One router, included in app.py right after the evaluation
router; the paths stay under ``/api/v1/kpis`` with the other dashboards."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from complaintdesk.evaluation import kpis
from complaintdesk.evaluation.service import Period, require_reader
from complaintdesk.http.deps import ActorDep, ContainerDep, DbId, UowDep
from complaintdesk.telecom import kpis as telecom_kpis

router = APIRouter(prefix="/api/v1")
KPI = "kpis 指标"

PeriodQuery = Annotated[str, Query(description="月份 / month, YYYY-MM", examples=["2026-11"])]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SubscribersIn(_Strict):
    unit_id: DbId
    period: str = Field(max_length=7)
    users: int = Field(ge=0, le=2_000_000_000)


class TelecomRulesIn(_Strict):
    effective_from: str = Field(max_length=7)
    complaint_rate_threshold: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    complaint_rate_penalty: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    resolution_threshold: Decimal = Field(ge=0, le=1, max_digits=14, decimal_places=4)
    resolution_penalty: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    optimisation_threshold: Decimal = Field(ge=0, le=1, max_digits=14, decimal_places=4)
    optimisation_bonus: Decimal = Field(ge=0, max_digits=14, decimal_places=4)
    callback_failure_points: Decimal = Field(Decimal(1), ge=0, max_digits=14, decimal_places=4)
    bonus_top_n: int = Field(6, ge=1, le=100)


@router.get("/kpis/telecom", tags=[KPI], summary="电信指标 / telecom KPIs")
def telecom(period: PeriodQuery, actor: ActorDep, uow: UowDep, container: ContainerDep) -> Any:
    ctx = kpis.context(uow, actor, Period.parse(period), container.calendar)
    return telecom_kpis.telecom(uow, ctx)


@router.put("/kpis/subscribers", tags=[KPI], summary="录入用户数 / subscriber count (admin)")
def set_subscribers(
    body: SubscribersIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    period = Period.parse(body.period)
    telecom_kpis.set_subscribers(
        uow, actor, body.unit_id, period, body.users, now=container.clock.now()
    )
    return {"unit_id": body.unit_id, "period": str(period), "users": body.users}


@router.get("/kpis/subscribers", tags=[KPI], summary="用户数 / subscriber counts")
def list_subscribers(period: PeriodQuery, actor: ActorDep, uow: UowDep) -> Any:
    return telecom_kpis.list_subscribers(uow, actor, Period.parse(period))


@router.put(
    "/kpis/telecom-rules", tags=[KPI], summary="考核门限与分值 / thresholds and points (admin)"
)
def set_rules(
    body: TelecomRulesIn, actor: ActorDep, uow: UowDep, container: ContainerDep
) -> dict[str, Any]:
    values = body.model_dump(exclude={"effective_from", "bonus_top_n"})
    return telecom_kpis.set_rules(
        uow,
        actor,
        Period.parse(body.effective_from),
        values,
        body.bonus_top_n,
        now=container.clock.now(),
    )


@router.get("/kpis/telecom-rules", tags=[KPI], summary="当月适用的门限 / rules for a month")
def get_rules(period: PeriodQuery, actor: ActorDep, uow: UowDep) -> Any:
    require_reader(actor)
    row = telecom_kpis.rules_for(uow, Period.parse(period))
    return telecom_kpis.rules_out(row) if row else None
