"""Registration suggestions: the round trip of ``POST /staff/register/suggest`` (issue 13 item 3).

What an operator's browser waits for after a pause in typing: a real uvicorn server on
127.0.0.1, a signed-in operator session, a routing model trained on the real Teddy Cup
messages (``fj2_raw_subset_2763.csv``, default settings), and a database holding earlier
complaints of the callers, so the "earlier complaints" look-up has rows to find. Each
request sends a title, a prefix of a real citizen letter (what has been typed so far, from
the organisers' unlabelled test set) and a caller's phone. Target: p95 <= 300 ms.

Figures are printed as JSON and written to the ``## Registration suggestions`` section of
docs/benchmarks.md (``--no-write`` to skip).

    .venv/bin/python bench/suggest.py [--requests 400] [--complaints 5000] [--database-url URL]...
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import httpx
import uvicorn

from complaintdesk.bootstrap import Container, bootstrap
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.config import Settings
from complaintdesk.db import migrate
from complaintdesk.demo.hotline import build_org, build_users
from complaintdesk.http.app import create_app
from complaintdesk.org import auth
from complaintdesk.triage.facade import ModelTriage
from complaintdesk.triage.model import RoutingModel

DATA = Path(os.environ.get("COMPLAINTDESK_DATA_DIR", ROOT.parent / "shared" / "data"))
TEDDY = DATA / "teddycup2020c"
TARGET_P95_MS = 300.0
CALLERS = 1_000


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _rows(name: str) -> list[dict[str, str]]:
    with (TEDDY / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _phone(n: int) -> str:
    return f"139{n:08d}"


def _seed(container: Container, complaints: int, letters: list[dict[str, str]]) -> None:
    with container.uow() as uow:
        units = build_org(uow)
        build_users(uow, units)
        uow.commit()
        operator = auth.actor_for(uow, uow.users.by_username("operator"))  # type: ignore[arg-type]
        now = container.clock.now()
        for i in range(complaints):
            letter = letters[i % len(letters)]
            svc.file_complaint(
                uow,
                svc.FileComplaint(
                    title=letter["留言主题"][:300],
                    content=letter["留言详情"].strip()[:4000] or letter["留言主题"],
                    complainant=NewComplainant(name="市民", phone=_phone(i % CALLERS)),
                ),
                actor=operator,
                now=now,
                calendar=container.calendar,
                commit=False,
            )
            if i % 500 == 499:
                uow.commit()
                _say(f"   {i + 1} complaints")
        uow.commit()


def _serve(container: Container) -> tuple[uvicorn.Server, threading.Thread, str]:
    app = create_app(container)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    return server, thread, f"http://127.0.0.1:{port}"


def _signed_in(url: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, timeout=10)
    page = client.get("/staff/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post(
        "/staff/login",
        data={"username": "operator", "password": "demo12345", "csrf_token": token, "next": ""},
    )
    form = client.get("/staff/register")
    assert form.status_code == 200, form.status_code
    csrf = re.search(r'data-csrf="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    return client, csrf


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def trained() -> tuple[RoutingModel, float]:
    train = _rows("fj2_raw_subset_2763.csv")
    _say(f"== training the routing model on {len(train)} real messages")
    started = time.perf_counter()
    model = RoutingModel.train([r["text"] for r in train], [r["一级标签"] for r in train])
    return model, time.perf_counter() - started


def run(
    requests: int, complaints: int, database_url: str | None, model: RoutingModel, train_s: float
) -> dict[str, Any]:
    letters = [r for r in _rows("official_testset_unlabeled_2801.csv") if r["留言详情"].strip()]
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        container = bootstrap(Settings(database_url=url, demo_mode=True, secret_key="bench-key"))
        container.__dict__["triage"] = ModelTriage(model, threshold=0.6)
        _say(f"== seeding {complaints} complaints from {CALLERS} callers ({url.split(':')[0]})")
        _seed(container, complaints, letters)
        server, thread, base = _serve(container)
        try:
            client, csrf = _signed_in(base)
            rng = random.Random(13)
            timings: list[float] = []
            lengths: list[int] = []
            for n in range(requests + 20):
                letter = letters[rng.randrange(len(letters))]
                text = letter["留言详情"].strip()
                typed = text[: rng.randint(min(40, len(text)), max(40, len(text)))]
                body = {
                    "title": letter["留言主题"],
                    "content": typed,
                    "phone": _phone(rng.randrange(CALLERS * 2)),  # half of them called before
                }
                t0 = time.perf_counter()
                reply = client.post(
                    "/staff/register/suggest", json=body, headers={"X-CSRF-Token": csrf}
                )
                elapsed = (time.perf_counter() - t0) * 1000
                assert reply.status_code == 200, reply.text[:300]
                if n >= 20:  # the first 20 warm the connection and caches
                    timings.append(elapsed)
                    lengths.append(len(typed))
            client.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            container.engine.dispose()
    return {
        "requests": len(timings),
        "database": (database_url or "sqlite").split(":")[0].split("+")[0],
        "complaints": complaints,
        "callers": CALLERS,
        "typed_chars_median": int(statistics.median(lengths)),
        "typed_chars_max": max(lengths),
        "train_seconds": round(train_s, 1),
        "p50_ms": round(_pct(timings, 0.50), 1),
        "p95_ms": round(_pct(timings, 0.95), 1),
        "p99_ms": round(_pct(timings, 0.99), 1),
        "max_ms": round(max(timings), 1),
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": _pct(timings, 0.95) <= TARGET_P95_MS,
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
    }


def _row(r: dict[str, Any]) -> str:
    ok = "meets" if r["meets_target"] else "misses"
    return (
        f"| {r['database']} | {r['requests']} | {r['p50_ms']} ms | {r['p95_ms']} ms"
        f" | {r['p99_ms']} ms | {r['max_ms']} ms | ≤ {r['target_p95_ms']:.0f} ms ({ok}) |"
    )


def _write(runs: list[dict[str, Any]]) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    first = runs[0]
    rows = "\n".join(_row(r) for r in runs)
    section = f"""## Registration suggestions

`bench/suggest.py`: the round trip of `POST /staff/register/suggest` as the registration
page's browser sees it — a real uvicorn server on 127.0.0.1, a signed-in operator, a routing
model trained on the 2,763 raw Teddy Cup messages, {first["complaints"]:,} earlier complaints
from {first["callers"]:,} callers. Each request sends a title, a prefix of a real letter from
the organisers' unlabelled test set (median {first["typed_chars_median"]} characters, up to
{first["typed_chars_max"]}) and a phone, half of them earlier callers.

| database | requests | p50 | p95 | p99 | max | target p95 |
|---|---|---|---|---|---|---|
{rows}

Machine: {first["machine"]}, shared with other work while measured. The page waits 350 ms
after the last keystroke before asking, and drops an answer overtaken by a newer request.
"""
    pattern = re.compile(r"^## Registration suggestions\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--complaints", type=int, default=5_000)
    parser.add_argument(
        "--database-url",
        action="append",
        help="a migrated-on-the-fly empty database; repeat to compare (default: temp SQLite)",
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    model, train_s = trained()
    urls = args.database_url or [None]
    runs = [run(args.requests, args.complaints, url, model, train_s) for url in urls]
    print(json.dumps(runs, ensure_ascii=False, indent=2))
    if not args.no_write:
        _write(runs)


if __name__ == "__main__":
    main()
