"""Three months of a complaint centre, replayed in the order things happened.

Each sample complaint gets a story: where it should end (chosen by its age, so yesterday's
call is still waiting to be accepted and last month's letter is mostly closed) and the steps
that lead there, each taken by the person whose job it is, a realistic office-time delay
after the step before (minutes to accept, hours to sign off and dispatch, days to reply).
All steps of all complaints are taken in time order through the real services, and the
worker's sweep runs at 08:00 every day in between, so reminders, supervision and listed
supervision come from the rules of the statutory clock. A step that would fall after
``now`` is not taken: that complaint waits in someone's queue.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from complaintdesk.bootstrap import Container
from complaintdesk.clock import deadlines as sla
from complaintdesk.clock.sweep import sweep
from complaintdesk.complaints import decisions
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.complaints.vocabulary import Action, Channel, DispatchMode, Importance
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.demo.timeline import after, sweep_moments
from complaintdesk.org.model import Actor, Unit
from complaintdesk.triage.facade import Triage

# Where a complaint of a given age (working days since receipt) ends, with weights.
ENDINGS: list[tuple[int, list[tuple[str, int]]]] = [
    (
        1,
        [
            ("registered", 5),
            ("rejected", 1),
            ("handed_over", 1),
            ("accepted", 4),
            ("instructing", 1),
            ("signed_off", 2),
            ("dispatched", 3),
        ],
    ),
    (
        5,
        [
            ("accepted", 1),
            ("signed_off", 1),
            ("returned", 2),
            ("dispatched", 2),
            ("received", 3),
            ("in_progress", 4),
            ("replied", 1),
        ],
    ),
    (
        12,
        [
            ("in_progress", 4),
            ("extension_requested", 2),
            ("returned", 1),
            ("replied", 3),
            ("callback", 2),
            ("closed", 5),
            ("reopened", 1),
        ],
    ),
    (
        10_000,
        [
            ("in_progress", 1),
            ("rejected", 1),
            ("handed_over", 1),
            ("replied", 1),
            ("closed", 6),
            ("archived", 9),
            ("reopened", 1),
        ],
    ),
]

# Office minutes after the step before (a working day has 540).
DELAYS: dict[str, tuple[float, float]] = {
    "accept": (3, 90),
    "reject": (20, 240),
    "hand_over": (30, 480),
    "classify": (10, 180),
    "instruct": (60, 720),
    "sign_off": (60, 900),
    "dispatch": (20, 540),
    "return": (120, 1500),
    "receive": (60, 1500),
    "start": (30, 720),
    "request_extension": (900, 2400),
    "approve_extension": (60, 900),
    "reply": (900, 3000),
    "reply_late": (4800, 7000),
    "start_callback": (240, 1500),
    "record_callback": (5, 90),
    "reopen": (5, 90),
    "archive": (540, 2700),
}

HANDLING = ["receive", "start"]
CLOSING = ["start_callback", "record_callback"]


def ending_for(age_working_days: int, rng: random.Random) -> str:
    for limit, endings in ENDINGS:
        if age_working_days <= limit:
            return rng.choices([e for e, _ in endings], [w for _, w in endings])[0]
    raise AssertionError("the last age band is open-ended")


def stages_for(ending: str, *, routed: bool, important: bool, rng: random.Random) -> list[str]:
    """The steps from filing to ``ending``."""
    if ending == "registered":
        return ["file"]
    if ending in ("rejected", "handed_over"):
        first = "reject" if ending == "rejected" else "hand_over"
        return ["file", first, "archive"]
    intake = ["file", "accept"]
    if ending == "accepted":
        return intake
    if ending == "instructing":
        return intake  # an important one: the leader has not instructed yet
    route = [] if routed else ["classify"]
    route += ["instruct"] if important else []
    route += ["sign_off"]
    if ending == "signed_off":
        return intake + route
    dispatched = [*intake, *route, "dispatch"]
    if ending == "dispatched":
        return dispatched
    if ending == "returned":
        return [*dispatched, "return"]
    if ending == "received":
        return [*dispatched, "receive"]
    handling = [*dispatched, *HANDLING]
    if ending == "in_progress":
        return handling
    if ending == "extension_requested":
        return [*handling, "request_extension"]
    if rng.random() < 0.15:
        handling += ["request_extension", "approve_extension"]
    reply = "reply_late" if rng.random() < 0.25 else "reply"
    replied = [*handling, reply]
    steps = {
        "replied": replied,
        "callback": [*replied, "start_callback"],
        "closed": [*replied, *CLOSING],
        "archived": [*replied, *CLOSING, "archive"],
        "reopened": [*replied, "start_callback", "reopen"],
    }
    return steps[ending]


# Every role's queue should have something in it; a missing one is made from a common
# ending of about the age at which that queue is usually reached (working days).
QUEUE_AGES = {
    "signed_off": 1,
    "dispatched": 2,
    "received": 3,
    "returned": 5,
    "replied": 10,
    "extension_requested": 11,
    "callback": 13,
}
COMMON = {"closed", "archived", "in_progress"}


def ensure_queues(
    stories: list[Story], now: datetime, calendar: sla.WorkingCalendar, rng: random.Random
) -> None:
    endings = Counter(s.ending for s in stories)
    ages = [working_age(s.received, now, calendar) for s in stories]
    for ending, age in QUEUE_AGES.items():
        if endings[ending]:
            continue
        candidates = [i for i, s in enumerate(stories) if s.ending in COMMON]
        if not candidates:
            return
        pick = min(candidates, key=lambda i: abs(ages[i] - age))
        story = stories[pick]
        story.ending = ending
        story.stages = stages_for(
            ending, routed=story.channel is Channel.WEB, important=story.important, rng=rng
        )
        endings[ending] += 1


@dataclass
class Story:
    ref: str
    title: str
    content: str
    external_user: str | None
    received: datetime
    channel: Channel
    label: str  # the platform's first-level label: the truth the dispatcher knows
    ending: str
    important: bool
    phone: str | None = None
    stages: list[str] = field(default_factory=list)
    position: int = 0
    complaint_id: int = 0


@dataclass
class Cast:
    """Who does what, and where things go."""

    operator: Actor
    dispatcher: Actor
    leader: Actor
    deputy: Actor
    callback: Actor
    handlers: dict[str, Actor]
    units: dict[str, Unit]
    bureau_of: Callable[[str], str]


@dataclass
class ReplayReport:
    steps: int = 0
    waiting: int = 0  # steps that would have fallen after now
    sweeps: int = 0
    reminded: int = 0
    supervised: int = 0
    listed: int = 0
    notices: int = 0


class Replay:
    def __init__(
        self,
        container: Container,
        cast: Cast,
        rng: random.Random,
        *,
        now: datetime,
        triage: Triage | None,
    ) -> None:
        self.container = container
        self.calendar = container.calendar
        self.cast = cast
        self.rng = rng
        self.now = now
        self.triage = triage
        self.report = ReplayReport()

    def run(self, stories: list[Story], *, history_sweeps: bool) -> ReplayReport:
        """Every step of every story in time order; the sweep at 08:00 of each day."""
        queue = [(s.received, i) for i, s in enumerate(stories)]
        heapq.heapify(queue)
        first = min((s.received for s in stories), default=self.now)
        moments = sweep_moments(first, self.now) if history_sweeps else []
        for moment in [*moments, None]:
            limit = self.now if moment is None else moment
            with self.container.uow() as uow:
                while queue and queue[0][0] <= limit:
                    at, i = heapq.heappop(queue)
                    following = self._step(uow, stories[i], at)
                    if following is None:
                        continue
                    if following > self.now:
                        self.report.waiting += 1
                    else:
                        heapq.heappush(queue, (following, i))
            if moment is not None:
                self.sweep(moment)
        return self.report

    def sweep(self, moment: datetime) -> None:
        swept = sweep(
            self.container.session_factory,
            self.calendar,
            moment,
            reminder_working_days=self.container.settings.reminder_working_days,
        )
        self.report.sweeps += 1
        self.report.reminded += swept.reminded
        self.report.supervised += swept.supervised
        self.report.listed += swept.listed
        self.report.notices += swept.notices

    def _step(self, uow: SqlUnitOfWork, story: Story, at: datetime) -> datetime | None:
        """Take the story's next step at ``at``; when the one after it falls due."""
        self._take(uow, story, story.stages[story.position], at)
        self.report.steps += 1
        story.position += 1
        if story.position >= len(story.stages):
            return None
        low, high = DELAYS[story.stages[story.position]]
        return after(at, self.rng.uniform(low, high), self.calendar)

    def _take(self, uow: SqlUnitOfWork, story: Story, stage: str, at: datetime) -> None:
        cast = self.cast
        if stage == "file":
            story.complaint_id = self._file(uow, story, at)
            return
        handler = cast.handlers[cast.bureau_of(story.label)]
        unit = cast.units[cast.bureau_of(story.label)]
        leader = cast.deputy if story.important else cast.leader

        def act(actor: Actor, action: Action, **params: Any) -> None:
            command = command_for(action, params)
            svc.perform(uow, actor, story.complaint_id, command, now=at, calendar=self.calendar)

        if stage == "classify" and uow.complaints.row(story.complaint_id).department_label:
            return  # the model routed it with confidence: nothing for the dispatcher to decide
        if stage == "sign_off":
            decisions.sign_off(
                uow,
                leader,
                story.complaint_id,
                mode=DispatchMode.TRANSFER,
                unit_id=unit.id,
                opinion="同意转办，请按时办结并书面报告结果。",
                now=at,
                calendar=self.calendar,
            )
            return
        steps: dict[str, Callable[[], None]] = {
            "accept": lambda: act(
                cast.operator,
                Action.ACCEPT,
                category="inefficiency",
                importance=(Importance.IMPORTANT if story.important else Importance.ORDINARY),
            ),
            "reject": lambda: act(
                cast.operator,
                Action.REJECT,
                explanation="该事项不属于机关效能投诉受理范围，已耐心向投诉人说明，"
                "请依法向有关机关反映。",
                competent_authority="西州信访局",
            ),
            "hand_over": lambda: act(
                cast.dispatcher,
                Action.HAND_OVER,
                department="西州信访局",
                reason="非机关效能问题，移交职能部门办理",
            ),
            "classify": lambda: act(cast.dispatcher, Action.CLASSIFY, department_label=story.label),
            "instruct": lambda: act(
                cast.leader,
                Action.INSTRUCT,
                instruction="请分管副主任牵头，转主管部门限期查处，结果报我。",
            ),
            "dispatch": lambda: act(
                cast.dispatcher,
                Action.DISPATCH,
                unit_id=unit.id,
                mode=DispatchMode.TRANSFER.value,
                summary=summary_of(story),
            ),
            "return": lambda: act(
                handler, Action.RETURN_DISPATCH, reason="该事项不属于本单位职责范围，请重新派单"
            ),
            "receive": lambda: act(handler, Action.RECEIVE),
            "start": lambda: act(handler, Action.START_HANDLING),
            "request_extension": lambda: act(
                handler,
                Action.REQUEST_EXTENSION,
                working_days=self.rng.choice([5, 10]),
                reason="涉及多个部门，需现场勘查并协调处理",
            ),
            "approve_extension": lambda: act(
                cast.leader, Action.APPROVE_EXTENSION, reason="情况属实，同意延期"
            ),
            "reply": lambda: self._reply(act, handler),
            "reply_late": lambda: self._reply(act, handler),
            "start_callback": lambda: act(cast.callback, Action.START_CALLBACK),
            "record_callback": lambda: act(
                cast.callback,
                Action.RECORD_CALLBACK,
                outcome=self.rng.choice(["satisfied", "satisfied", "basically_satisfied"]),
                note="投诉人表示问题已解决",
            ),
            "reopen": lambda: act(
                cast.callback,
                Action.RECORD_CALLBACK,
                outcome="unsatisfied",
                unsolved_and_true=True,
                note="回访核实：问题仍未解决，情况属实，重新办理",
            ),
            "archive": lambda: act(cast.operator, Action.ARCHIVE),
        }
        steps[stage]()

    def _reply(self, act: Callable[..., None], handler: Actor) -> None:
        act(
            handler,
            Action.REPLY,
            channel=self.rng.choice(["phone", "phone", "sms", "letter"]),
            reply="经调查核实，已责成相关科室整改，并电话答复投诉人。",
        )

    def _file(self, uow: SqlUnitOfWork, story: Story, at: datetime) -> int:
        platform = story.channel is Channel.WEB
        filed = svc.file_complaint(
            uow,
            svc.FileComplaint(
                content=story.content,
                title=story.title,
                channel=story.channel,
                complainant=NewComplainant(external_user=story.external_user, phone=story.phone),
                # Web messages come with the platform's label; a call is routed by the model
                # (or, below its threshold, by the dispatcher).
                department_label=story.label if platform else None,
                external_ref=story.ref,
                received_at=story.received,
            ),
            actor=self.cast.operator,
            now=at,
            calendar=self.calendar,
            triage=self.triage,
        )
        return filed.id


def summary_of(story: Story) -> str:
    """The transfer summary (摘要): the matter, never who complained."""
    matter = story.title.strip() or f"{story.label}方面的问题"
    return f"群众反映：{matter}。请依法依规调查处理，按时答复投诉人，并将结果书面报告中心。"


def working_age(received: datetime, now: datetime, calendar: sla.WorkingCalendar) -> int:
    return sla.working_days_between(sla.local_date(received), sla.local_date(now), calendar)
