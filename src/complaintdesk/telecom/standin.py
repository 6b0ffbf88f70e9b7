"""A small local stand-in for the CRM, prepaid, AAA and HLR systems (demo and tests).

It serves canned subscriber states from a JSON or CSV file, bound to 127.0.0.1 only:
``GET /{system}/subscribers/{msisdn}`` → the state as JSON, or 404.

JSON: ``{"crm": {"13800000001": {"status": "arrears"}}, "prepaid": {...}, ...}``.
CSV: columns ``system, msisdn`` and any state fields (``status``, ``balance_yuan``,
``data_enabled``, ``barring`` …); values are read as JSON where they parse (``true``,
``-3.5``, ``["outgoing"]``), as text otherwise.

Two reserved fields make a system misbehave on purpose, so that the "unknown" path can be
shown: ``_delay_seconds`` (answer late) and ``_http_status`` (answer with that status).
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.telecom.diagnosis import AccountSystem

SYSTEMS = {s.value for s in AccountSystem}
States = dict[str, dict[str, dict[str, Any]]]


def load_states(path: Path) -> States:
    """Read canned states from a ``.json`` or ``.csv`` file."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".json":
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"JSON格式错误 / invalid JSON: {exc}") from exc
        return parse_states(raw)
    return states_from_csv(text)


def parse_states(raw: Any) -> States:
    if not isinstance(raw, dict):
        raise InvalidInput("应为以系统名为键的对象 / expected an object keyed by system")
    states: States = {s: {} for s in SYSTEMS}
    for system, subscribers in raw.items():
        if system not in SYSTEMS:
            raise InvalidInput(
                f"未知系统 {system}，可用 {sorted(SYSTEMS)} / unknown system {system}"
            )
        if not isinstance(subscribers, dict) or not all(
            isinstance(v, dict) for v in subscribers.values()
        ):
            raise InvalidInput(f"{system}: 应为 号码→状态 / expected msisdn → state objects")
        states[system].update({str(k): dict(v) for k, v in subscribers.items()})
    return states


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def states_from_csv(text: str) -> States:
    states: States = {s: {} for s in SYSTEMS}
    for number, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        system = (row.pop("system", "") or "").strip().lower()
        msisdn = (row.pop("msisdn", "") or "").strip()
        if system not in SYSTEMS or not msisdn:
            raise InvalidInput(
                f"第{number}行：需要有效的 system 和 msisdn / row {number}: system and msisdn"
                " are required"
            )
        states[system][msisdn] = {
            k: _value(v.strip()) for k, v in row.items() if k and v is not None and v.strip()
        }
    return states


class _Handler(BaseHTTPRequestHandler):
    server: _StandInServer

    def do_GET(self) -> None:
        parts = [unquote(p) for p in self.path.split("?", 1)[0].strip("/").split("/")]
        if len(parts) != 3 or parts[1] != "subscribers" or parts[0] not in SYSTEMS:
            self._send(404, {"error": "not found"})
            return
        state = self.server.states.get(parts[0], {}).get(parts[2])
        if state is None:
            self._send(404, {"error": "subscriber not found"})
            return
        delay = float(state.get("_delay_seconds", 0) or 0)
        if delay and self.server.stopping.wait(delay):
            return
        status = int(state.get("_http_status", 200))
        body = {k: v for k, v in state.items() if not k.startswith("_")}
        self._send(status, body if status == 200 else {"error": "stand-in error"})

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout): nothing to answer

    def log_message(self, format: str, *args: Any) -> None:
        return


class _StandInServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, states: States) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.states = states
        self.stopping = threading.Event()


class StandIn:
    """The stand-in server, started in a thread; always bound to 127.0.0.1."""

    def __init__(self, states: States, port: int = 0) -> None:
        self.server = _StandInServer(port, states)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def urls(self) -> dict[AccountSystem, str | None]:
        return {s: f"{self.base_url}/{s.value}" for s in AccountSystem}

    def start(self) -> StandIn:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@contextmanager
def running(states: States, port: int = 0) -> Iterator[StandIn]:
    standin = StandIn(states, port).start()
    try:
        yield standin
    finally:
        standin.stop()
