"""The daily SMS quota holds between transactions: it is counted from the outbox under one
advisory lock, so two senders at once cannot both take the last SMS of the day."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select, text

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.demo.telecom import build_telecom_org
from complaintdesk.kernel.errors import QuotaExceeded
from complaintdesk.notify.tables import OutboxRow
from complaintdesk.org import auth
from complaintdesk.telecom import preprocessing as pre
from complaintdesk.telecom.lookups import HttpAccountLookups
from complaintdesk.telecom.sms import SmsLimits, queue_sms

ONE_A_DAY = SmsLimits(per_complaint=1, per_number=5)


def _filed(container: Container) -> int:
    with container.uow() as uow:
        build_telecom_org(uow)
        uow.commit()
        operator = auth.actor_for(uow, uow.users.by_username("tc-operator"))  # type: ignore[arg-type]
    with container.uow() as uow:
        filed = pre.file_telecom_complaint(
            uow,
            HttpAccountLookups({}, timeout=0.2),
            svc.FileComplaint(
                content="手机没有信号",
                complainant=svc.NewComplainant(name="李雷", phone="13300000009"),
            ),
            pre.TelecomDetails(),
            actor=operator,
            root_code=container.settings.telecom_root_unit,
            **container.timing(),
        )
    return filed.id


def _send(container: Container, cid: int, key: str) -> None:
    with container.uow() as uow:
        row = uow.session.get(ComplaintRow, cid)
        assert row is not None
        queue_sms(
            uow,
            row,
            "您的投诉已受理。",
            key=key,
            subject="test",
            actor_id=None,
            now=container.clock.now(),
            limits=ONE_A_DAY,
        )
        uow.commit()


def test_two_senders_at_once_cannot_both_take_the_last_sms_of_the_day(
    container: Container,
) -> None:
    if container.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: a second sender cannot interleave")
    cid = _filed(container)
    outcome: dict[str, BaseException | None] = {}

    def second() -> None:
        try:
            _send(container, cid, "b")
            outcome["error"] = None
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=second)
    first = container.uow()
    first.__enter__()
    try:
        row = first.session.get(ComplaintRow, cid)
        assert row is not None
        now = container.clock.now()
        queue_sms(
            first, row, "一", key="a", subject="t", actor_id=None, now=now, limits=ONE_A_DAY
        )  # holds the quota lock until it commits
        thread.start()
        deadline = time.monotonic() + 20
        with container.engine.connect() as probe:  # wait until the second sender is blocked
            waiting = text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            )
            while probe.execute(waiting).scalar_one() == 0:
                assert time.monotonic() < deadline, "the second sender never waited for the lock"
                probe.rollback()
                threading.Event().wait(0.01)  # poll the lock table, not a timing assumption
        first.commit()
    finally:
        first.__exit__(None, None, None)  # rolls back what was not committed
        if thread.is_alive() or thread.ident is not None:
            thread.join(20)
    assert isinstance(outcome["error"], QuotaExceeded)
    with container.uow() as uow:
        queued = uow.session.scalar(
            select(func.count(OutboxRow.id)).where(OutboxRow.complaint_id == cid)
        )
    assert queued == 1
