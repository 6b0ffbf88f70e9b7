"""Every action from every status: the legal ones move the complaint, the rest are refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from complaintdesk.complaints.model import ALLOWED_FROM, Complaint
from complaintdesk.complaints.vocabulary import (
    MAX_CALLBACK_ATTEMPTS,
    Action,
    CallbackOutcome,
    DispatchMode,
    IllegalTransition,
    Importance,
    Status,
)
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.org.model import ACTION_ROLES, Actor, Role

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def make(status: Status = Status.REGISTERED, **fields: Any) -> Complaint:
    return Complaint(
        id=1,
        tracking_no="TS20261130-000001",
        status=status,
        received_at=NOW,
        owner_unit_id=1,
        content="工地夜间施工噪音扰民",
        **fields,
    )


# One valid call per action; preconditions beyond the status are set up by `prepare`.
CALLS: dict[Action, Callable[[Complaint], Any]] = {
    Action.ACCEPT: lambda c: c.accept(NOW, 7, category="delay"),
    Action.REJECT: lambda c: c.reject(
        NOW, 7, explanation="不属于受理范围", competent_authority="信访局"
    ),
    Action.HAND_OVER: lambda c: c.hand_over(NOW, 7, department="信访局", reason="非效能问题"),
    Action.START_PREPROCESSING: lambda c: c.start_preprocessing(NOW, 7),
    Action.RESOLVE_AT_INTAKE: lambda c: c.resolve_at_intake(NOW, 7, resolution="当场解答"),
    Action.DISPATCH: lambda c: c.dispatch(
        NOW, 7, unit_id=5, mode=DispatchMode.TRANSFER, summary="摘要"
    ),
    Action.RETURN_DISPATCH: lambda c: c.return_dispatch(NOW, 7, reason="非本单位职责"),
    Action.RECEIVE: lambda c: c.receive(NOW, 7),
    Action.START_HANDLING: lambda c: c.start_handling(NOW, 7),
    Action.ADD_NOTE: lambda c: c.add_note(NOW, 7, note="已约谈"),
    Action.REQUEST_EXTENSION: lambda c: c.request_extension(NOW, 7, working_days=5, reason="勘验"),
    Action.APPROVE_EXTENSION: lambda c: c.approve_extension(NOW, 7),
    Action.REFUSE_EXTENSION: lambda c: c.refuse_extension(NOW, 7, reason="理由不足"),
    Action.REPLY: lambda c: c.reply(NOW, 7, reply="已处理", channel="phone"),
    Action.START_CALLBACK: lambda c: c.start_callback(NOW, 7),
    Action.RECORD_CALLBACK: lambda c: c.record_callback(NOW, 7, outcome=CallbackOutcome.SATISFIED),
    Action.ARCHIVE: lambda c: c.archive(NOW, 7),
    Action.APPEAL: lambda c: c.appeal(
        NOW, 7, reason="不服", new_case_id=2, new_tracking_no="TS2", to_unit_id=1
    ),
    Action.INSTRUCT: lambda c: c.instruct(NOW, 7, instruction="请依法办理"),
    Action.SIGN_OFF: lambda c: c.sign_off(NOW, 7, mode=DispatchMode.TRANSFER),
    Action.TAKE_OVER: lambda c: c.take_over(NOW, 7, to_unit_id=1, reason="提级办理"),
    Action.REMIND: lambda c: c.remind(NOW, 7, reason="距办理时限还有2个工作日"),
    Action.SUPERVISE: lambda c: c.supervise(NOW, 7, reason="已超期"),
    Action.LIST_SUPERVISION: lambda c: c.list_supervision(NOW, 7, reason="督办后仍超期"),
    Action.CLASSIFY: lambda c: c.classify(NOW, 7, label="城乡建设", suggested="环境保护"),
    Action.NETWORK_REVIEW: lambda c: c.record_network_review(
        NOW, 7, note="新站开通后信号已改善", improved=True
    ),
    Action.IMPROVEMENT_NOTICE: lambda c: c.record_improvement_notice(
        NOW, 7, improvement_id=3, area="A市A5区"
    ),
    Action.RULE_ON_RETURN: lambda c: c.rule_on_return(NOW, 7, upheld=True, reason="退单成立"),
    Action.RECORD_FINDINGS: lambda c: c.record_findings(
        NOW, 7, finding="substantiated", facts="属实"
    ),
    Action.SUBMIT_REPORT: lambda c: c.submit_report(NOW, 7, report="已整改"),
}

# Where each legal action leads (None: the status does not change).
TARGET: dict[Action, Status | None] = {
    Action.ACCEPT: Status.ACCEPTED,
    Action.REJECT: Status.NOT_ACCEPTED,
    Action.HAND_OVER: Status.HANDED_OVER,
    Action.START_PREPROCESSING: Status.PREPROCESSING,
    Action.RESOLVE_AT_INTAKE: Status.RESOLVED_AT_INTAKE,
    Action.DISPATCH: Status.DISPATCHED,
    Action.RETURN_DISPATCH: Status.RETURNED,
    Action.RECEIVE: Status.RECEIVED,
    Action.START_HANDLING: Status.IN_PROGRESS,
    Action.ADD_NOTE: None,
    Action.REQUEST_EXTENSION: None,
    Action.APPROVE_EXTENSION: None,
    Action.REFUSE_EXTENSION: None,
    Action.REPLY: Status.REPLIED,
    Action.START_CALLBACK: Status.CALLBACK,
    Action.RECORD_CALLBACK: Status.CLOSED,
    Action.ARCHIVE: Status.ARCHIVED,
    Action.APPEAL: None,
    Action.INSTRUCT: None,
    Action.SIGN_OFF: None,
    Action.TAKE_OVER: Status.ACCEPTED,
    Action.REMIND: None,
    Action.SUPERVISE: None,
    Action.LIST_SUPERVISION: None,
    Action.CLASSIFY: None,
    Action.NETWORK_REVIEW: None,
    Action.IMPROVEMENT_NOTICE: None,
    Action.RULE_ON_RETURN: None,
    Action.RECORD_FINDINGS: None,
    Action.SUBMIT_REPORT: None,
}


def prepare(action: Action, status: Status) -> Complaint:
    complaint = make(
        status,
        handling_unit_id=5
        if status in {Status.DISPATCHED, Status.RECEIVED, Status.IN_PROGRESS}
        else None,
    )
    if action in {Action.APPROVE_EXTENSION, Action.REFUSE_EXTENSION}:
        complaint.extension_pending_days = 5
    if action is Action.DISPATCH:  # a dispatch needs the leader's sign-off (签批)
        complaint.signed_off = {"mode": DispatchMode.TRANSFER.value, "unit_id": None}
    if action is Action.SUBMIT_REPORT:  # only a transferred complaint is reported
        complaint.dispatch_mode = DispatchMode.TRANSFER
    return complaint


S = Status
_OPEN = {S.REGISTERED, S.ACCEPTED, S.PREPROCESSING, S.DISPATCHED, S.RETURNED, S.RECEIVED}
_OPEN |= {S.IN_PROGRESS}
_BEFORE_DISPATCH = {S.REGISTERED, S.ACCEPTED, S.PREPROCESSING, S.RETURNED}

# The transition table written out from SPEC §1–§6, not read from the production code:
# the statuses each action may be taken from.
EXPECTED: dict[Action, set[Status]] = {
    Action.FILE: set(),  # filing creates the complaint
    Action.ACCEPT: {S.REGISTERED},
    Action.REJECT: {S.REGISTERED},
    Action.HAND_OVER: {S.REGISTERED, S.ACCEPTED, S.RETURNED},
    Action.START_PREPROCESSING: {S.ACCEPTED},
    Action.RESOLVE_AT_INTAKE: {S.ACCEPTED, S.PREPROCESSING},
    Action.DISPATCH: {S.ACCEPTED, S.PREPROCESSING, S.RETURNED},
    Action.RETURN_DISPATCH: {S.DISPATCHED, S.RECEIVED},
    Action.RECEIVE: {S.DISPATCHED},
    Action.START_HANDLING: {S.RECEIVED},
    Action.ADD_NOTE: _OPEN | {S.REPLIED, S.CALLBACK},
    Action.REQUEST_EXTENSION: {S.RECEIVED, S.IN_PROGRESS},
    Action.APPROVE_EXTENSION: {S.RECEIVED, S.IN_PROGRESS},
    Action.REFUSE_EXTENSION: {S.RECEIVED, S.IN_PROGRESS},
    Action.REPLY: {S.IN_PROGRESS},
    Action.START_CALLBACK: {S.REPLIED},
    Action.RECORD_CALLBACK: {S.CALLBACK},
    Action.REOPEN: {S.CALLBACK},  # a result of the callback
    Action.CLOSE: {S.CALLBACK},  # a result of the callback
    Action.ARCHIVE: {S.CLOSED, S.NOT_ACCEPTED, S.HANDED_OVER, S.RESOLVED_AT_INTAKE},
    Action.APPEAL: {S.CLOSED, S.ARCHIVED, S.NOT_ACCEPTED, S.RESOLVED_AT_INTAKE, S.REPLIED},
    Action.FILE_APPEAL: {S.REGISTERED},  # on the new case
    Action.REVEAL_IDENTITY: set(Status),
    Action.INSTRUCT: _BEFORE_DISPATCH,
    Action.SIGN_OFF: {S.ACCEPTED, S.PREPROCESSING, S.RETURNED},
    Action.TAKE_OVER: _OPEN - {S.REGISTERED},
    Action.CLASSIFY: _BEFORE_DISPATCH,
    Action.RULE_ON_RETURN: {S.RETURNED},
    Action.RECORD_FINDINGS: {S.IN_PROGRESS, S.REPLIED},
    Action.SUBMIT_REPORT: {S.REPLIED, S.CALLBACK, S.CLOSED},
    Action.REMIND: _OPEN,  # the ladder runs while the statutory clock does
    Action.SUPERVISE: _OPEN,
    Action.LIST_SUPERVISION: _OPEN,
    Action.LINK_REPEAT: {S.REGISTERED},  # on the new complaint, while it is filed
    Action.RECEIVE_MESSAGE: set(Status),
    Action.NETWORK_REVIEW: {S.ARCHIVED},
    Action.IMPROVEMENT_NOTICE: set(Status),
}

CASES = [(action, status) for action in CALLS for status in Status]


def test_the_transition_table_is_the_one_in_the_spec() -> None:
    assert {a: set(s) for a, s in ALLOWED_FROM.items()} == EXPECTED


def test_every_action_has_a_transition_and_a_role_entry() -> None:
    # A new Action without both entries fails here (deny by default).
    assert set(ALLOWED_FROM) == set(Action)
    assert set(ACTION_ROLES) == set(Action)


def test_an_action_missing_from_the_table_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    complaint = make(Status.REGISTERED)
    monkeypatch.delitem(ALLOWED_FROM, Action.ACCEPT)
    with pytest.raises(IllegalTransition):
        complaint.accept(NOW, 7)
    assert complaint.status is Status.REGISTERED


def test_nobody_may_take_a_system_action_by_hand_not_even_an_admin() -> None:
    admin = Actor(1, "admin", "管理员", frozenset({Role.ADMIN}), 1, "/1/")
    for action in (Action.REOPEN, Action.CLOSE, Action.LINK_REPEAT, Action.FILE_APPEAL):
        assert not admin.may(action)
    assert admin.may(Action.ACCEPT)


# Recorded by services as plain events (no aggregate method): tested where they are written.
RECORDED_DIRECTLY = {Action.REVEAL_IDENTITY, Action.RECEIVE_MESSAGE}
# Written only as part of another action (filing, a callback, an appeal, a repeat link).
CONSEQUENCES = {Action.FILE, Action.REOPEN, Action.CLOSE, Action.FILE_APPEAL, Action.LINK_REPEAT}


def test_every_checked_action_has_a_call() -> None:
    checked = {a for a in EXPECTED if a not in RECORDED_DIRECTLY | CONSEQUENCES}
    assert checked == set(CALLS)


@pytest.mark.parametrize(("action", "status"), CASES, ids=lambda v: str(v))
def test_each_action_is_allowed_exactly_from_its_statuses(action: Action, status: Status) -> None:
    complaint = prepare(action, status)
    if status in EXPECTED[action]:
        CALLS[action](complaint)
        expected = TARGET[action] or status
        assert complaint.status is expected
        events = complaint.take_events()
        assert events[0].action is action
        assert events[0].from_status is status
        assert events[0].actor_id == 7
        assert events[0].at == NOW
    else:
        with pytest.raises(IllegalTransition) as info:
            CALLS[action](complaint)
        assert complaint.status is status
        assert complaint.pending_events == []
        assert info.value.status is status and info.value.action is action
        assert status.value in str(info.value)


def test_it_requires_an_explanation_and_authority_to_refuse_acceptance() -> None:
    with pytest.raises(InvalidInput, match="不予受理说明"):
        make().reject(NOW, 7, explanation=" ", competent_authority="信访局")
    with pytest.raises(InvalidInput, match="competent authority"):
        make().reject(NOW, 7, explanation="不属于", competent_authority="")


def test_a_transfer_needs_a_summary_but_self_handling_does_not() -> None:
    signed = {"mode": DispatchMode.TRANSFER.value, "unit_id": None}
    with pytest.raises(InvalidInput, match="转办摘要"):
        make(Status.ACCEPTED, signed_off=signed).dispatch(
            NOW, 7, unit_id=5, mode=DispatchMode.TRANSFER
        )
    complaint = make(
        Status.ACCEPTED, signed_off={"mode": DispatchMode.SELF_HANDLE.value, "unit_id": None}
    )
    complaint.dispatch(NOW, 7, unit_id=1, mode=DispatchMode.SELF_HANDLE)
    assert complaint.status is Status.DISPATCHED
    assert complaint.dispatch_mode is DispatchMode.SELF_HANDLE


def test_a_return_needs_a_reason_and_is_counted() -> None:
    complaint = make(Status.DISPATCHED, handling_unit_id=5)
    with pytest.raises(InvalidInput, match="退单理由"):
        complaint.return_dispatch(NOW, 7, reason="")
    complaint.return_dispatch(NOW, 7, reason="不属于本单位")
    assert complaint.return_count == 1
    assert complaint.handling_unit_id is None
    assert complaint.take_events()[0].data["unit_id"] == 5


def test_it_caps_extensions_at_thirty_working_days_in_total() -> None:
    complaint = make(Status.IN_PROGRESS)
    complaint.request_extension(NOW, 7, working_days=15, reason="需要勘验")
    complaint.approve_extension(NOW, 8)
    assert complaint.extension_days == 15
    with pytest.raises(InvalidInput, match="最多还可延期5个工作日"):
        complaint.request_extension(NOW, 7, working_days=6, reason="再延")
    complaint.request_extension(NOW, 7, working_days=5, reason="再延")
    complaint.approve_extension(NOW, 8)
    assert complaint.extension_days == 20
    with pytest.raises(InvalidInput, match="30"):
        complaint.request_extension(NOW, 7, working_days=1, reason="再延")


def test_a_second_extension_request_waits_for_the_first() -> None:
    complaint = make(Status.IN_PROGRESS)
    complaint.request_extension(NOW, 7, working_days=3, reason="勘验")
    with pytest.raises(InvalidInput, match="待审批"):
        complaint.request_extension(NOW, 7, working_days=3, reason="勘验")


def test_a_refused_extension_adds_no_days() -> None:
    complaint = make(Status.IN_PROGRESS)
    complaint.request_extension(NOW, 7, working_days=3, reason="勘验")
    complaint.refuse_extension(NOW, 8, reason="理由不充分")
    assert complaint.extension_days == 0
    assert complaint.extension_pending_days == 0


def test_an_unsolved_and_true_callback_reopens_with_double_deduction() -> None:
    complaint = make(Status.CALLBACK)
    events = complaint.record_callback(
        NOW, 9, outcome=CallbackOutcome.UNSATISFIED, unsolved_and_true=True, note="仍未解决"
    )
    assert [e.action for e in events] == [Action.RECORD_CALLBACK, Action.REOPEN]
    assert complaint.status is Status.IN_PROGRESS
    assert complaint.double_deduction and complaint.reopen_count == 1


def test_an_unsatisfied_but_unfounded_callback_closes() -> None:
    complaint = make(Status.CALLBACK)
    complaint.record_callback(NOW, 9, outcome=CallbackOutcome.UNSATISFIED)
    assert complaint.status is Status.CLOSED
    assert not complaint.double_deduction


def test_only_an_unsatisfied_callback_can_be_found_unsolved() -> None:
    with pytest.raises(InvalidInput):
        make(Status.CALLBACK).record_callback(
            NOW, 9, outcome=CallbackOutcome.SATISFIED, unsolved_and_true=True
        )


def test_an_unreachable_complainant_is_tried_again_then_closed() -> None:
    complaint = make(Status.CALLBACK)
    for _ in range(MAX_CALLBACK_ATTEMPTS - 1):
        complaint.record_callback(NOW, 9, outcome=CallbackOutcome.UNREACHABLE)
        assert complaint.status is Status.CALLBACK
    complaint.record_callback(NOW, 9, outcome=CallbackOutcome.UNREACHABLE)
    assert complaint.status is Status.CLOSED


def test_accepting_can_mark_a_complaint_important() -> None:
    complaint = make()
    complaint.accept(NOW, 7, importance=Importance.IMPORTANT)
    assert complaint.importance is Importance.IMPORTANT
    assert complaint.take_events()[0].data["importance"] == "important"


def test_revealing_identity_needs_a_reason_and_leaves_the_status_alone() -> None:
    complaint = make(Status.IN_PROGRESS)
    with pytest.raises(InvalidInput):
        complaint.record_identity_reveal(NOW, 7, reason="")
    complaint.record_identity_reveal(NOW, 7, reason="需要电话核实")
    assert complaint.status is Status.IN_PROGRESS
    assert complaint.take_events()[0].action is Action.REVEAL_IDENTITY
