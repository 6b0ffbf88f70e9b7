"""Bulk import benchmark: fj3_hotspot_4326.csv repeated to ~400,000 rows, SQLite and PostgreSQL.

Each copy gets its own 留言编号 (``<id>-<copy>``) and 留言用户 (``<user>-<copy>``), so the
file stands for 400,000 different complaints rather than one file imported 93 times (which
would only measure the "already imported" skip). Repeat detection still runs on every row.

    .venv/bin/python bench/import.py [--rows 400000] [--only sqlite|postgresql]

Prints complaints per second, the load average (the development machine is shared) and the CPU
seconds spent by the importer process and, on PostgreSQL, by its server backends; record the
figures in docs/benchmarks.md (## Import).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from complaintdesk.bootstrap import Container, bootstrap
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.config import Settings
from complaintdesk.db import migrate
from complaintdesk.demo.hotline import build_org
from complaintdesk.intake import importer

PG_ADMIN = os.environ.get(
    "COMPLAINTDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def make_file(target: Path, rows: int) -> int:
    source = Settings().resolved_data_dir() / "teddycup2020c" / "fj3_hotspot_4326.csv"
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        data = list(reader)
    written = 0
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        copy = 0
        while written < rows:
            for row in data:
                if written >= rows:
                    break
                writer.writerow([f"{row[0]}-{copy}", f"{row[1]}-{copy}", *row[2:]])
                written += 1
            copy += 1
    return written


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _backend_cpu(container: Container) -> dict[int, float]:
    """CPU seconds of this database's PostgreSQL backends (server on this machine)."""
    if container.engine.dialect.name != "postgresql":
        return {}
    with container.engine.connect() as conn:
        pids = conn.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).all()
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[int(pid)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def run(url: str, path: Path, label: str) -> None:
    migrate.upgrade(url)
    container = bootstrap(Settings(database_url=url, demo_mode=True))
    with container.uow() as uow:
        build_org(uow)
        uow.commit()
    table = importer.read_table(path)
    load = os.getloadavg()[0]
    backends, cpu = _backend_cpu(container), _own_cpu()
    started = time.perf_counter()
    report = importer.import_rows(container, table, importer.ImportOptions(source="bench"))
    seconds = time.perf_counter() - started
    cpu = _own_cpu() - cpu
    server = sum(v - backends.get(pid, 0.0) for pid, v in _backend_cpu(container).items())
    with container.uow() as uow:
        complaints = uow.session.scalar(select(func.count(ComplaintRow.id)))
        events = uow.session.scalar(select(func.count(ComplaintEventRow.id)))
    print(
        f"{label}: {report.imported} complaints in {seconds:.1f} s ="
        f" {report.imported / seconds:,.0f} complaints/s"
        f" (rows {report.rows}, errors {len(report.errors)}, repeats {report.repeats};"
        f" stored {complaints} complaints, {events} events)",
        flush=True,
    )
    print(
        f"{label}: load average {load:.1f} -> {os.getloadavg()[0]:.1f};"
        f" CPU s: importer {cpu:.1f}" + (f", PostgreSQL backend {server:.1f}" if server else ""),
        flush=True,
    )
    again = time.perf_counter()
    second = importer.import_rows(
        container, importer.read_table(path), importer.ImportOptions(source="bench")
    )
    print(
        f"{label}: re-import added {second.imported}, skipped {second.already_present}"
        f" in {time.perf_counter() - again:.1f} s",
        flush=True,
    )
    container.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fj3_x400k.csv"
        rows = make_file(path, args.rows)
        print(f"file: {rows} rows, {path.stat().st_size / 1e6:.0f} MB", flush=True)
        if args.only in (None, "sqlite"):
            run(f"sqlite:///{tmp}/bench.db", path, "SQLite")
        if args.only in (None, "postgresql"):
            name = f"cd_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                url = make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
                run(url, path, "PostgreSQL")
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
