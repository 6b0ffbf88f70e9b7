"""The KPI engine: hotline (12345) and telecom figures per unit and month, in SQL (SPEC §7, §8.1).

Every figure is a *row set*: one row per counted event or complaint, with the unit it is
attributed to and the complaint behind it. The dashboard counts the rows per unit (GROUP BY,
all figures in one UNION ALL query); the drill-down lists the same rows for one unit. Both are
built by :func:`figure_rows`, so a drill-down always has exactly as many rows as the figure.
Complaint reads are scoped by ``ComplaintQueries.scoped`` (the one jurisdiction rule).

Definitions (period P = a calendar month in Asia/Shanghai, half-open; see docs/evaluation.md):

- received 受理 — dispatch events in P, attributed to the unit dispatched to (event data).
- responded 按时响应 — of those, the unit signed for (receive) the complaint by the end of the
  first working day after the day of dispatch (official calendar, 调休 included).
- repeat 重复投诉 — of the received, complaints linked to an earlier one (repeat_of_id).
- returns 退单 — return_dispatch events in P, attributed to the returning unit.
- closed 办结 — close events in P of dispatched complaints, attributed to the handling unit.
- closed_on_time 按时办结 — of those, the last reply was at or before the deadline (due_at).
- resolved 解决 — of the closed, the closing callback said satisfied or basically satisfied.
- rated / satisfied 满意 — callbacks recorded in P in which the complainant gave a rating
  (not unreachable) / of those, satisfied or basically satisfied.
- callback_failures 回访属实未解决 — reopen events in P (counted double against the unit).
- extensions 延期 — approved extensions in P.
- reminders / supervisions / listed_supervisions 催办/督办/挂牌督办 — remind / supervise /
  list_supervision events in P (written by the supervision ladder and by supervisors).

The telecom figures (tickets, pre-processing levels, branch tickets and verdicts) are defined
here too, with the others, so that one ``count_figures`` and one ``drilldown`` serve every
figure; the telecom dashboard, the subscriber counts and the rules that turn those figures
into rates and points are in ``complaintdesk.telecom.kpis`` / ``complaintdesk.telecom.rates``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    exists,
    func,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.orm import aliased

from complaintdesk.clock import deadlines as sla
from complaintdesk.complaints.queries import ComplaintQueries
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import Action, CallbackOutcome
from complaintdesk.db.base import UTCDateTime
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.evaluation import kpi
from complaintdesk.evaluation.service import Period, require_reader
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.kernel.figures import percent_2dp
from complaintdesk.org.model import Actor, UnitKind
from complaintdesk.org.tables import UnitRow

SATISFIED = (CallbackOutcome.SATISFIED.value, CallbackOutcome.BASICALLY_SATISFIED.value)
# Event data keys the telecom pre-processing records on a complaint (the latest value wins).
NETWORK_QUALITY_KEY = "network_quality"
NETWORK_OPTIMISATION_KEY = "network_optimisation"
RESPONSE_WORKING_DAYS = 1
KPI_WORK_MEM = "32MB"


@dataclass(frozen=True)
class Window:
    """A half-open span of time [start, end) other than a calendar month; either end may be
    open. Only the figures that need no calendar month (the telecom pre-processing ones, the
    drill-down) accept it: ``GET /api/v1/telecom/metrics?received_from=&received_to=``."""

    start: datetime | None = None
    end: datetime | None = None

    def __str__(self) -> str:
        def shown(moment: datetime | None) -> str:
            return "" if moment is None else moment.astimezone(sla.SHANGHAI).isoformat()

        return f"{shown(self.start)}/{shown(self.end)}"


@dataclass(frozen=True)
class Context:
    viewer: Actor | None  # None: the local command line, which sees everything
    period: Period | Window
    calendar: sla.WorkingCalendar | None  # only the hotline's response figure needs one
    scope: ColumnElement[bool]

    @property
    def month(self) -> Period:
        """The calendar month, for what is defined per month (rules, subscribers, trend)."""
        if isinstance(self.period, Period):
            return self.period
        raise InvalidInput(
            "该指标按自然月计算，请给出月份（YYYY-MM）/ this figure is per calendar month;"
            " give a period (YYYY-MM)"
        )

    @property
    def working_calendar(self) -> sla.WorkingCalendar:
        if self.calendar is None:
            raise InvalidInput("该指标需要工作日历 / this figure needs the working calendar")
        return self.calendar


# --- the row sources ---------------------------------------------------------------------------
#
# A figure counts rows of one of two sources, both read once per dashboard:
#
# - EVENTS: the month's events of the given actions joined to their (in-scope) complaint, with
#   the unit each is attributed to — the unit named in the event data for dispatches and
#   returns, the complaint's handling unit otherwise — and the complaint columns the figures
#   test. A figure is "events with action in A and condition C".
# - TICKETS: the complaints received in the month (in scope), attributed to the receiving unit.
#
# The dashboard reads a source once and counts every figure over it with
# ``count(*) FILTER (WHERE <figure's condition>) … GROUP BY unit_id``; the drill-down selects the
# rows of the same source that satisfy the same condition (see :func:`figure_condition`).

EVENTS = "events"
TICKETS = "tickets"
UNIT_FROM_EVENT_DATA = (Action.DISPATCH.value, Action.RETURN_DISPATCH.value)
OUTCOME_ACTIONS = (Action.CLOSE.value, Action.RECORD_CALLBACK.value)


def _in_period(column: Any, ctx: Context) -> ColumnElement[bool]:
    start, end = ctx.period.start, ctx.period.end
    return and_(
        true(),
        *([] if start is None else [column >= start]),
        *([] if end is None else [column < end]),
    )


def _event_source(ctx: Context, actions: tuple[str, ...]) -> Subquery:
    e = ComplaintEventRow
    from_data = [a for a in actions if a in UNIT_FROM_EVENT_DATA]
    data_unit = e.data["unit_id"].as_integer()
    unit: Any
    if len(from_data) == len(actions):
        unit = data_unit
    elif not from_data:
        unit = ComplaintRow.handling_unit_id
    else:
        unit = case((e.action.in_(from_data), data_unit), else_=ComplaintRow.handling_unit_id)
    return (
        select(
            unit.label("unit_id"),
            e.complaint_id.label("complaint_id"),
            ComplaintRow.tracking_no.label("tracking_no"),
            e.at.label("at"),
            e.id.label("event_id"),
            e.action.label("action"),
            # only closes and callbacks have an outcome; the JSON is not read for the rest
            case(
                (e.action.in_(OUTCOME_ACTIONS), e.data["outcome"].as_string()),
                else_=None,
            ).label("outcome"),
            ComplaintRow.repeat_of_id.label("repeat_of_id"),
            ComplaintRow.due_at.label("due_at"),
            ComplaintRow.double_deduction.label("double_deduction"),
        )
        .join(ComplaintRow, ComplaintRow.id == e.complaint_id)
        .where(e.action.in_(actions), _in_period(e.at, ctx), ctx.scope)
        .subquery("month_events")
    )


def _ticket_source(ctx: Context) -> Subquery:
    return (
        select(
            ComplaintRow.owner_unit_id.label("unit_id"),
            ComplaintRow.id.label("complaint_id"),
            ComplaintRow.tracking_no.label("tracking_no"),
            ComplaintRow.received_at.label("at"),
        )
        .where(_in_period(ComplaintRow.received_at, ctx), ctx.scope)
        .subquery("month_tickets")
    )


Condition = Callable[[Context, Any], list[ColumnElement[bool]]]


@dataclass(frozen=True)
class FigureDef:
    key: str
    label: str  # 中文 / English
    group: str  # hotline / telecom
    source: str  # EVENTS / TICKETS
    actions: tuple[str, ...] = ()  # EVENTS: the event actions a row may have
    condition: Condition | None = None  # further conditions on a row of the source
    on_dashboard: bool = True  # False: counted and drilled down on request, not tabled


# --- figure conditions (``src`` is the source subquery; its columns are ``src.c.*``) -----------


def _response_due(ctx: Context, at: Any) -> Any:
    """End of the first working day after the dispatch day, as a CASE over the month's days."""
    return case(
        *[
            (at < literal(day_end, UTCDateTime()), literal(due, UTCDateTime()))
            for day_end, due in _response_dues(ctx)
        ]
    )


