"""The sweep on a real database: each step once, an event, a level, notices in the outbox.

Dates: complaints filed at START (Mon 30 Nov 2026, 09:00 Beijing) are due at the end of
Mon 14 Dec (hand-checked in tests/unit/test_sla.py). With reminders 2 working days ahead,
the reminder falls due after Thu 10 Dec; supervision after Mon 14; listing 5 working days
after the supervision.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update

from complaintdesk.bootstrap import Container
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.clock.sweep import SweepReport, sweep
from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import Action, CallbackOutcome, DispatchMode
from complaintdesk.db.engine import make_engine, make_session_factory
from complaintdesk.demo.hotline import _actor
from complaintdesk.kernel.time import FixedClock
from complaintdesk.notify import outbox
from complaintdesk.notify.tables import OutboxRow
from complaintdesk.org.tables import UserRow
from tests.integration.test_outbox import SmtpServer, registry_for, smtp_server  # noqa: F401


def bj(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def give_contacts(container: Container) -> None:
    """Demo users have no e-mail or phone; the tests give the relevant ones both."""
    with container.session_factory() as session:
        for user in session.scalars(select(UserRow)):
            user.email = f"{user.username}@xizhou.example"
            user.phone = f"1380000{user.id:04d}"
        session.commit()


def new_complaint(container: Container, org: dict[str, Any], *, to: str = "housing") -> int:
    """Filed now, accepted, dispatched for self-handling to a bureau, signed for."""
    now = container.clock.now()
    with container.uow() as uow:
        operator = _actor(uow, "operator")
        dispatcher = _actor(uow, "dispatcher")
        handler = _actor(uow, f"handler-{to}")
        filed = svc.file_complaint(
            uow,
            svc.FileComplaint(
                content="小区旁工地夜间施工噪音扰民，多次反映无人处理。", title="夜间施工"
            ),
            actor=operator,
            now=now,
            calendar=container.calendar,
        )
        svc.perform(
            uow,
            operator,
            filed.id,
            command_for(Action.ACCEPT, {}),
            now=now,
            calendar=container.calendar,
        )
        handling.sign_off(  # every dispatch needs the leader's sign-off (签批) first
            uow,
            _actor(uow, "leader"),
            filed.id,
            mode=DispatchMode.SELF_HANDLE,
            unit_id=org[to].id,
            opinion="同意自办",
            now=now,
            calendar=container.calendar,
        )
        for actor, action, params in (
            (dispatcher, Action.DISPATCH, {"unit_id": org[to].id, "mode": "self_handle"}),
            (handler, Action.RECEIVE, {}),
        ):
            svc.perform(
                uow,
                actor,
                filed.id,
                command_for(action, params),
                now=now,
                calendar=container.calendar,
            )
    return filed.id


def run(container: Container, when: str) -> SweepReport:
    return sweep(container.session_factory, container.calendar, bj(when), reminder_working_days=2)


def actions(container: Container, complaint_id: int) -> list[str]:
    with container.session_factory() as session:
        return list(
            session.scalars(
                select(ComplaintEventRow.action)
                .where(ComplaintEventRow.complaint_id == complaint_id)
                .order_by(ComplaintEventRow.id)
            )
        )


def level(container: Container, complaint_id: int) -> int:
    with container.session_factory() as session:
        row = session.get(ComplaintRow, complaint_id)
        assert row is not None
        return row.overdue_level


def notices(container: Container, complaint_id: int) -> list[tuple[str, str, str]]:
    with container.session_factory() as session:
        return [
            (r.dedup_key.split(":")[0], r.channel, r.recipient)
            for r in session.scalars(
                select(OutboxRow)
                .where(OutboxRow.complaint_id == complaint_id)
                .order_by(OutboxRow.id)
            )
            if r.dedup_key
        ]


def test_the_sweep_reminds_then_supervises_then_lists(
    container: Container, org: dict[str, Any]
) -> None:
    give_contacts(container)
    cid = new_complaint(container, org)

    assert run(container, "2026-12-10T12:00:00").examined == 0  # 3 working days left
    report = run(container, "2026-12-11T09:00:00")
    assert (report.reminded, report.supervised, report.listed) == (1, 0, 0)
    assert level(container, cid) == 1
    assert actions(container, cid)[-1] == "remind"

    assert run(container, "2026-12-14T20:00:00").examined == 0  # due tonight: nothing yet
    assert run(container, "2026-12-15T09:00:00").supervised == 1
    assert level(container, cid) == 2
    # Supervised Tue 15 Dec: listed once still open 5 working days later (Wed 16 … Fri 18,
    # Mon 21, Tue 22), i.e. from Wed 23.
    assert run(container, "2026-12-22T20:00:00").listed == 0
    assert run(container, "2026-12-23T09:00:00").listed == 1
    assert level(container, cid) == 3
    assert run(container, "2027-01-20T09:00:00").examined == 0  # top of the ladder

    assert actions(container, cid)[-3:] == ["remind", "supervise", "list_supervision"]
    sent = notices(container, cid)
    # Each step: the housing bureau's two users (handler, head) and the centre's supervisor,
    # by e-mail and by SMS.
    for step in ("remind", "supervise", "list_supervision"):
        recipients = sorted(r for s, c, r in sent if s == step and c == "email")
        assert recipients == [
            "handler-housing@xizhou.example",
            "head-housing@xizhou.example",
            "supervisor@xizhou.example",
        ]
        assert len([1 for s, c, _ in sent if s == step and c == "sms"]) == 3


def test_a_second_sweep_at_the_same_moment_does_nothing(
    container: Container, org: dict[str, Any]
) -> None:
    give_contacts(container)
    cid = new_complaint(container, org)
    assert run(container, "2026-12-15T09:00:00").supervised == 1
    again = run(container, "2026-12-15T09:00:00")
    assert (again.reminded, again.supervised, again.listed, again.notices) == (0, 0, 0, 0)
    assert actions(container, cid).count("supervise") == 1


def test_the_step_is_an_event_with_its_reason_and_no_status_change(
    container: Container, org: dict[str, Any]
) -> None:
    cid = new_complaint(container, org)
    run(container, "2026-12-15T09:00:00")
    with container.uow() as uow:
        event = uow.complaints.events(cid)[-1]
        status = uow.complaints.row(cid).status
    assert event.action is Action.SUPERVISE
    assert event.actor_id is None  # the system, not a person
    assert event.from_status == event.to_status == status == "received"
    assert "已超过办理时限" in event.reason
    assert event.data["overdue_working_days"] == 1
    assert event.data["automatic"] is True
    assert event.data["notified"] == 0  # nobody has contacts: the event says so
    assert notices(container, cid) == []


def test_an_approved_extension_earns_a_fresh_reminder_before_the_new_deadline(
    container: Container, org: dict[str, Any], clock: FixedClock
) -> None:
    cid = new_complaint(container, org)
    assert run(container, "2026-12-11T09:00:00").reminded == 1
    clock.moment = bj("2026-12-11T10:00:00")
    with container.uow() as uow:
        handler, head = _actor(uow, "handler-housing"), _actor(uow, "leader")
        for actor, action, params in (
            (handler, Action.REQUEST_EXTENSION, {"working_days": 5, "reason": "需现场勘验"}),
            (head, Action.APPROVE_EXTENSION, {}),
        ):
            svc.perform(
                uow,
                actor,
                cid,
                command_for(action, params),
                now=clock.now(),
                calendar=container.calendar,
            )
    assert level(container, cid) == 0
    # New deadline: 15 working days from Mon 30 Nov = Mon 21 Dec; remind after Thu 17.
    assert run(container, "2026-12-15T09:00:00").examined == 0
    assert run(container, "2026-12-18T09:00:00").reminded == 1
    assert actions(container, cid).count("remind") == 2


def test_a_complaint_that_failed_rectification_twice_is_listed_at_once(
    container: Container, org: dict[str, Any], clock: FixedClock
) -> None:
    cid = new_complaint(container, org)
    with container.uow() as uow:
        handler, callback = _actor(uow, "handler-housing"), _actor(uow, "callback")
        steps: list[tuple[Any, Action, dict[str, Any]]] = [(handler, Action.START_HANDLING, {})]
        for _ in range(2):
            steps += [
                (handler, Action.REPLY, {"reply": "已整改。", "channel": "phone"}),
                (callback, Action.START_CALLBACK, {}),
                (
                    callback,
                    Action.RECORD_CALLBACK,
                    {"outcome": CallbackOutcome.UNSATISFIED.value, "unsolved_and_true": True},
                ),
            ]
        for actor, action, params in steps:
            svc.perform(
                uow,
                actor,
                cid,
                command_for(action, params),
                now=clock.now(),
                calendar=container.calendar,
            )
    report = run(container, "2026-12-01T09:00:00")
    assert report.listed == 1
    assert level(container, cid) == 3
    with container.uow() as uow:
        assert uow.complaints.events(cid)[-1].data["rule"] == "failed_twice"


def test_a_replied_complaint_is_left_alone(container: Container, org: dict[str, Any]) -> None:
    cid = new_complaint(container, org)
    with container.uow() as uow:
        handler = _actor(uow, "handler-housing")
        for action, params in (
            (Action.START_HANDLING, {}),
            (Action.REPLY, {"reply": "已处理。", "channel": "phone"}),
        ):
            svc.perform(
                uow,
                handler,
                cid,
                command_for(action, params),
                now=container.clock.now(),
                calendar=container.calendar,
            )
    assert run(container, "2027-02-01T09:00:00").examined == 0
    assert level(container, cid) == 0


# --- many workers -------------------------------------------------------------------------


def test_two_workers_on_postgresql_send_each_reminder_exactly_once(
    container: Container,
    org: dict[str, Any],
    db_url: str,
    db_engine: Engine,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; on SQLite run a single worker")
    give_contacts(container)
    # Only the handlers get mail, so each complaint's reminder is one e-mail per handler.
    with container.session_factory() as session:
        session.execute(
            update(UserRow).where(~UserRow.username.like("handler-%")).values(email=None)
        )
        session.execute(update(UserRow).values(phone=None))
        session.commit()
    units = ["housing", "ecology", "transport", "education", "hrss", "commerce", "health"]
    ids = [new_complaint(container, org, to=units[i % len(units)]) for i in range(42)]
    now = bj("2026-12-11T09:00:00")
    registry = registry_for(smtp_server, None)
    start = threading.Barrier(2)
    reports: list[tuple[SweepReport, outbox.DeliveryReport]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        engine = make_engine(db_url)  # its own engine and connections, like another process
        try:
            factory = make_session_factory(engine)
            start.wait()
            swept = sweep(factory, container.calendar, now, reminder_working_days=2, batch=3)
            delivered = outbox.deliver(factory, registry, now, batch=2)
            reports.append((swept, delivered))
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(r.reminded for r, _ in reports) == 42
    # Whatever is still pending (a row that became due after one worker looked) goes out
    # in one more cycle; it must not produce duplicates either.
    outbox.deliver(container.session_factory, registry, now)

    with container.session_factory() as session:
        reminders = dict(
            session.execute(
                select(ComplaintEventRow.complaint_id, func.count())
                .where(ComplaintEventRow.action == "remind")
                .group_by(ComplaintEventRow.complaint_id)
            ).all()
        )
        states = dict(
            session.execute(select(OutboxRow.state, func.count()).group_by(OutboxRow.state)).all()
        )
    assert reminders == {cid: 1 for cid in ids}
    assert states == {"sent": 42}
    refs = [m["X-Complaintdesk-Ref"] for m in smtp_server.messages]
    assert len(refs) == 42
    assert len(set(refs)) == 42  # every reminder e-mail arrived exactly once
