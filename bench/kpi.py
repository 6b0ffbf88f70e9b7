"""KPI queries over 1,000,000 complaints on PostgreSQL (target: each under 1 second).

Creates a throw-away database, builds the schema and the demo org tree, generates a year of
complaints and their events with set-based SQL (INSERT … SELECT generate_series), runs the
dashboard queries as the centre's leader sees them, prints the timings, writes them to the
``## KPIs`` section of docs/benchmarks.md, and drops the database.

    .venv/bin/python bench/kpi.py [--complaints 1000000] [--no-write] [--runs 5]
    .venv/bin/python bench/kpi.py --reuse cd_bench_kpi_dev   # load once, keep, reuse next time
    .venv/bin/python bench/kpi.py --reuse cd_bench_kpi_dev --drop   # reuse, then drop it

``--reuse NAME`` keeps the named database (loading it only if it does not hold the benchmark
data yet) so the queries can be iterated on without paying the load again; the schema of a
reused database is brought up to the current table definitions (new indexes are created).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from complaintdesk.bootstrap import bootstrap
from complaintdesk.clock.calendar import ChineseWorkingCalendar
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.config import Settings
from complaintdesk.db.engine import make_engine
from complaintdesk.db.schema import metadata
from complaintdesk.demo.hotline import build_org, build_users
from complaintdesk.evaluation import kpis
from complaintdesk.evaluation import service as evaluation
from complaintdesk.evaluation.service import Period
from complaintdesk.kernel.time import FixedClock
from complaintdesk.org import auth
from complaintdesk.telecom import kpis as telecom_kpis

ADMIN_URL = os.environ.get(
    "COMPLAINTDESK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PERIOD = Period(2026, 6)
RUNS = 5

COMPLAINTS_SQL = """
INSERT INTO complaints (
    id, tracking_no, query_code_hash, status, channel, title, content, summary,
    consent_publish, importance, owner_unit_id, owner_unit_path, handling_unit_id,
    handling_unit_path, dispatch_mode, received_at, due_at, closed_at, extension_days,
    extension_pending_days, overdue_level, reopen_count, return_count, callback_attempts,
    double_deduction, repeat_of_id, version, created_at, updated_at)
