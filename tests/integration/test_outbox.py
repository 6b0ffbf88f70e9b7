"""Outbox delivery over real SMTP (aiosmtpd on loopback) and an HTTP SMS gateway stand-in.

Also home of the ``smtp_server`` and ``sms_gateway`` fixtures the other clock tests import.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from complaintdesk.bootstrap import Container
from complaintdesk.kernel.time import FixedClock
from complaintdesk.notify import outbox
from complaintdesk.notify.registry import NotifierRegistry
from complaintdesk.notify.sms import HttpSmsGateway
from complaintdesk.notify.smtp import SmtpNotifier
from complaintdesk.notify.tables import OutboxRow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer("127.0.0.1", free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@dataclass
class SmsGateway:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0  # answer HTTP 500 to this many requests first


@pytest.fixture
def sms_gateway() -> Iterator[SmsGateway]:
    state = SmsGateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if state.fail_next > 0:
                state.fail_next -= 1
                self.send_response(500)
                self.end_headers()
                self.wfile.write(b"gateway busy")
                return
            state.received.append(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status":"queued"}')

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def registry_for(smtp: SmtpServer | None, sms: SmsGateway | None) -> NotifierRegistry:
    notifiers: dict[str, Any] = {}
    if smtp is not None:
        notifiers["email"] = SmtpNotifier(smtp.host, smtp.port, "centre@xizhou.example")
    if sms is not None:
        notifiers["sms"] = HttpSmsGateway(sms.url, timeout=5)
    return NotifierRegistry(notifiers)


def queue(container: Container, channel: str, recipient: str, key: str, **extra: Any) -> bool:
    with container.session_factory() as session:
        queued = outbox.enqueue(
            session,
            channel=channel,
            recipient=recipient,
            subject=extra.get("subject", "【督办】投诉 TS20261130-000001 已超期"),
            body=extra.get("body", "西州住房和城乡建设局：\n投诉已超过办理时限，现予督办。"),
            dedup_key=key,
            now=container.clock.now(),
        )
        session.commit()
    return queued


def rows(container: Container) -> list[OutboxRow]:
    with container.session_factory() as session:
        return list(session.scalars(select(OutboxRow).order_by(OutboxRow.id)))


def test_an_email_is_delivered_over_smtp_in_chinese(
    container: Container, smtp_server: SmtpServer
) -> None:
    queue(container, "email", "handler@xizhou.example", "supervise:1:d1:5:email")
    report = outbox.deliver(
        container.session_factory, registry_for(smtp_server, None), container.clock.now()
    )
    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [mail] = smtp_server.messages
    assert mail["To"] == "handler@xizhou.example"
    assert mail["Subject"] == "【督办】投诉 TS20261130-000001 已超期"
    assert "现予督办" in mail.get_content()
    assert mail["X-Complaintdesk-Ref"] == "supervise:1:d1:5:email"
    [row] = rows(container)
    assert (row.state, row.attempts, row.sent_at) == ("sent", 1, container.clock.now())


def test_an_sms_is_posted_to_the_gateway(container: Container, sms_gateway: SmsGateway) -> None:
    queue(
        container, "sms", "13800000001", "remind:1:d1:5:sms", body="【投诉中心】催办：请尽快办理。"
    )
    outbox.deliver(
        container.session_factory, registry_for(None, sms_gateway), container.clock.now()
    )
    assert sms_gateway.received == [
        {"to": "13800000001", "text": "【投诉中心】催办：请尽快办理。", "ref": "remind:1:d1:5:sms"}
    ]
    assert rows(container)[0].state == "sent"


def test_the_same_notice_is_queued_only_once(container: Container) -> None:
    assert queue(container, "sms", "13800000001", "remind:9:d1:5:sms") is True
    assert queue(container, "sms", "13800000001", "remind:9:d1:5:sms") is False
    assert len(rows(container)) == 1


def test_a_failing_gateway_is_retried_with_exponential_backoff(
    container: Container, clock: FixedClock, sms_gateway: SmsGateway
) -> None:
    registry = registry_for(None, sms_gateway)
    sms_gateway.fail_next = 2
    queue(container, "sms", "13800000001", "remind:2:d1:5:sms")
    start = clock.now()

    outbox.deliver(container.session_factory, registry, clock.now())
    [row] = rows(container)
    assert (row.state, row.attempts) == ("pending", 1)
    assert "HTTP 500" in (row.last_error or "")
    assert row.next_attempt_at == start + timedelta(minutes=1)

    # Not due yet: nothing is attempted.
    assert outbox.deliver(container.session_factory, registry, clock.now()).retried == 0
    clock.advance(minutes=1)
    outbox.deliver(container.session_factory, registry, clock.now())
    [row] = rows(container)
    assert row.attempts == 2
    assert row.next_attempt_at == start + timedelta(minutes=1 + 2)  # then 2 minutes

    clock.advance(minutes=2)
    outbox.deliver(container.session_factory, registry, clock.now())
    [row] = rows(container)
    assert (row.state, row.attempts, row.last_error) == ("sent", 3, None)
    assert len(sms_gateway.received) == 1


def test_a_message_that_keeps_failing_ends_failed_with_its_last_error(
    container: Container, clock: FixedClock
) -> None:
    dead = SmtpServer("127.0.0.1", free_port())  # nobody listens there
    queue(container, "email", "handler@xizhou.example", "supervise:3:d1:5:email")
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.deliver(container.session_factory, registry_for(dead, None), clock.now())
        clock.advance(hours=7)
    [row] = rows(container)
    assert row.state == "failed"
    assert row.attempts == outbox.MAX_ATTEMPTS
    assert "SMTP 127.0.0.1" in (row.last_error or "")
    with container.session_factory() as session:
        assert [r.id for r in outbox.list_messages(session, state="failed")] == [row.id]
        assert outbox.counts(session) == {"failed": 1}


def test_an_unconfigured_channel_fails_visibly_and_delivers_once_configured(
    container: Container, clock: FixedClock, sms_gateway: SmsGateway
) -> None:
    from complaintdesk.notify.registry import build_registry

    queue(container, "sms", "13800000001", "remind:4:d1:5:sms")
    outbox.deliver(container.session_factory, build_registry(container.settings), clock.now())
    [row] = rows(container)
    assert row.state == "pending"
    assert "COMPLAINTDESK_SMS_GATEWAY_URL" in (row.last_error or "")
    clock.advance(minutes=1)
    outbox.deliver(container.session_factory, registry_for(None, sms_gateway), clock.now())
    assert rows(container)[0].state == "sent"