def _response_dues(ctx: Context) -> list[tuple[datetime, datetime]]:
    dues = []
    for day in ctx.month.days():
        next_day = datetime.combine(day + timedelta(days=1), time.min, tzinfo=sla.SHANGHAI)
        due = sla.due_after(
            next_day - timedelta(hours=12), RESPONSE_WORKING_DAYS, ctx.working_calendar
        )
        dues.append((next_day, due))
    return dues


def _responded(ctx: Context, src: Any) -> list[ColumnElement[bool]]:
    """The dispatch was signed for (receive) by the unit it was dispatched to — not the next
    one after a return — no later than the end of the first working day after the dispatch day.

    Written as "the event is one of the month's signed-for dispatches", an uncorrelated set that
    PostgreSQL builds once (a hash join of the month's dispatches and receipts) instead of one
    index probe per dispatch.
    """
    d = aliased(ComplaintEventRow)
    r = aliased(ComplaintEventRow)
    latest_due = max(due for _day_end, due in _response_dues(ctx))
    signed = (
        select(d.id)
        .join(r, r.complaint_id == d.complaint_id)
        .where(
            d.action == Action.DISPATCH.value,
            _in_period(d.at, ctx),
            r.action == Action.RECEIVE.value,
            # the next two are implied by the two after them; they bound the index range
            r.at >= ctx.month.start,
            r.at <= latest_due,
            r.at >= d.at,
            r.at <= _response_due(ctx, d.at),
            r.data["unit_id"].as_integer() == d.data["unit_id"].as_integer(),
        )
    )
    return [src.c.event_id.in_(signed)]