SELECT g,
       'B' || lpad(g::text, 10, '0'),
       md5(g::text),
       CASE WHEN g % 10 < 7 THEN 'closed' WHEN g % 10 < 9 THEN 'in_progress' ELSE 'replied' END,
       'phone', '基准测试投诉', '基准测试投诉内容', '摘要', false, 'ordinary',
       :centre, :centre_path, u.id, u.path, 'transfer',
       r.at, r.at + interval '14 days',
       CASE WHEN g % 10 < 7 THEN r.at + interval '6 days' END,
       CASE WHEN g % 17 = 0 THEN 5 ELSE 0 END, 0, 0,
       CASE WHEN g % 53 = 0 THEN 1 ELSE 0 END, 0, 0, g % 53 = 0,
       CASE WHEN g % 29 = 0 AND g > 1000 THEN g - 1000 END,
       1, r.at, r.at
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL (
    SELECT timestamp '2026-01-01 00:00' + (g::float8 / :n) * interval '365 days' AS at
) r
JOIN LATERAL (
    SELECT id, path FROM bench_units WHERE idx = g % :units
) u ON true
"""

# Each complaint's timeline: file, accept, dispatch, receive (most the same day), start,
# reply, callback and close for the closed ones; extensions and failed callbacks for some.
EVENTS_SQL = """
INSERT INTO complaint_events (complaint_id, action, at, from_status, to_status, reason, data)
SELECT c.id, s.action, c.received_at + s.offset_, NULL, 'registered', '', s.data
FROM complaints c
CROSS JOIN LATERAL (VALUES
    ('file', interval '0', '{}'::jsonb, true),
    ('accept', interval '1 hour', '{}'::jsonb, true),
    ('dispatch', interval '2 hours',
        jsonb_build_object('unit_id', c.handling_unit_id, 'mode', 'transfer'), true),
    ('receive', CASE WHEN c.id % 5 = 0 THEN interval '3 days' ELSE interval '5 hours' END,
        jsonb_build_object('unit_id', c.handling_unit_id), true),
    ('start_handling', interval '3 days 1 hour', '{}'::jsonb, true),
    ('approve_extension', interval '3 days 2 hours',
        '{"working_days": 5}'::jsonb, c.extension_days > 0),
    ('reply', CASE WHEN c.id % 13 = 0 THEN interval '20 days' ELSE interval '5 days' END,
        '{"channel": "phone"}'::jsonb, c.status <> 'in_progress'),
    ('start_callback', interval '5 days 2 hours', '{}'::jsonb, c.status = 'closed'),
    ('record_callback', interval '6 days',
        jsonb_build_object('outcome', CASE WHEN c.id % 9 = 0 THEN 'unsatisfied'
            WHEN c.id % 4 = 0 THEN 'basically_satisfied' ELSE 'satisfied' END),
        c.status = 'closed'),
    ('close', interval '6 days',
        jsonb_build_object('outcome', CASE WHEN c.id % 9 = 0 THEN 'unsatisfied'
            WHEN c.id % 4 = 0 THEN 'basically_satisfied' ELSE 'satisfied' END),
        c.status = 'closed'),
    ('reopen', interval '6 days', '{"double_deduction": true}'::jsonb, c.reopen_count > 0),
    ('supervise', interval '15 days', '{}'::jsonb, c.id % 31 = 0)
) AS s(action, offset_, data, wanted)
WHERE s.wanted
"""


def load(engine: Any, units: dict[str, Any], n: int) -> float:
    bureaus = [u for u in units.values() if u.category is not None]
    bureaus.sort(key=lambda u: u.id)
    print(f"generating {n:,} complaints over 2026 for {len(bureaus)} units …", flush=True)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE bench_units (idx int, id bigint, path text)"))
        conn.execute(
            text("INSERT INTO bench_units VALUES (:i, :id, :path)"),
            [{"i": i, "id": u.id, "path": u.path} for i, u in enumerate(bureaus)],
        )
        conn.execute(
            text(COMPLAINTS_SQL),
            {
                "n": n,
                "units": len(bureaus),
                "centre": units["centre"].id,
                "centre_path": units["centre"].path,
            },
        )
        conn.execute(text(EVENTS_SQL))
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence('complaints', 'id'), :n)"), {"n": n}
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE complaints"))
        conn.execute(text("VACUUM ANALYZE complaint_events"))
    load_seconds = time.perf_counter() - started
    print(f"loaded {n:,} complaints in {load_seconds:.0f} s", flush=True)
    return load_seconds


LOADS: list[float] = []


def timed(label: str, run: Callable[[], Any], results: list[tuple[str, float, float]]) -> Any:
    run()  # warm the cache once, as a dashboard that is used is warm
    LOADS.append(os.getloadavg()[0])
    samples = []
    value = None
    for _ in range(RUNS):
        start = time.perf_counter()
        value = run()
        samples.append(time.perf_counter() - start)
    results.append((label, min(samples), statistics.median(samples)))
    print(
        f"  {label:<58} best {min(samples) * 1000:7.1f} ms  median "
        f"{statistics.median(samples) * 1000:7.1f} ms  (load {LOADS[-1]:.1f})",
        flush=True,
    )
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per query (best-of)")
    parser.add_argument(
        "--reuse",
        metavar="NAME",
        help="keep the database NAME between runs (created and loaded if missing)",
    )
    parser.add_argument("--drop", action="store_true", help="with --reuse: drop it afterwards")
    args = parser.parse_args()
    if args.reuse and not re.fullmatch(r"[a-z0-9_]+", args.reuse):
        parser.error("--reuse NAME: lower-case letters, digits and _ only")
    name = args.reuse or f"cd_bench_kpi_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    keep = bool(args.reuse) and not args.drop
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        run(engine, url, args)
    finally:
        engine.dispose()
        if keep:
            print(f"kept database {name} (drop it with --reuse {name} --drop)")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(engine: Any, url: str, args: argparse.Namespace) -> None:
    metadata.create_all(engine)
    with engine.begin() as conn:  # a reused database gets indexes added since it was loaded
        for table in metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)
    clock = FixedClock(datetime(2027, 1, 10, 9, 0, tzinfo=SHANGHAI))
    container = bootstrap(
        Settings(database_url=url, demo_mode=True),
        engine=engine,
        clock=clock,
        calendar=ChineseWorkingCalendar(),
    )
    with container.uow() as uow:
        units = build_org(uow)
        build_users(uow, units)
        uow.commit()
    n = args.complaints
    with engine.connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM complaints")).scalar_one()
    if loaded == 0:
        load_seconds = load(engine, units, n)
    else:
        if loaded != n:
            sys.exit(f"database holds {loaded:,} complaints, not {n:,}: use another --reuse name")
        load_seconds = None
        print(f"reusing the loaded database ({loaded:,} complaints)", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE complaints"))
        conn.execute(text("ANALYZE complaint_events"))
        events = conn.execute(text("SELECT count(*) FROM complaint_events")).scalar_one()
    global RUNS
    RUNS = args.runs

    results: list[tuple[str, float, float]] = []
    with container.uow() as uow:
        user = uow.users.by_username("leader")
        assert user is not None
        actor = auth.actor_for(uow, user)
        ctx = kpis.context(uow, actor, PERIOD, container.calendar)
        housing = units["housing"].id
        print(f"KPI queries for {PERIOD} as the centre's leader (best of {RUNS}):")
        hot = timed(
            "hotline dashboard: 14 figures × all units (1 query)",
            lambda: kpis.hotline(uow, ctx),
            results,
        )
        timed(
            "telecom dashboard: 8 figures (2 queries: dispatches, tickets)",
            lambda: telecom_kpis.telecom(uow, ctx),
            results,
        )
        for figure in ("received", "responded", "closed_on_time", "satisfied"):
            timed(
                f"drill-down: {figure}, one unit",
                partial(kpis.drilldown, uow, ctx, figure, housing),
                results,
            )
        timed(
            "drill-down: tickets, the centre",
            lambda: kpis.drilldown(uow, ctx, "tickets", units["centre"].id, limit=1000),
            results,
        )
        timed("trend: complaints per month, 12 months", lambda: kpis.trend(uow, ctx, 12), results)
        timed(
            "ranking table (unit evaluation)",
            lambda: evaluation.ranking(uow, actor, PERIOD),
            results,
        )
    row = next(u for u in hot["units"] if u["unit_id"] == housing)
    print(f"housing {PERIOD}: {row['counts']} {row['rates']}")
    if not args.no_write:
        write_docs(n, events, load_seconds, results, LOADS)


# The same queries before this module read each month once (commit 1121224: one GROUP BY per
# figure, each joining the month's events to all complaints, JIT-compiled): best of 5 from that
# commit's run, and best of 3 re-measured on the same database just before the change
# (load ≈10).
BEFORE = {
    "hotline dashboard": (13783, 17256),
    "telecom dashboard": (8438, 8706),
    "drill-down: received": (366, 530),
    "drill-down: responded": (467, 572),
    "drill-down: closed_on_time": (2632, 2711),
    "drill-down: satisfied": (874, 1124),
    "trend": (500, 589),
    "ranking table": (8, 12),
}


def _before(label: str) -> str:
    for prefix, (first, again) in BEFORE.items():
        if label.startswith(prefix):
            return f"{first} / {again} ms"
    return "—"


def verdict(results: list) -> list[str]:
    slow = [label for label, best, _ in results if best >= 1.0]
    if not slow:
        return ["Target met: every KPI query answered in under 1 second (best of the runs)."]
    return [
        f"**Target (< 1 s) not met** by: {'; '.join(slow)} — see the analysis below.",
    ]


ANALYSIS = """What changed and why (all from `EXPLAIN (ANALYZE, BUFFERS)` on this database):

