"""Repositories and queries against the real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.queries import ComplaintFilter, ComplaintQueries
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.complaints.vocabulary import Action, DispatchMode, Status
from complaintdesk.kernel.errors import ConcurrencyConflict, NotFound
from complaintdesk.kernel.time import FixedClock
from complaintdesk.org import auth
from complaintdesk.org.model import Actor


def actor(container: Container, username: str) -> Actor:
    with container.uow() as uow:
        user = uow.users.by_username(username)
        assert user is not None
        return auth.actor_for(uow, user)


def file(container: Container, who: str = "operator", **overrides: Any) -> svc.FiledComplaint:
    command = svc.FileComplaint(
        content=overrides.pop("content", "路灯坏了三个月无人修"),
        complainant=NewComplainant(name="张三", phone="13900001111"),
        **overrides,
    )
    with container.uow() as uow:
        return svc.file_complaint(
            uow,
            command,
            actor=actor(container, who),
            now=container.clock.now(),
            calendar=container.calendar,
        )


def sign_off(container: Container, cid: int, mode: DispatchMode = DispatchMode.TRANSFER) -> None:
    """The leader's sign-off (签批) that every dispatch needs first."""
    with container.uow() as uow:
        handling.sign_off(
            uow,
            actor(container, "leader"),
            cid,
            mode=mode,
            unit_id=None,
            opinion="",
            now=container.clock.now(),
            calendar=container.calendar,
        )


def perform(container: Container, who: str, cid: int, action: Action, **params: Any) -> None:
    with container.uow() as uow:
        svc.perform(
            uow,
            actor(container, who),
            cid,
            command_for(action, params),
            now=container.clock.now(),
            calendar=container.calendar,
        )


def test_it_round_trips_a_complaint_and_its_events(container: Container, org: dict) -> None:
    filed = file(container)
    perform(container, "operator", filed.id, Action.ACCEPT, category="delay")
    with container.uow() as uow:
        complaint = uow.complaints.get(filed.id)
        events = uow.complaints.events(filed.id)
    assert complaint.status is Status.ACCEPTED
    assert complaint.category == "delay"
    assert complaint.version == 2
    assert [e.action for e in events] == [Action.FILE, Action.ACCEPT]
    assert events[1].at == container.clock.now()
    assert events[1].at.tzinfo is not None


def test_tracking_numbers_count_up_per_day(container: Container, org: dict) -> None:
    clock = container.clock
    assert isinstance(clock, FixedClock)
    first, second = file(container), file(container)
    clock.advance(days=1)
    third = file(container)
    assert first.tracking_no == "TS20261130-000001"
    assert second.tracking_no == "TS20261130-000002"
    assert third.tracking_no == "TS20261201-000001"


def test_the_query_code_is_stored_only_as_a_hash(container: Container, org: dict) -> None:
    filed = file(container)
    with container.uow() as uow:
        row = uow.complaints.row(filed.id)
        assert filed.query_code not in row.query_code_hash
        assert (
            svc.find_by_query_code(uow, filed.tracking_no, filed.query_code.lower()).id == filed.id
        )
        with pytest.raises(NotFound):
            svc.find_by_query_code(uow, filed.tracking_no, "WRONG123")


def test_the_second_of_two_concurrent_actions_fails_loudly(container: Container, org: dict) -> None:
    """Both sessions read version 1 before either writes; only one write may win."""
    filed = file(container)
    perform(container, "operator", filed.id, Action.ACCEPT)
    sign_off(container, filed.id)
    both_read = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []
    lock = threading.Lock()

    def dispatch_to(unit_id: int) -> None:
        with container.uow() as uow:
            complaint = uow.complaints.get(filed.id)
            both_read.wait()
            complaint.dispatch(
                container.clock.now(),
                None,
                unit_id=unit_id,
                mode=DispatchMode.TRANSFER,
                summary="摘要",
            )
            try:
                uow.complaints.save(complaint, container.clock.now())
                uow.complaints.append_events(filed.id, complaint.take_events())
                uow.commit()
                result = f"won:{unit_id}"
            except ConcurrencyConflict as exc:
                result = f"conflict:{exc.current_version}"
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=dispatch_to, args=(org[code].id,))
        for code in ("housing", "education")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "won"]
    assert "conflict:4" in outcomes
    winner = int(next(o for o in outcomes if o.startswith("won")).split(":")[1])
    with container.uow() as uow:
        stored = uow.complaints.get(filed.id)
        events = uow.complaints.events(filed.id)
    assert stored.handling_unit_id == winner
    assert stored.version == 4
    assert [e.action for e in events].count(Action.DISPATCH) == 1


