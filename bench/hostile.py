"""What a hostile anonymous request costs: CPU per public filing, and memory after many.

Measures, in one process against a SQLite database with the demo org and a routing model trained
on the 2,763 raw Teddy Cup rows (so triage runs as it does in production):
- CPU milliseconds per anonymous public filing (``POST /api/v1/public/complaints``) for bodies an
  attacker would pick, each at the largest size the limits allow (target ≤ 50 ms each); the
  figure includes the in-process test client, so it is an upper bound on the server's share;
- ``extract_entities`` alone on 10,000 × "A市" (4.6 s before the place filter was made linear);
- resident memory growth over N maximum-size filings that all give one phone number, so the repeat
  rule compares each with its predecessors (target < 100 MB after 5,000).

- server CPU per anonymous filing through the public web form with the largest upload body the
  anonymous limits allow (target ≤ 50 ms): a real uvicorn on 127.0.0.1 in a child process, its
  CPU read from ``/proc/<pid>/stat`` around each request, so the client's work (building the
  multipart body) is not counted. ``--uploads FILESxMB`` measures other bodies (e.g. the old
  public limit, ``10x10``).

Results are printed as JSON and written to the ``## Hostile input`` section of
docs/benchmarks.md (``--no-write`` to skip).

    .venv/bin/python bench/hostile.py [--filings 5000] [--uploads 10x10 …] [--no-write]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np
from fastapi.testclient import TestClient

from complaintdesk.bootstrap import bootstrap
from complaintdesk.config import Settings
from complaintdesk.db import migrate
from complaintdesk.demo.hotline import build_org
from complaintdesk.http.app import create_app
from complaintdesk.triage.entities import extract_entities
from complaintdesk.triage.model import RoutingModel

DATA = Path(os.environ.get("COMPLAINTDESK_DATA_DIR", ROOT.parent / "shared" / "data"))
LIMIT = 20_000  # characters a complaint's text may have (kernel.text)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _bodies() -> dict[str, str]:
    rng = random.Random(7)
    cjk = [chr(c) for c in range(0x4E00, 0x9FA5)]
    return {
        "A市 repeated": ("A市" * LIMIT)[:LIMIT],
        "distinct places": "".join(rng.choice(cjk) + rng.choice(cjk) + "市" for _ in range(LIMIT))[
            :LIMIT
        ],
        "titles and names": ("王先生李女士张某某" * LIMIT)[:LIMIT],
        "unit suffixes": ("局委办公司医院学校" * LIMIT)[:LIMIT],
        "digits": ("13812345678" * LIMIT)[:LIMIT],
        "random CJK": "".join(rng.choice(cjk) for _ in range(LIMIT)),
        "punctuation": ("，。！？" * LIMIT)[:LIMIT],
    }


def _model(tmp: Path) -> Path:
    with (DATA / "teddycup2020c" / "fj2_raw_subset_2763.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    model = RoutingModel.train([r["text"] for r in rows], [r["一级标签"] for r in rows])
    path = tmp / "routing.joblib"
    model.save(path)
    return path


def _cpu_ms(call: Callable[[], Any], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        call()
        best = min(best, (time.process_time() - started) * 1000)
    return best


def _serve(url: str, model: str, att: str, port: int) -> None:
    """The child process: the app on a real uvicorn (as ``complaintdesk serve`` runs it)."""
    import uvicorn

    settings = Settings(
        database_url=url,
        demo_mode=True,
        attachments_dir=Path(att),
        triage_model=Path(model),
        filing_rate_limit=1_000_000,
    )
    uvicorn.run(create_app(bootstrap(settings)), host="127.0.0.1", port=port, log_level="warning")


def _process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _upload_body(count: int, size: int, kind: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    if kind == "jpeg":  # a JPEG head, then incompressible bytes
        data, name = b"\xff\xd8\xff\xe0" + os.urandom(size - 4), "photo.jpg"
    else:  # a text file: the one type whose check reads content beyond the magic bytes
        data, name = ("投诉材料说明" * (size // 18 + 1)).encode()[:size], "notes.txt"
    return [("files", (f"{i}-{name}", data, "application/octet-stream")) for i in range(count)]


def upload_cpu(
    url: str, model: Path, att: Path, bodies: dict[str, tuple[int, int]]
) -> dict[str, Any]:
    """Server CPU ms per public-form filing with the largest text and the given uploads.

    Each figure is the mean of 5 requests (the kernel counts CPU in 10 ms ticks, so a single
    request is too coarse), text body: 20,000 characters of "A市" (the costliest text above).
    """
    import httpx

    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", url, str(model), str(att), str(port)]
    )
    results: dict[str, Any] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(timeout=120) as client:
            for _ in range(100):
                try:
                    client.get(base + "/healthz")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            text = ("A市" * LIMIT)[:LIMIT]
            for name, (count, size) in bodies.items():
                for kind in ("jpeg", "text") if count else ("none",):
                    files = _upload_body(count, size, kind) if count else None
                    spent = []
                    for attempt in range(6):
                        form = {"content": text, "form_token": f"{name}-{kind}-{attempt}"}
                        before = _process_cpu_s(child.pid)
                        reply = client.post(base + "/public/complaint", data=form, files=files)
                        time.sleep(0.2)  # let the server finish its side (the response is sent)
                        if attempt:  # the first warms up caches
                            spent.append(_process_cpu_s(child.pid) - before)
                        assert reply.status_code in (200, 413), reply.text[:300]
                    label = f"{name} {kind}" if count else name
                    results[label] = {
                        "status": reply.status_code,
                        "server_cpu_ms": round(sum(spent) / len(spent) * 1000, 1),
                    }
                    _say(f"{label}: {results[label]}")
    finally:
        child.terminate()
        child.wait(10)
    return results


def run(filings: int, uploads: dict[str, tuple[int, int]] | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load": os.getloadavg()}}
    started = time.process_time()
    extract_entities("A市" * 10_000)
    results["extract_entities_10000_A市_ms"] = round((time.process_time() - started) * 1000, 1)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        _say("== training a routing model on the raw Teddy Cup rows")
        url = f"sqlite:///{tmp / 'hostile.db'}"
        migrate.upgrade(url)
        settings = Settings(
            database_url=url,
            demo_mode=True,
            attachments_dir=tmp / "att",
            triage_model=(model := _model(tmp)),
            filing_rate_limit=1_000_000,  # the bench measures cost, not the throttle
        )
        container = bootstrap(settings)
        with container.uow() as uow:
            build_org(uow)
            uow.commit()
        client = TestClient(create_app(container))
        client.post("/api/v1/public/complaints", json={"content": "预热 warm up"})

        per_body = {}
        for name, text in _bodies().items():

            def file(text: str = text) -> None:
                reply = client.post("/api/v1/public/complaints", json={"content": text})
                assert reply.status_code == 201, reply.text

            per_body[name] = round(_cpu_ms(file), 1)
            _say(f"{name}: {per_body[name]} ms CPU")
        results["anonymous_filing_cpu_ms"] = per_body
        results["anonymous_filing_cpu_ms_max"] = max(per_body.values())

        _say("== server CPU of the largest anonymous upload bodies (uvicorn child process)")
        limit = (settings.public_max_attachments, settings.public_max_attachment_bytes)
        bodies = {"text only (urlencoded)": (0, 0), "anonymous limit": limit}
        bodies.update(uploads or {})
        results["public_upload_limit"] = {
            "files": limit[0],
            "bytes_each": limit[1],
            "body_bytes": limit[0] * limit[1] + settings.public_form_overhead_bytes,
        }
        results["public_form_upload_server_cpu_ms"] = upload_cpu(
            url, model, tmp / "att-served", bodies
        )

        _say(f"== {filings} maximum-size filings from one phone number")
        draw = np.random.default_rng(11)
        before = _rss_mb()
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        wall = time.perf_counter()
        for i in range(filings):
            # 20,000 random CJK ideographs, a new letter every time (drawn in C, not Python)
            codes = draw.integers(0x4E00, 0x9FA5, LIMIT, dtype=np.uint32)
            text = codes.tobytes().decode("utf-32-le")
            reply = client.post(
                "/api/v1/public/complaints",
                json={"content": text, "complainant": {"name": "测试", "phone": "13800000000"}},
            )
            assert reply.status_code == 201, reply.text
            if (i + 1) % 500 == 0:
                _say(f"  {i + 1}: rss {_rss_mb():.0f} MB")
        results["repeat_filings"] = {
            "filings": filings,
            "rss_growth_mb": round(_rss_mb() - before, 1),
            "peak_rss_before_mb": round(peak_before, 1),
            "seconds": round(time.perf_counter() - wall, 1),
        }
    results["machine"]["load_end"] = os.getloadavg()
    return results


def _write(results: dict[str, Any]) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = doc.read_text(encoding="utf-8")
    section = (
        "## Hostile input\n\n"
        "`bench/hostile.py` (written by the script; CPU ms are the best of 5 in-process requests,"
        " test client included):\n\n```json\n"
        + json.dumps(results, ensure_ascii=False, indent=2)
        + "\n```\n"
    )
    head, _, rest = text.partition("## Hostile input\n")
    if rest:
        tail = rest.split("\n## ", 1)
        text = head + section + ("\n## " + tail[1] if len(tail) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    doc.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filings", type=int, default=5000)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--uploads", nargs="*", default=[], help="FILESxMB bodies to measure besides the limit"
    )
    parser.add_argument("--serve", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        url, model, att, port = args.serve
        _serve(url, model, att, int(port))
        return
    uploads = {}
    for spec in args.uploads:
        count, mb = spec.split("x")
        uploads[f"{count} files x {mb} MB"] = (int(count), int(float(mb) * 1024 * 1024))
    results = run(args.filings, uploads)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    if not args.no_write:
        _write(results)


if __name__ == "__main__":
    main()
