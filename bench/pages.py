"""Server time of the staff pages over 1,000,000 complaints on PostgreSQL (issue 13 item 11).

Target: p95 ≤ 100 ms for the role home, the queue and a complaint page; ≤ 200 ms for search.

Creates a throw-away database with the migrations, the demo org tree and users, generates a
year of complaints with varied Chinese titles, letters and summaries, a complainant each and
bench/kpi.py's event timelines (set-based SQL, a few minutes), then requests each page through
the app in process (Starlette's TestClient: routing, session, SQL, templates, the audit entry
of each read) signed in as the centre's dispatcher and as the housing bureau's handler, and
prints p50/p95 per page and the machine's load. Writes the ``## Pages at 1M`` section of
docs/benchmarks.md unless ``--no-write``.

    .venv/bin/python bench/pages.py [--complaints 1000000] [--requests 60] [--no-write]
    .venv/bin/python bench/pages.py --reuse cd_bench_pages   # load once, keep, reuse next time
    .venv/bin/python bench/pages.py --reuse cd_bench_pages --drop
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from fastapi.testclient import TestClient
from kpi import ADMIN_URL, EVENTS_SQL  # the timelines of bench/kpi.py

from complaintdesk.bootstrap import bootstrap
from complaintdesk.clock.calendar import ChineseWorkingCalendar
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.config import Settings
from complaintdesk.db import migrate
from complaintdesk.db.engine import make_engine
from complaintdesk.demo.hotline import build_org, build_users
from complaintdesk.http.app import create_app
from complaintdesk.kernel.time import FixedClock

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PLACES = ["幸福小区", "阳光花园", "翠湖苑", "建设路", "人民广场", "东城街道", "西山村",
          "滨江新城", "老城区", "开发区", "火车站", "第三中学", "市民中心"]  # fmt: skip
MATTERS = ["楼道噪音扰民", "物业公司不作为", "窗口人员态度粗暴", "办事推诿扯皮", "乱收费",
           "审批拖延不办", "工作人员擅离职守", "违规罚款", "路灯长期不亮", "垃圾清运不及时",
           "供暖不热", "学校乱收补课费", "施工夜间噪音", "排水管道堵塞", "公交站牌缺失",
           "低保审核拖延", "医保报销难", "营业执照办理慢", "不动产登记拖延"]  # fmt: skip
DETAILS = ["多次反映无人处理", "希望尽快解决", "已拨打热线三次", "严重影响生活",
           "工作人员互相推诿", "要求给予书面答复", "涉及群众切身利益"]  # fmt: skip
# 2, 3 and 4 characters: in ~10 % (two matters), ~7.7 % (one place) and ~5 % (one matter).
SEARCHES = ["噪音", "翠湖苑", "登记拖延"]
# And the worst cases of the newest-first read: a word in 0.4 % (one place with one matter)
# and one in none, which read both windows before the index answers.
RARE_SEARCHES = ["翠湖苑供暖", "地铁"]


def _array(words: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{w}'" for w in words) + "]"


COMPLAINANTS_SQL = """
INSERT INTO complainants (id, name, phone, anonymous, created_at)
SELECT g, '投诉人' || g, '139' || lpad(g::text, 8, '0'), false, timestamp '2026-01-01'
FROM generate_series(1, :n) AS g
"""

# bench/kpi.py's generator with words people search for: title "<place><matter>", a letter of
# two sentences and a summary, so a word matches a realistic share of rows, not all or none.
COMPLAINTS_SQL = f"""
INSERT INTO complaints (
    id, tracking_no, query_code_hash, status, channel, title, content, summary, complainant_id,
    consent_publish, importance, owner_unit_id, owner_unit_path, handling_unit_id,
    handling_unit_path, dispatch_mode, received_at, due_at, closed_at, extension_days,
    extension_pending_days, overdue_level, reopen_count, return_count, callback_attempts,
    double_deduction, repeat_of_id, version, created_at, updated_at)