def _repeat(ctx: Context, src: Any) -> list[ColumnElement[bool]]:
    return [src.c.repeat_of_id.is_not(None)]


def _closed_on_time(ctx: Context, src: Any) -> list[ColumnElement[bool]]:
    r = aliased(ComplaintEventRow)
    last_reply = (
        select(func.max(r.at))
        .where(r.complaint_id == src.c.complaint_id, r.action == Action.REPLY.value)
        .scalar_subquery()
    )
    return [last_reply <= src.c.due_at]


def _outcome_satisfied(ctx: Context, src: Any) -> list[ColumnElement[bool]]:
    return [src.c.outcome.in_(SATISFIED)]


def _rated(ctx: Context, src: Any) -> list[ColumnElement[bool]]:
    return [src.c.outcome != CallbackOutcome.UNREACHABLE.value]


def _latest_flag(complaint_id: Any, key: str) -> Any:
    """The complaint's latest recorded value of a boolean event-data key (None if never)."""
    f = aliased(ComplaintEventRow)
    value = f.data[key].as_boolean()
    return (
        select(value)
        .where(f.complaint_id == complaint_id, value.is_not(None))
        .order_by(f.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _preprocessed(level: int) -> Condition:
    def condition(ctx: Context, src: Any) -> list[ColumnElement[bool]]:
        r = aliased(ComplaintEventRow)
        return [
            exists().where(
                r.complaint_id == src.c.complaint_id,
                r.action == Action.RESOLVE_AT_INTAKE.value,
                r.data["level"].as_integer() == level,
            )
        ]

    return condition


def _to_branch(ctx: Context, src: Any) -> list[ColumnElement[bool]]:
    branches = select(UnitRow.id).where(UnitRow.kind == UnitKind.BRANCH.value)
    return [src.c.unit_id.in_(branches.scalar_subquery())]


def _branch_replied(ctx: Context, src: Any) -> list[ColumnElement[bool]]:
    r = aliased(ComplaintEventRow)
    replied = exists().where(
        r.complaint_id == src.c.complaint_id, r.action == Action.REPLY.value, r.at >= src.c.at
    )
    return [*_to_branch(ctx, src), replied]


def _flagged(condition: Condition, key: str) -> Condition:
    return lambda ctx, src: [
        *condition(ctx, src),
        _latest_flag(src.c.complaint_id, key).is_(True),
    ]


def _judged(condition: Condition, key: str) -> Condition:
    """The complaint has a recorded value of the key, true or false (a verdict was given)."""
    return lambda ctx, src: [
        *condition(ctx, src),
        _latest_flag(src.c.complaint_id, key).is_not(None),
    ]


def _branch_failures(ctx: Context, src: Any) -> list[ColumnElement[bool]]:
    return [*_branch_replied(ctx, src), src.c.double_deduction.is_(True)]


def _events(
    key: str,
    label: str,
    group: str,
    actions: tuple[str, ...],
    cond: Condition | None = None,
    *,
    on_dashboard: bool = True,
) -> FigureDef:
    return FigureDef(key, label, group, EVENTS, actions, cond, on_dashboard)


DISPATCH = (Action.DISPATCH.value,)
CLOSE = (Action.CLOSE.value,)
CALLBACK = (Action.RECORD_CALLBACK.value,)

FIGURES: list[FigureDef] = [
    _events("received", "受理（派单）数 / dispatched to the unit", "hotline", DISPATCH),
    _events(
        "responded", "按时签收数 / signed for within 1 working day", "hotline", DISPATCH, _responded
    ),
    _events("repeat", "重复投诉数 / repeat complaints", "hotline", DISPATCH, _repeat),
    _events("returns", "退单数 / returned dispatches", "hotline", (Action.RETURN_DISPATCH.value,)),
    _events("closed", "办结数 / closed", "hotline", CLOSE),
    _events("closed_on_time", "按时办结数 / closed on time", "hotline", CLOSE, _closed_on_time),
    _events("resolved", "解决数 / resolved (callback)", "hotline", CLOSE, _outcome_satisfied),
    _events("rated", "回访评价数 / rated callbacks", "hotline", CALLBACK, _rated),
    _events("satisfied", "满意数 / satisfied callbacks", "hotline", CALLBACK, _outcome_satisfied),
    _events(
        "callback_failures",
        "回访属实未解决（加倍扣分）/ callback failures (double)",
        "hotline",
        (Action.REOPEN.value,),
    ),
    _events(
        "extensions",
        "批准延期数 / approved extensions",
        "hotline",
        (Action.APPROVE_EXTENSION.value,),
    ),
    _events("reminders", "催办数 / reminders", "hotline", (Action.REMIND.value,)),
    _events("supervisions", "督办数 / supervisions", "hotline", (Action.SUPERVISE.value,)),
    _events(
        "listed_supervisions",
        "挂牌督办数 / listed supervisions",
        "hotline",
        (Action.LIST_SUPERVISION.value,),
    ),
    FigureDef("tickets", "投诉工单总数 / all tickets", "telecom", TICKETS),
    FigureDef(
        "preprocessed_level_1",
        "一级预处理解决 / level 1",
        "telecom",
        TICKETS,
        condition=_preprocessed(1),
    ),
    FigureDef(
        "preprocessed_level_2",
        "二级预处理解决 / level 2",
        "telecom",
        TICKETS,
        condition=_preprocessed(2),
    ),
    _events(
        "branch_tickets",
        "市分公司接收工单 / tickets to city branches",
        "telecom",
        DISPATCH,
        _to_branch,
    ),
    _events(
        "branch_network_quality",
        "网络质量类工单 / network-quality tickets",
        "telecom",
        DISPATCH,
        _flagged(_to_branch, NETWORK_QUALITY_KEY),
    ),
    _events(
        "branch_judged",
        "已认定工单（含非网络质量）/ branch tickets with a verdict",
        "telecom",
        DISPATCH,
        _judged(_to_branch, NETWORK_QUALITY_KEY),
        on_dashboard=False,  # /telecom/metrics reports it (branch_judged, branch_pending)
    ),
    _events(
        "branch_resolved", "分公司解决数 / resolved by branch", "telecom", DISPATCH, _branch_replied
    ),
    _events(
        "branch_optimised",
        "网优手段解决数 / solved by network optimisation",
        "telecom",
        DISPATCH,
        _flagged(_branch_replied, NETWORK_OPTIMISATION_KEY),
    ),
    _events(
        "branch_callback_failures",
        "回访属实未解决 / callback failures",
        "telecom",
        DISPATCH,
        _branch_failures,
    ),
]
FIGURES_BY_KEY = {f.key: f for f in FIGURES}
HOTLINE_KEYS = [f.key for f in FIGURES if f.group == "hotline" and f.on_dashboard]
TELECOM_KEYS = [f.key for f in FIGURES if f.group == "telecom" and f.on_dashboard]


def context(uow: SqlUnitOfWork, viewer: Actor, period: Period, calendar: Any) -> Context:
    """The dashboards' context: KPI readers only (SPEC roles), within their jurisdiction."""
    require_reader(viewer)
    return scoped_context(uow, viewer, period, calendar)


def scoped_context(
    uow: SqlUnitOfWork,
    viewer: Actor | None,
    period: Period | Window,
    calendar: sla.WorkingCalendar | None = None,
) -> Context:
    """A context with the viewer's jurisdiction and no role check, for callers that have
    their own rule (the telecom metrics every pre-processing user reads). ``viewer=None``
    is the local command line: everything."""
    if viewer is None:
        return Context(None, period, calendar, true())
    scope = ComplaintQueries(uow.session).scoped(viewer).whereclause
    assert scope is not None
    return Context(viewer, period, calendar, scope)


def _figure(key: str) -> FigureDef:
    try:
        return FIGURES_BY_KEY[key]
    except KeyError:
        raise InvalidInput(
            f"未知指标“{key}” / unknown figure {key!r}; valid: {', '.join(FIGURES_BY_KEY)}"
        ) from None


def _source(ctx: Context, source: str, actions: tuple[str, ...]) -> Subquery:
    return _event_source(ctx, actions) if source == EVENTS else _ticket_source(ctx)


def figure_condition(ctx: Context, figure: FigureDef, src: Any) -> ColumnElement[bool]:
    """Whether a row of the figure's source counts for the figure: the one definition that
    both the dashboard count and the drill-down apply."""
    # (rows without a unit count for no unit: the count groups by unit_id, the drill-down
    # selects one unit_id)
    conditions: list[ColumnElement[bool]] = []
    if figure.source == EVENTS:
        conditions.append(src.c.action.in_(figure.actions))
    if figure.condition is not None:
        conditions.extend(figure.condition(ctx, src))
    return and_(true(), *conditions)


def figure_rows(ctx: Context, key: str) -> Select[Any]:
    """The rows behind one figure (unit, complaint, tracking number, when)."""
    figure = _figure(key)
    src = _source(ctx, figure.source, figure.actions)
    return select(src.c.unit_id, src.c.complaint_id, src.c.tracking_no, src.c.at).where(
        figure_condition(ctx, figure, src)
    )


def _tune(uow: SqlUnitOfWork) -> None:
    """PostgreSQL settings for the KPI reads, for the rest of this (read) transaction.

    The planner's cost of a dashboard query is inflated by the per-row sub-queries (millions of
    cost units for work that takes well under a second), so PostgreSQL would JIT-compile it:
    EXPLAIN ANALYZE at 1M complaints showed 4.3 s of JIT compilation in a 4.7 s query. JIT
    stays off for these reads; work_mem is raised so the month's rows are grouped and hashed in
    memory (a sort spilled to disk otherwise, and a hashed IN needs to fit); random_page_cost
    says what is true of a month's pages, that they are cached, so the planner may probe
    indexes rather than hash whole tables.
    """
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(text("SET LOCAL jit = off"))
        uow.session.execute(text(f"SET LOCAL work_mem = '{KPI_WORK_MEM}'"))
        uow.session.execute(text("SET LOCAL random_page_cost = 1.1"))


def count_figures(uow: SqlUnitOfWork, ctx: Context, keys: list[str]) -> dict[str, dict[int, int]]:
    """figure → unit → count: one query per source, each reading the month once."""
    _tune(uow)
    figures = [_figure(k) for k in keys]
    result: dict[str, dict[int, int]] = {k: {} for k in keys}
    for source in (EVENTS, TICKETS):
        wanted = [f for f in figures if f.source == source]
        if not wanted:
            continue
        actions = tuple(dict.fromkeys(a for f in wanted for a in f.actions))
        src = _source(ctx, source, actions)
        counts = [
            func.count().filter(figure_condition(ctx, f, src)).label(f"n{i}")
            for i, f in enumerate(wanted)
        ]
        stmt = (
            select(src.c.unit_id, *counts).where(src.c.unit_id.is_not(None)).group_by(src.c.unit_id)
        )
        for unit_id, *ns in uow.session.execute(stmt):
            for f, n in zip(wanted, ns, strict=True):
                if n:
                    result[f.key][int(unit_id)] = int(n)
    return result


def drilldown(
    uow: SqlUnitOfWork, ctx: Context, key: str, unit_id: int, *, limit: int = 10_000
) -> dict[str, Any]:
    rows = figure_rows(ctx, key).subquery()
    _tune(uow)
    stmt = (
        select(
            rows.c.complaint_id, rows.c.tracking_no, rows.c.at, func.count().over().label("total")
        )
        .where(rows.c.unit_id == unit_id)
        .order_by(rows.c.at, rows.c.complaint_id)
        .limit(limit)
    )
    fetched = uow.session.execute(stmt).all()
    total = int(fetched[0].total) if fetched else 0
    items = [
        {"complaint_id": r.complaint_id, "tracking_no": r.tracking_no, "at": r.at} for r in fetched
    ]
    return {
        "period": str(ctx.period),
        "figure": key,
        "label": FIGURES_BY_KEY[key].label,
        "unit_id": unit_id,
        "count": total,
        "items": items,
        "truncated": total > len(items),
    }


# --- dashboards --------------------------------------------------------------------------------


def unit_names(uow: SqlUnitOfWork, ids: set[int]) -> dict[int, tuple[str, str, str]]:
    if not ids:
        return {}
    rows = uow.session.execute(
        select(UnitRow.id, UnitRow.code, UnitRow.name, UnitRow.path).where(UnitRow.id.in_(ids))
    )
    return {r.id: (r.code, r.name, r.path) for r in rows}


def _pct(value: Fraction | None) -> Decimal | None:
    return percent_2dp(value)


def hotline(uow: SqlUnitOfWork, ctx: Context) -> dict[str, Any]:
    counts = count_figures(uow, ctx, HOTLINE_KEYS)
    unit_ids = {u for per_unit in counts.values() for u in per_unit}
    names = unit_names(uow, unit_ids)
    units = []
    for unit_id in sorted(unit_ids, key=lambda u: names.get(u, ("", "", ""))[2]):
        c = {k: counts[k].get(unit_id, 0) for k in HOTLINE_KEYS}
        rates = kpi.hotline_rates(
            kpi.HotlineCounts(
                received=c["received"],
                responded=c["responded"],
                closed=c["closed"],
                closed_on_time=c["closed_on_time"],
                resolved=c["resolved"],
                rated=c["rated"],
                satisfied=c["satisfied"],
                repeat=c["repeat"],
            )
        )
        code, name, _path = names.get(unit_id, ("", f"#{unit_id}", ""))
        units.append(
            {
                "unit_id": unit_id,
                "unit_code": code,
                "unit_name": name,
                "counts": c,
                "rates": {
                    "response_rate": _pct(rates.response_rate),
                    "on_time_rate": _pct(rates.on_time_rate),
                    "resolution_rate": _pct(rates.resolution_rate),
                    "satisfaction_rate": _pct(rates.satisfaction_rate),
                    "repeat_rate": _pct(rates.repeat_rate),
                },
            }
        )
    return {
        "period": str(ctx.period),
        "figures": {k: FIGURES_BY_KEY[k].label for k in HOTLINE_KEYS},
        "units": units,
    }


def trend(uow: SqlUnitOfWork, ctx: Context, months: int) -> list[tuple[str, int]]:
    """Complaints received per month, the last ``months`` months up to ``ctx.period``."""
    _tune(uow)
    month = ctx.month
    periods = [month.shift(-i) for i in reversed(range(months))]
    columns = [
        func.count(
            case((and_(ComplaintRow.received_at >= p.start, ComplaintRow.received_at < p.end), 1))
        )
        for p in periods
    ]
    row = uow.session.execute(
        select(*columns).where(
            ComplaintRow.received_at >= periods[0].start,
            ComplaintRow.received_at < month.end,
            ctx.scope,
        )
    ).one()
    return [(str(p), int(n)) for p, n in zip(periods, row, strict=True)]
