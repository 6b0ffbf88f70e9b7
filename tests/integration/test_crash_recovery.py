"""Two server processes killed (SIGKILL) in the middle of a filing load on PostgreSQL.

What a citizen and an operator rely on: every complaint whose filing was acknowledged is
there exactly once after the restart, and retrying any filing with its Idempotency-Key
(acknowledged or not) files nothing twice.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.config import Settings
from tests.conftest import pg_database

CLIENTS = 8
KILL_AFTER_SECONDS = 2.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(url: str, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "COMPLAINTDESK_DATABASE_URL": url,
        "COMPLAINTDESK_DEMO_MODE": "1",
        "COMPLAINTDESK_ATTACHMENTS_DIR": str(tmp / "attachments"),
        "COMPLAINTDESK_FILING_RATE_LIMIT": "1000000",
    }
    cli = Path(sys.executable).with_name("complaintdesk")
    process = subprocess.Popen(
        [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"server on port {port} did not start")


def _file(port: int, key: str) -> tuple[int, str | None]:
    body = json.dumps({"content": f"小区路灯不亮，请尽快维修（{key}）"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/public/complaints",
        data=body,
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())["tracking_no"]
    except urllib.error.HTTPError as exc:
        return exc.code, None


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_database() as url:
        yield url


def test_killed_servers_lose_no_acknowledged_filing_and_retries_file_nothing_twice(
    pg_url: str, tmp_path: Path
) -> None:
    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.demo.hotline import build_org

    container = bootstrap(Settings(database_url=pg_url, demo_mode=True))
    with container.uow() as uow:
        build_org(uow)
        uow.commit()
    container.engine.dispose()

    ports = [_free_port(), _free_port()]
    servers = [_start(pg_url, port, tmp_path) for port in ports]
    acknowledged: dict[str, str] = {}
    attempted: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            key = f"crash-{n}-{i}"
            i += 1
            with lock:
                attempted.append(key)
            try:
                status, tracking_no = _file(ports[i % 2], key)
            except OSError:  # the server died under this request: not acknowledged
                continue
            if status == 201 and tracking_no:
                with lock:
                    acknowledged[key] = tracking_no

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(KILL_AFTER_SECONDS)
    for server in servers:
        os.kill(server.pid, signal.SIGKILL)
    for server in servers:
        server.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert len(acknowledged) >= 10, "the load did not get going before the kill"

    servers = [_start(pg_url, port, tmp_path) for port in ports]
    try:
        engine = create_engine(pg_url)
        with engine.connect() as conn:
            stored = dict(
                conn.execute(
                    select(ComplaintRow.tracking_no, func.count()).group_by(
                        ComplaintRow.tracking_no
                    )
                ).all()
            )
        # Every acknowledged complaint is there, once.
        assert all(stored.get(no) == 1 for no in acknowledged.values())
        # Retrying every filing, acknowledged or not, with its key files nothing new for
        # the acknowledged ones and at most one complaint for the others.
        answers = {key: _file(ports[0], key) for key in attempted}
        for key, tracking_no in acknowledged.items():
            assert answers[key] == (200, tracking_no), key
        assert all(status in (200, 201) for status, _ in answers.values())
        with engine.connect() as conn:
            total = conn.scalar(select(func.count()).select_from(ComplaintRow))
            distinct = conn.scalar(select(func.count(func.distinct(ComplaintRow.tracking_no))))
        assert total == distinct == len(set(attempted))
        again = {key: _file(ports[1], key) for key in attempted}
        assert {k: v[1] for k, v in again.items()} == {k: v[1] for k, v in answers.items()}
        assert all(status == 200 for status, _ in again.values())
        engine.dispose()
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