def test_a_viewer_sees_only_complaints_in_their_subtree(container: Container, org: dict) -> None:
    prefecture = file(container)
    county = file(container, who="operator-dongcheng")
    perform(container, "operator", prefecture.id, Action.ACCEPT)
    sign_off(container, prefecture.id)
    perform(
        container,
        "dispatcher",
        prefecture.id,
        Action.DISPATCH,
        unit_id=org["housing-service"].id,
        mode="transfer",
        summary="摘要",
    )
    now = container.clock.now()
    with container.uow() as uow:
        queries = ComplaintQueries(uow.session)

        def ids(who: str) -> set[int]:
            return {
                r.id
                for r in queries.page(
                    actor(container, who), ComplaintFilter(), limit=50, before_id=None, now=now
                )
            }

        assert ids("operator") == {prefecture.id, county.id}
        assert ids("operator-dongcheng") == {county.id}
        assert ids("handler-housing") == {prefecture.id}  # dispatched to its section
        assert ids("handler-education") == set()


def test_keyset_pages_cover_every_complaint_once(container: Container, org: dict) -> None:
    filed = [file(container) for _ in range(7)]
    viewer = actor(container, "operator")
    seen: list[int] = []
    cursor = None
    with container.uow() as uow:
        queries = ComplaintQueries(uow.session)
        while True:
            rows = queries.page(
                viewer, ComplaintFilter(), limit=3, before_id=cursor, now=container.clock.now()
            )
            if not rows:
                break
            seen.extend(r.id for r in rows)
            cursor = rows[-1].id
    assert seen == sorted((f.id for f in filed), reverse=True)


def test_filters_narrow_the_list(container: Container, org: dict) -> None:
    clock = container.clock
    assert isinstance(clock, FixedClock)
    old = file(container, received_at=clock.now() - timedelta(days=30))
    new = file(container)
    perform(container, "operator", new.id, Action.ACCEPT, category="delay")
    viewer = actor(container, "operator")
    now = clock.now()
    with container.uow() as uow:
        queries = ComplaintQueries(uow.session)

        def ids(**kw: Any) -> set[int]:
            return {
                r.id
                for r in queries.page(
                    viewer, ComplaintFilter(**kw), limit=50, before_id=None, now=now
                )
            }

        assert ids(status=[Status.ACCEPTED]) == {new.id}
        assert ids(category="delay") == {new.id}
        assert ids(received_to=(now - timedelta(days=20)).date()) == {old.id}
        assert ids(received_from=now.date()) == {new.id}
        # Received 30 calendar days ago: its 10 working days are long gone.
        assert ids(overdue=True) == {old.id}
        assert ids(overdue=False) == {new.id}


def test_several_actions_in_one_unit_of_work_each_see_the_last_version(
    container: Container, org: dict
) -> None:
    filed = file(container)
    operator = actor(container, "operator")
    with container.uow() as uow:
        svc.find_by_query_code(uow, filed.tracking_no, filed.query_code)  # caches the row
        for action, params in [
            (Action.ACCEPT, {}),
            (Action.ADD_NOTE, {"note": "已电话联系投诉人"}),
            (Action.ADD_NOTE, {"note": "约定周五回访"}),
        ]:
            svc.perform(
                uow,
                operator,
                filed.id,
                command_for(action, params),
                now=container.clock.now(),
                calendar=container.calendar,
            )
        assert uow.complaints.get(filed.id).version == 4