SELECT g,
       'TS' || to_char(r.at, 'YYYYMMDD') || '-' || lpad(g::text, 7, '0'),
       md5(g::text),
       CASE WHEN g % 10 < 7 THEN 'closed' WHEN g % 10 < 9 THEN 'in_progress' ELSE 'replied' END,
       'phone',
       t.place || t.matter,
       '本人反映' || t.place || t.matter || '的问题，' || t.d1 || '，' || t.d2 || '。',
       '反映' || t.matter || '，请核查处理',
       g, false, 'ordinary',
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
CROSS JOIN LATERAL (
    SELECT ({_array(PLACES)})[1 + g % {len(PLACES)}] AS place,
           ({_array(MATTERS)})[1 + (g / 13) % {len(MATTERS)}] AS matter,
           ({_array(DETAILS)})[1 + g % {len(DETAILS)}] AS d1,
           ({_array(DETAILS)})[1 + (g / 7 + 3) % {len(DETAILS)}] AS d2
) t
JOIN LATERAL (SELECT id, path FROM bench_units WHERE idx = g % :units) u ON true
"""


def load(engine: Any, units: dict[str, Any], n: int) -> float:
    bureaus = sorted((u for u in units.values() if u.category is not None), key=lambda u: u.id)
    print(f"generating {n:,} complaints for {len(bureaus)} units …", flush=True)
    started = time.perf_counter()
    with engine.begin() as conn:
        # Built after the rows are in: one sorted GIN build instead of 1M pending-list inserts.
        conn.execute(text("DROP INDEX IF EXISTS ix_complaints_search_bigrams"))
        conn.execute(text("CREATE TEMP TABLE bench_units (idx int, id bigint, path text)"))
        conn.execute(
            text("INSERT INTO bench_units VALUES (:i, :id, :path)"),
            [{"i": i, "id": u.id, "path": u.path} for i, u in enumerate(bureaus)],
        )
        conn.execute(text(COMPLAINANTS_SQL), {"n": n})
        centre = units["centre"]
        conn.execute(
            text(COMPLAINTS_SQL),
            {"n": n, "units": len(bureaus), "centre": centre.id, "centre_path": centre.path},
        )
        print(f"  complaints in {time.perf_counter() - started:.0f} s", flush=True)
        conn.execute(text(EVENTS_SQL))
        print(f"  events in {time.perf_counter() - started:.0f} s", flush=True)
        for table in ("complaints", "complainants"):
            conn.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), {"n": n}
            )
        conn.execute(text("SET maintenance_work_mem = '512MB'"))
        conn.execute(
            text(
                "CREATE INDEX ix_complaints_search_bigrams ON complaints "
                "USING gin (cd_bigrams(title, summary, content))"
            )
        )
        print(f"  search index in {time.perf_counter() - started:.0f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("complaints", "complaint_events", "complainants"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
    seconds = time.perf_counter() - started
    print(f"loaded {n:,} complaints in {seconds:.0f} s", flush=True)
    return seconds


def sign_in(client: TestClient, username: str) -> None:
    token = CSRF.search(client.get("/staff/login").text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/staff/login",
        data={"username": username, "password": "demo12345", "csrf_token": token, "next": ""},
    )
    assert response.status_code == 303, response.text


def measure(client: TestClient, urls: list[str], requests: int) -> dict[str, float]:
    for url in urls[:3]:  # warm-up: templates compiled, plans cached
        assert client.get(url).status_code == 200, url
    load_before = os.getloadavg()[0]
    samples = []
    for i in range(requests):
        url = urls[i % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p95": samples[max(0, round(0.95 * len(samples)) - 1)],
        "max": samples[-1],
        "load": (load_before + os.getloadavg()[0]) / 2,
    }


def pages_for(engine: Any, unit_path: str | None) -> dict[str, list[str]]:
    """The URLs each page is requested with; complaint pages spread over the jurisdiction."""
    where = "" if unit_path is None else "WHERE handling_unit_path = :path"
    with engine.connect() as conn:
        ids = conn.scalars(
            text(f"SELECT id FROM complaints {where} ORDER BY id DESC LIMIT 2000"),
            {"path": unit_path},
        ).all()
    sample = ids[::40]
    return {
        "role home /staff/home": ["/staff/home"],
        "queue /staff/queue": ["/staff/queue", "/staff/queue?status=in_progress"],
        "complaint page": [f"/staff/complaints/{i}" for i in sample],
        **{f"search “{w}” ({len(w)} chars)": [f"/staff/search?q={w}"] for w in SEARCHES},
        **{f"search “{w}” (rare/none)": [f"/staff/search?q={w}"] for w in RARE_SEARCHES},
        "search tracking no. prefix": [f"/staff/search?q=TS202612{d:02d}" for d in range(1, 29)],
        "search phone": [f"/staff/search?q=139{i:08d}" for i in sample],
    }


def run(engine: Any, url: str, args: argparse.Namespace) -> list[tuple[str, str, dict[str, float]]]:
    migrate.upgrade(url)
    container = bootstrap(
        Settings(database_url=url, demo_mode=True),
        engine=engine,
        clock=FixedClock(datetime(2027, 1, 10, 9, 0, tzinfo=SHANGHAI)),
        calendar=ChineseWorkingCalendar(),
    )
    with container.uow() as uow:
        units = build_org(uow)
        build_users(uow, units)
        uow.commit()
    with engine.connect() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM complaints")).scalar_one()
    if loaded == 0:
        load(engine, units, args.complaints)
    elif loaded != args.complaints:
        sys.exit(f"database holds {loaded:,} complaints, not {args.complaints:,}")
    else:
        print(f"reusing the loaded database ({loaded:,} complaints)", flush=True)
    results: list[tuple[str, str, dict[str, float]]] = []
    if args.requests == 0:
        return results
    app = create_app(container)
    for username, path in (("dispatcher", None), ("handler-housing", units["housing"].path)):
        with TestClient(app, follow_redirects=False) as client:
            sign_in(client, username)
            for page, urls in pages_for(engine, path).items():
                figures = measure(client, urls, args.requests)
                results.append((username, page, figures))
                target = 200 if page.startswith("search") else 100
                verdict = "ok" if figures["p95"] <= target else f"OVER {target} ms"
                print(
                    f"  {username:<16} {page:<28} p50 {figures['p50']:6.1f} ms  "
                    f"p95 {figures['p95']:6.1f} ms  max {figures['max']:6.1f} ms  "
                    f"(load {figures['load']:.1f})  {verdict}",
                    flush=True,
                )
    return results


NOTES = """Notes (from `EXPLAIN (ANALYZE, BUFFERS)` on this database):
- Loading took 21 minutes at load average ≈8 (complaints 226 s, events 650 s, the bigram GIN
  index 374 s); `--reuse NAME` keeps the database for later runs.