1. **JIT compilation was most of the time.** The per-row sub-queries inflate the planner's
   cost (tens of millions of units), so PostgreSQL JIT-compiled every dashboard query:
   4.3 s of a 4.7 s hotline query was `JIT: Inlining/Optimization/Emission`. The KPI reads
   now run with `SET LOCAL jit = off` (plus `work_mem` 32 MB so the month's rows are grouped
   and hashed in memory, and `random_page_cost` 1.1 since the month's pages are cached).
2. **Each source is read once.** A dashboard reads the month's events of all its actions
   joined to their in-scope complaints once (≈206k events for the hotline) and counts every
   figure with `count(*) FILTER (WHERE …) … GROUP BY unit_id`; the telecom dashboard does the
   same for the month's dispatches and, separately, the month's tickets. The drill-down
   selects the rows of the same source that satisfy the same condition.
3. **Per-complaint look-ups use one index descent.** New index
   `ix_complaint_events_complaint_id_action_at` (migration 0007): the last reply of a
   closed complaint is an index-only backward scan (≈4 µs instead of reading all of the
   complaint's events), and the pre-processing and branch checks probe it directly.
4. **Signed-for dispatches (按时签收) are one set**: the month's dispatches hash-joined to the
   receipts up to the last possible due time, built once per query instead of one probe per
   dispatch.

Where the remaining time goes (hotline): reading the ≈206k events of the month and joining
them to their complaints (the planner hashes all 1M complaints or probes the primary key per
event; both measured about the same here; `shared_buffers` is the default 128 MB, so most
pages come from the OS cache), the signed-for set, and ≈57k last-reply look-ups. **The result
depends on the other work on the 2 cores**: the table above is a run at load ≈2; while
iterating at load 4–7 (other engineers' test suites), the same code measured best-of-3/5
hotline 1.2–2.0 s, telecom 0.7–1.2 s, every drill-down 0.12–0.41 s, trend 0.28–0.50 s. The
"before" re-measurement ran at load ≈10. If the hotline dashboard must stay under 1 s on a
saturated machine, the next step is a per-month, per-unit rollup kept by the event writers —
deliberately not built: a month's figures keep changing after the month (a reply after a
reopen changes 按时办结, a re-dispatch moves the handling unit), so a rollup needs
invalidation per complaint to stay equal to the live drill-down."""


def write_docs(
    n: int, events: int, load_seconds: float | None, results: list, loads: list[float]
) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    loaded = (
        f"generated in {load_seconds:.0f} s" if load_seconds is not None else "generated earlier"
    )
    lines = [
        "## KPIs",
        "",
        f"`bench/kpi.py` — {n:,} complaints over 2026 (≈{n // 12:,} a month) and "
        f"{events:,} events, {loaded} with `INSERT … SELECT generate_series` into a "
        "throw-away PostgreSQL 15 database; queries for one month "
        f"({PERIOD}) as the centre's leader (whole jurisdiction), warm cache, best and median "
        f"of {RUNS} after one warm-up run. Machine: 2 cores shared with other engineers' tests; "
        f"1-minute load average during the timed runs: {min(loads):.1f}–{max(loads):.1f}. "
        "Run: `.venv/bin/python bench/kpi.py` (creates and drops its database; "
        "`--reuse NAME` keeps a loaded one between runs, `--reuse NAME --drop` removes it).",
        "",
        "| query | before (best: first run / re-measured) | after: best | after: median |",
        "|---|---:|---:|---:|",
        *[
            f"| {label} | {_before(label)} | {best * 1000:.0f} ms | {median * 1000:.0f} ms |"
            for label, best, median in results
        ],
        "",
        *verdict(results),
        "",
        ANALYSIS,
        "",
    ]
    section = "\n".join(lines)
    text_ = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(r"^## KPIs\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(text_):
        text_ = pattern.sub(section + "\n", text_)
    else:
        text_ = text_.rstrip("\n") + "\n\n" + section
    path.write_text(text_, encoding="utf-8")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
