"""A stateful proof of the complaint lifecycle: random actions by random roles.

The model below is written by hand from ../shared/SPEC.md (§1–§6), not read from
``ALLOWED_FROM`` or ``ACTION_ROLES``. Hypothesis drives the real aggregate and the model side
by side and checks after every step: the status is the model's, a refused action changed
nothing (no field, no event), the deadline is the model's and never more than 30 working days
after its clock started — for a self-handled complaint never reopened, its receipt — and the
return and reopen counts are the model's.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from complaintdesk.clock import deadlines as sla
from complaintdesk.complaints.model import Complaint
from complaintdesk.complaints.vocabulary import (
    Action,
    CallbackOutcome,
    DispatchMode,
    Event,
    Status,
)
from complaintdesk.kernel.errors import DomainError
from complaintdesk.org.model import Actor, Role

S = Status
RECEIVED_AT = datetime(2026, 9, 21, 2, 0, tzinfo=UTC)  # a Monday, before the October holiday
UNIT = 7


class Calendar:
    """Mon–Fri, the 2026 National Day week off, and its adjusted working Sunday (调休)."""

    HOLIDAYS: ClassVar[set[date]] = {date(2026, 10, d) for d in range(1, 8)}
    WORKING_WEEKENDS: ClassVar[set[date]] = {date(2026, 9, 27), date(2026, 10, 10)}

    def is_workday(self, day: date) -> bool:
        if day in self.WORKING_WEEKENDS:
            return True
        return day.weekday() < 5 and day not in self.HOLIDAYS


CALENDAR = Calendar()

# SPEC §6 and §3: action → (statuses it may be taken from, the status it leads to).
# None as target: the status stays. Callback outcomes are decided in the rule itself.
MODEL: dict[Action, tuple[set[Status], Status | None]] = {
    Action.ACCEPT: ({S.REGISTERED}, S.ACCEPTED),
    Action.REJECT: ({S.REGISTERED}, S.NOT_ACCEPTED),
    Action.HAND_OVER: ({S.REGISTERED, S.ACCEPTED, S.RETURNED}, S.HANDED_OVER),
    Action.START_PREPROCESSING: ({S.ACCEPTED}, S.PREPROCESSING),
    Action.RESOLVE_AT_INTAKE: ({S.ACCEPTED, S.PREPROCESSING}, S.RESOLVED_AT_INTAKE),
    Action.SIGN_OFF: ({S.ACCEPTED, S.PREPROCESSING, S.RETURNED}, None),
    Action.DISPATCH: ({S.ACCEPTED, S.PREPROCESSING, S.RETURNED}, S.DISPATCHED),
    Action.RECEIVE: ({S.DISPATCHED}, S.RECEIVED),
    Action.RETURN_DISPATCH: ({S.DISPATCHED, S.RECEIVED}, S.RETURNED),
    Action.START_HANDLING: ({S.RECEIVED}, S.IN_PROGRESS),
    Action.REQUEST_EXTENSION: ({S.RECEIVED, S.IN_PROGRESS}, None),
    Action.APPROVE_EXTENSION: ({S.RECEIVED, S.IN_PROGRESS}, None),
    Action.REFUSE_EXTENSION: ({S.RECEIVED, S.IN_PROGRESS}, None),
    Action.REPLY: ({S.IN_PROGRESS}, S.REPLIED),
    Action.START_CALLBACK: ({S.REPLIED}, S.CALLBACK),
    Action.RECORD_CALLBACK: ({S.CALLBACK}, None),
    Action.ARCHIVE: ({S.CLOSED, S.NOT_ACCEPTED, S.HANDED_OVER, S.RESOLVED_AT_INTAKE}, S.ARCHIVED),
    Action.REMIND: (
        {
            S.REGISTERED,
            S.ACCEPTED,
            S.PREPROCESSING,
            S.DISPATCHED,
            S.RETURNED,
            S.RECEIVED,
            S.IN_PROGRESS,
        },
        None,
    ),
}

R = Role
# Who does what (SPEC "Who uses it"): these roles must be let through ...
DOES: dict[Action, set[Role]] = {
    Action.ACCEPT: {R.INTAKE_OPERATOR},
    Action.REJECT: {R.INTAKE_OPERATOR},
    Action.HAND_OVER: {R.DISPATCHER},
    Action.START_PREPROCESSING: {R.INTAKE_OPERATOR},
    Action.RESOLVE_AT_INTAKE: {R.INTAKE_OPERATOR},
    Action.SIGN_OFF: {R.LEADER},
    Action.DISPATCH: {R.DISPATCHER},
    Action.RECEIVE: {R.HANDLER},
    Action.RETURN_DISPATCH: {R.HANDLER},
    Action.START_HANDLING: {R.HANDLER},
    Action.REQUEST_EXTENSION: {R.HANDLER},
    Action.APPROVE_EXTENSION: {R.LEADER},
    Action.REFUSE_EXTENSION: {R.LEADER},
    Action.REPLY: {R.HANDLER},
    Action.START_CALLBACK: {R.CALLBACK_AUDITOR},
    Action.RECORD_CALLBACK: {R.CALLBACK_AUDITOR},
    Action.ARCHIVE: {R.INTAKE_OPERATOR},
    Action.REMIND: {R.SUPERVISOR},
}
# ... and these never: the evaluator runs evaluations, not cases; a handler does not approve
# its own extension nor dispatch to itself; the callback auditor only calls back (and files
# away what the callback closed); the supervisor only chases. (Leaders may stand in for the
# centre's staff.)
NEVER: dict[Action, set[Role]] = {
    a: {R.EVALUATOR}
    | ({R.CALLBACK_AUDITOR} - DOES[a] if a is not Action.ARCHIVE else set())
    | ({R.SUPERVISOR} - DOES[a])
    | (
        {R.HANDLER}
        if a
        in {
            Action.APPROVE_EXTENSION,
            Action.REFUSE_EXTENSION,
            Action.DISPATCH,
            Action.SIGN_OFF,
            Action.ACCEPT,
        }
        else set()
    )
    for a in DOES
}
ROLES = [
    R.INTAKE_OPERATOR,
    R.DISPATCHER,
    R.HANDLER,
    R.SUPERVISOR,
    R.CALLBACK_AUDITOR,
    R.LEADER,
    R.EVALUATOR,
]


def who(action: Action) -> st.SearchStrategy[Role]:
    """Mostly the role SPEC names for the action (so cases get somewhere), else any."""
    right = st.sampled_from(sorted(DOES[action]))
    return st.one_of(right, right, right, st.sampled_from(ROLES))


def snapshot(c: Complaint) -> dict[str, Any]:
    fields = {f.name: getattr(c, f.name) for f in dataclasses.fields(c)}
    fields["pending_events"] = len(c.pending_events)
    return fields


class Lifecycle(RuleBasedStateMachine):
    @initialize()
    def file(self) -> None:
        self.now = RECEIVED_AT
        self.complaint = Complaint(
            id=1,
            tracking_no="TS20260921-000001",
            status=S.REGISTERED,
            received_at=RECEIVED_AT,
            owner_unit_id=1,
            content="路灯坏了一个月",
        )
        self.events = [Event(Action.FILE, RECEIVED_AT, None, None, S.REGISTERED)]
        # the model
        self.status = S.REGISTERED
        self.returns = self.reopens = self.attempts = 0
        self.extension = self.pending = 0
        self.signed: DispatchMode | None = None
        self.mode: DispatchMode | None = None
        self.clock_start = RECEIVED_AT
        self.from_receipt = True  # the clock has run from receipt all along
        self.steps = self.refused = 0

    # --- one step: permission, then the model's prediction against the aggregate --------

    def act(self, role: Role, action: Action, run: Any, allowed: bool) -> bool:
        actor = Actor(1, "u", "u", frozenset({role}), UNIT, "/1/")
        before = snapshot(self.complaint)
        permitted = actor.may(action)
        if role in DOES[action]:
            assert permitted, f"{role} must be able to {action}"
        if role in NEVER[action]:
            assert not permitted, f"{role} must never {action}"
        expect = permitted and self.status in MODEL[action][0] and allowed
        done = False
        if permitted:
            try:
                run(self.complaint, self.now, 1)
                done = True
            except DomainError:
                done = False
        self.steps += 1
        assert done == expect, (action, role, self.status, self.complaint.status)
        if not done:
            self.refused += 1
            assert snapshot(self.complaint) == before, f"refused {action} changed the complaint"
            return False
        self.events.extend(self.complaint.take_events())
        target = MODEL[action][1]
        if target is not None:
            self.status = target
        return True

    @rule(role=st.sampled_from(ROLES), days=st.integers(0, 4))
    def wait(self, role: Role, days: int) -> None:
        self.now += timedelta(days=days, hours=1)

    @rule(role=who(Action.ACCEPT))
    def accept(self, role: Role) -> None:
        self.act(role, Action.ACCEPT, lambda c, n, a: c.accept(n, a), True)

    @rule(role=who(Action.REJECT), why=st.sampled_from(["", "不属于效能问题"]))
    def reject(self, role: Role, why: str) -> None:
        self.act(
            role,
            Action.REJECT,
            lambda c, n, a: c.reject(n, a, explanation=why, competent_authority="法院"),
            bool(why),
        )

    @rule(role=who(Action.HAND_OVER))
    def hand_over(self, role: Role) -> None:
        self.act(
            role,
            Action.HAND_OVER,
            lambda c, n, a: c.hand_over(n, a, department="信访局", reason="非效能问题"),
            True,
        )

    @rule(role=who(Action.START_PREPROCESSING))
    def preprocess(self, role: Role) -> None:
        self.act(
            role, Action.START_PREPROCESSING, lambda c, n, a: c.start_preprocessing(n, a), True
        )

    @rule(role=who(Action.RESOLVE_AT_INTAKE))
    def resolve_at_intake(self, role: Role) -> None:
        self.act(
            role,
            Action.RESOLVE_AT_INTAKE,
            lambda c, n, a: c.resolve_at_intake(n, a, resolution="当场答复"),
            True,
        )

    @rule(role=who(Action.SIGN_OFF), mode=st.sampled_from(DispatchMode))
    def sign_off(self, role: Role, mode: DispatchMode) -> None:
        if self.act(role, Action.SIGN_OFF, lambda c, n, a: c.sign_off(n, a, mode=mode), True):
            self.signed = mode

    @rule(
        role=who(Action.DISPATCH),
        mode=st.sampled_from(DispatchMode),
        summary=st.sampled_from(["", "摘要：路灯"]),
    )
    def dispatch(self, role: Role, mode: DispatchMode, summary: str) -> None:
        # SPEC §2/§3: a leader's sign-off for this mode first; a transfer carries a summary.
        needs_summary = mode is DispatchMode.TRANSFER and not (summary or self.complaint.summary)
        allowed = self.signed is mode and not needs_summary
        run = lambda c, n, a: c.dispatch(n, a, unit_id=UNIT, mode=mode, summary=summary)  # noqa: E731
        if self.act(role, Action.DISPATCH, run, allowed):
            self.signed, self.mode, self.extension, self.pending = None, mode, 0, 0
            if mode is DispatchMode.TRANSFER:  # SPEC §4: from the transfer letter
                self.clock_start, self.from_receipt = self.now, False

    @rule(role=who(Action.RECEIVE))
    def receive(self, role: Role) -> None:
        done = self.act(role, Action.RECEIVE, lambda c, n, a: c.receive(n, a), True)
        if done and self.mode is DispatchMode.TRANSFER:
            self.clock_start = self.now

    @rule(role=who(Action.RETURN_DISPATCH))
    def return_dispatch(self, role: Role) -> None:
        if self.act(
            role,
            Action.RETURN_DISPATCH,
            lambda c, n, a: c.return_dispatch(n, a, reason="非我单位职责"),
            True,
        ):
            self.returns += 1
            self.signed = self.mode = None
            self.pending = 0

    @rule(role=who(Action.START_HANDLING))
    def start_handling(self, role: Role) -> None:
        self.act(role, Action.START_HANDLING, lambda c, n, a: c.start_handling(n, a), True)

    @rule(role=who(Action.REQUEST_EXTENSION), days=st.integers(-1, 25))
    def request_extension(self, role: Role, days: int) -> None:
        # SPEC §4: never beyond 30 working days in total; one request at a time.
        allowed = days >= 1 and not self.pending and 10 + self.extension + days <= 30
        run = lambda c, n, a: c.request_extension(n, a, working_days=days, reason="需现场核实")  # noqa: E731
        if self.act(role, Action.REQUEST_EXTENSION, run, allowed):
            self.pending = days

    @rule(role=who(Action.APPROVE_EXTENSION), approve=st.booleans())
    def decide_extension(self, role: Role, approve: bool) -> None:
        if approve:
            action = Action.APPROVE_EXTENSION
            run = lambda c, n, a: c.approve_extension(n, a)  # noqa: E731
        else:
            action = Action.REFUSE_EXTENSION
            run = lambda c, n, a: c.refuse_extension(n, a, reason="理由不足")  # noqa: E731
        if self.act(role, action, run, bool(self.pending)):
            self.extension += self.pending if approve else 0
            self.pending = 0

    @rule(role=who(Action.REPLY))
    def reply(self, role: Role) -> None:
        self.act(
            role, Action.REPLY, lambda c, n, a: c.reply(n, a, reply="已修复", channel="电话"), True
        )

    @rule(role=who(Action.START_CALLBACK))
    def start_callback(self, role: Role) -> None:
        self.act(role, Action.START_CALLBACK, lambda c, n, a: c.start_callback(n, a), True)

    @rule(
        role=who(Action.RECORD_CALLBACK),
        outcome=st.sampled_from(CallbackOutcome),
        unsolved=st.booleans(),
    )
    def callback(self, role: Role, outcome: CallbackOutcome, unsolved: bool) -> None:
        # SPEC §6: "unsolved and true" (only of an unsatisfied callback) reopens; a
        # complainant nobody reaches is tried again, three times, then closed.
        allowed = not unsolved or outcome is CallbackOutcome.UNSATISFIED
        run = lambda c, n, a: c.record_callback(  # noqa: E731
            n, a, outcome=outcome, unsolved_and_true=unsolved
        )
        if not self.act(role, Action.RECORD_CALLBACK, run, allowed):
            return
        self.attempts += 1
        if outcome is CallbackOutcome.UNREACHABLE:
            if self.attempts >= 3:
                self.status = S.CLOSED
        elif unsolved:
            self.status, self.reopens, self.attempts = S.IN_PROGRESS, self.reopens + 1, 0
            self.clock_start, self.extension, self.from_receipt = self.now, 0, False
        else:
            self.status = S.CLOSED

    @rule(role=who(Action.ARCHIVE))
    def archive(self, role: Role) -> None:
        self.act(role, Action.ARCHIVE, lambda c, n, a: c.archive(n, a), True)

    @rule(role=who(Action.REMIND))
    def remind(self, role: Role) -> None:
        self.act(role, Action.REMIND, lambda c, n, a: c.remind(n, a), True)

    # --- what must hold after every step --------------------------------------------------

    @invariant()
    def matches_the_model(self) -> None:
        c = self.complaint
        assert c.status is self.status
        assert (c.return_count, c.reopen_count) == (self.returns, self.reopens)
        assert (c.extension_days, c.extension_pending_days) == (self.extension, self.pending)
        assert c.status in set(Status)  # never a state outside SPEC's list

    @invariant()
    def the_deadline_never_passes_30_working_days(self) -> None:
        due = sla.deadline(RECEIVED_AT, self.events, CALENDAR)
        assert due is not None
        assert due == sla.due_after(self.clock_start, 10 + self.extension, CALENDAR)
        start = sla.local_date(self.clock_start)
        assert sla.working_days_between(start, sla.local_date(due), CALENDAR) <= 30
        if self.from_receipt:
            received = sla.local_date(RECEIVED_AT)
            assert sla.working_days_between(received, sla.local_date(due), CALENDAR) <= 30


Lifecycle.TestCase.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None, database=None
)
test_the_complaint_lifecycle_follows_the_spec_model = Lifecycle.TestCase


def test_a_transfer_refused_for_want_of_a_summary_keeps_the_leaders_sign_off() -> None:
    # Found by the machine above: the refused dispatch used to clear the sign-off first.
    machine = Lifecycle()
    machine.file()
    machine.accept(role=R.INTAKE_OPERATOR)
    machine.sign_off(role=R.LEADER, mode=DispatchMode.TRANSFER)
    machine.dispatch(role=R.DISPATCHER, mode=DispatchMode.TRANSFER, summary="")
    assert machine.complaint.signed_off == {"mode": "transfer", "unit_id": None}
    machine.dispatch(role=R.DISPATCHER, mode=DispatchMode.TRANSFER, summary="摘要：路灯")
    assert machine.complaint.status is S.DISPATCHED
    machine.matches_the_model()
    machine.the_deadline_never_passes_30_working_days()