- Search first went straight to the bigram index: p95 554–644 ms for the dispatcher. The planner
  estimates the `LIKE` recheck as independent of the index condition (43 rows expected, 105,260
  found for 噪音), so it fetched and sorted every match. Reading the newest 2,000, then 20,000
  ids with `LIKE` first (a page found there is the true first page) brought common words to
  p95 39–70 ms; rare words still come from the index, where they are few.
- The housing handler's home is over target: its counts (`count(*) FILTER …` over the bureau's
  31,250 complaints, 35 ms of the ~110 ms) and three lists; the data gives each bureau ~9,000
  open complaints, far more than a real queue, which makes it a worst case.
"""


def write_docs(results: list[tuple[str, str, dict[str, float]]], n: int, requests: int) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    loads = [f["load"] for _u, _p, f in results]
    lines = [
        "## Pages at 1M",
        "",
        f"`bench/pages.py` — {n:,} complaints (bench/kpi.py's generator with varied Chinese "
        "titles, letters and summaries, a complainant each, 8 events per complaint on average) "
        "in a throw-away PostgreSQL 15 database; each page requested "
        f"{requests} times through the app in process (TestClient: routing, session, SQL, "
        "templates and the audit entry of each read of personal data) after 3 warm-up "
        "requests, signed in as the centre's dispatcher (the whole jurisdiction) and as the "
        "housing bureau's handler (1/32 of it). Machine: 2 cores shared with other sessions' "
        f"tests; 1-minute load average during the runs {min(loads):.1f}–{max(loads):.1f}. "
        "Targets: p95 ≤ 100 ms, search ≤ 200 ms. Run: `.venv/bin/python bench/pages.py`.",
        "",
        "| user | page | p50 ms | p95 ms | max ms | load | target |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for username, page, f in results:
        target = 200 if page.startswith("search") else 100
        mark = "ok" if f["p95"] <= target else f"**over {target}**"
        lines.append(
            f"| {username} | {page} | {f['p50']:.1f} | {f['p95']:.1f} | {f['max']:.1f} "
            f"| {f['load']:.1f} | {mark} |"
        )
    section = "\n".join(lines) + "\n\n" + NOTES
    old = path.read_text(encoding="utf-8")
    at = old.find("## Pages at 1M")
    if at < 0:
        new = old.rstrip("\n") + "\n\n" + section
    else:
        end = old.find("\n## ", at + 3)
        new = old[:at] + section + (old[end:] if end >= 0 else "")
    path.write_text(new, encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--complaints", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per page")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    parser.add_argument("--reuse", metavar="NAME", help="keep the database NAME between runs")
    parser.add_argument("--drop", action="store_true", help="with --reuse: drop it afterwards")
    parser.add_argument("--load-only", action="store_true", help="load, measure nothing")
    args = parser.parse_args()
    if args.reuse and not re.fullmatch(r"[a-z0-9_]+", args.reuse):
        parser.error("--reuse NAME: lower-case letters, digits and _ only")
    name = args.reuse or f"cd_bench_pages_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    keep = bool(args.reuse) and not args.drop
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    print(f"load average at start: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    try:
        if args.load_only:
            args.requests = 0
        results = run(engine, url, args)
    finally:
        engine.dispose()
        if keep:
            print(f"kept database {name} (drop it with --reuse {name} --drop)")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"load average at end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if results and not args.no_write:
        write_docs(results, args.complaints, args.requests)


if __name__ == "__main__":
    main()
