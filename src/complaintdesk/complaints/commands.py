"""Commands: one imperative dataclass per action a person takes on a complaint.

Fields are named as the API's request bodies (``complaints/schemas.py``), so a body maps
onto its command by name (:func:`command_for`); :meth:`Command.apply` runs it on the
aggregate. Required text left empty is refused by the aggregate with its own message.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from types import UnionType
from typing import Any, ClassVar

from complaintdesk.complaints.model import Complaint
from complaintdesk.complaints.vocabulary import Action, CallbackOutcome, DispatchMode, Importance
from complaintdesk.kernel.errors import InvalidInput


@dataclass(frozen=True)
class Command:
    """What one action asks of a complaint; ``action`` names it in events and permissions."""

    action: ClassVar[Action]

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class AcceptComplaint(Command):
    action: ClassVar[Action] = Action.ACCEPT
    category: str | None = None
    importance: Importance | None = None
    reason: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.accept(
            now, actor_id, category=self.category, importance=self.importance, reason=self.reason
        )


@dataclass(frozen=True)
class RejectComplaint(Command):
    action: ClassVar[Action] = Action.REJECT
    explanation: str = ""
    competent_authority: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.reject(
            now,
            actor_id,
            explanation=self.explanation,
            competent_authority=self.competent_authority,
        )


@dataclass(frozen=True)
class HandOverComplaint(Command):
    """移交: to the department competent for a matter outside the acceptance scope."""

    action: ClassVar[Action] = Action.HAND_OVER
    department: str = ""
    reason: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.hand_over(now, actor_id, department=self.department, reason=self.reason)


@dataclass(frozen=True)
class StartPreprocessing(Command):
    action: ClassVar[Action] = Action.START_PREPROCESSING

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.start_preprocessing(now, actor_id)


@dataclass(frozen=True)
class ResolveAtIntake(Command):
    action: ClassVar[Action] = Action.RESOLVE_AT_INTAKE
    resolution: str = ""
    level: int | None = None  # telecom pre-processing level (1 or 2) that resolved it

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.resolve_at_intake(now, actor_id, resolution=self.resolution, level=self.level)


@dataclass(frozen=True)
class DispatchComplaint(Command):
    """派单: self-handle (自办) or transfer (转办) to a unit, with the summary (摘要)."""

    action: ClassVar[Action] = Action.DISPATCH
    unit_id: int
    mode: DispatchMode
    summary: str = ""
    reason: str = ""
    evidence: dict[str, Any] | None = None

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.dispatch(
            now,
            actor_id,
            unit_id=self.unit_id,
            mode=self.mode,
            summary=self.summary,
            reason=self.reason,
            evidence=self.evidence,
        )


@dataclass(frozen=True)
class ReturnDispatch(Command):
    action: ClassVar[Action] = Action.RETURN_DISPATCH
    reason: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.return_dispatch(now, actor_id, reason=self.reason)


@dataclass(frozen=True)
class ReceiveComplaint(Command):
    """签收."""

    action: ClassVar[Action] = Action.RECEIVE

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.receive(now, actor_id)


@dataclass(frozen=True)
class StartHandling(Command):
    action: ClassVar[Action] = Action.START_HANDLING

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.start_handling(now, actor_id)


@dataclass(frozen=True)
class AddNote(Command):
    action: ClassVar[Action] = Action.ADD_NOTE
    note: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.add_note(now, actor_id, note=self.note)


@dataclass(frozen=True)
class RequestExtension(Command):
    action: ClassVar[Action] = Action.REQUEST_EXTENSION
    working_days: int = 0
    reason: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.request_extension(
            now, actor_id, working_days=self.working_days, reason=self.reason
        )


@dataclass(frozen=True)
class ApproveExtension(Command):
    action: ClassVar[Action] = Action.APPROVE_EXTENSION
    reason: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.approve_extension(now, actor_id, reason=self.reason)


@dataclass(frozen=True)
class RefuseExtension(Command):
    action: ClassVar[Action] = Action.REFUSE_EXTENSION
    reason: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.refuse_extension(now, actor_id, reason=self.reason)


@dataclass(frozen=True)
class ReplyToComplainant(Command):
    action: ClassVar[Action] = Action.REPLY
    reply: str = ""
    channel: str = ""
    network_quality: bool | None = None  # telecom: the branch's verdict on the cause

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.reply(
            now,
            actor_id,
            reply=self.reply,
            channel=self.channel,
            network_quality=self.network_quality,
        )


@dataclass(frozen=True)
class RecordNetworkReview(Command):
    """网优闭环复核: 48 hours after archiving, was the network improved?"""

    action: ClassVar[Action] = Action.NETWORK_REVIEW
    note: str = ""
    improved: bool = False

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.record_network_review(now, actor_id, note=self.note, improved=self.improved)


@dataclass(frozen=True)
class StartCallback(Command):
    action: ClassVar[Action] = Action.START_CALLBACK

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.start_callback(now, actor_id)


@dataclass(frozen=True)
class RecordCallback(Command):
    """回访: "unsolved and true" reopens the complaint with a double deduction."""

    action: ClassVar[Action] = Action.RECORD_CALLBACK
    outcome: CallbackOutcome
    unsolved_and_true: bool = False
    note: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.record_callback(
            now,
            actor_id,
            outcome=self.outcome,
            unsolved_and_true=self.unsolved_and_true,
            note=self.note,
        )


@dataclass(frozen=True)
class ArchiveComplaint(Command):
    action: ClassVar[Action] = Action.ARCHIVE

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.archive(now, actor_id)


@dataclass(frozen=True)
class ClassifyComplaint(Command):
    """A person's routing decision; ``suggested``/``confidence`` are the model's, filled in
    by the use case from the stored triage, never by the caller."""

    action: ClassVar[Action] = Action.CLASSIFY
    department_label: str = ""
    suggested: str | None = None
    confidence: float | None = None

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.classify(
            now,
            actor_id,
            label=self.department_label,
            suggested=self.suggested,
            confidence=self.confidence,
        )


@dataclass(frozen=True)
class InstructComplaint(Command):
    """批示: the leader's instruction on an important complaint."""

    action: ClassVar[Action] = Action.INSTRUCT
    instruction: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.instruct(now, actor_id, instruction=self.instruction)


@dataclass(frozen=True)
class RuleOnReturn(Command):
    """退单裁定: the centre decides whether a unit's return stands."""

    action: ClassVar[Action] = Action.RULE_ON_RETURN
    upheld: bool = False
    reason: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.rule_on_return(now, actor_id, upheld=self.upheld, reason=self.reason)


@dataclass(frozen=True)
class RecordFindings(Command):
    """调查认定, with the leniency and aggravating factors that weigh on it (SPEC §6)."""

    action: ClassVar[Action] = Action.RECORD_FINDINGS
    finding: str = ""
    facts: str = ""
    leniency: list[str] = field(default_factory=list)
    aggravating: list[str] = field(default_factory=list)

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.record_findings(
            now,
            actor_id,
            finding=self.finding,
            facts=self.facts,
            leniency=list(self.leniency),
            aggravating=list(self.aggravating),
        )


@dataclass(frozen=True)
class SubmitReport(Command):
    """书面报告: a transferred unit reports to the centre."""

    action: ClassVar[Action] = Action.SUBMIT_REPORT
    report: str = ""

    def apply(self, complaint: Complaint, now: datetime, actor_id: int | None) -> None:
        complaint.submit_report(now, actor_id, report=self.report)


COMMANDS: dict[Action, type[Command]] = {
    cls.action: cls
    for cls in (
        AcceptComplaint,
        RejectComplaint,
        HandOverComplaint,
        StartPreprocessing,
        ResolveAtIntake,
        DispatchComplaint,
        ReturnDispatch,
        ReceiveComplaint,
        StartHandling,
        AddNote,
        RequestExtension,
        ApproveExtension,
        RefuseExtension,
        ReplyToComplainant,
        RecordNetworkReview,
        StartCallback,
        RecordCallback,
        ArchiveComplaint,
        ClassifyComplaint,
        InstructComplaint,
        RuleOnReturn,
        RecordFindings,
        SubmitReport,
    )
}


def command_for(action: Action, body: Mapping[str, Any]) -> Command:
    """The command of ``action`` from a request body or form (names as the API's).

    Values are coerced to the field's type (enums from their values, numbers from text);
    an unknown field, a missing required one or a bad value is refused in both languages."""
    cls = COMMANDS.get(action)
    if cls is None:
        raise InvalidInput(f"未知操作 / unknown action: {action}")
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(body) - fields)
    if unknown:
        raise InvalidInput(f"未知字段 / unknown fields: {', '.join(unknown)}")
    values = {}
    for name, value in body.items():
        try:
            values[name] = _coerce(hints[name], value)
        except (TypeError, ValueError):
            raise InvalidInput(f"字段 {name} 的值无效 / invalid value for {name}") from None
    try:
        return cls(**values)
    except TypeError:
        missing = sorted(
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in values
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        )
        raise InvalidInput(f"缺少字段 / missing fields: {', '.join(missing)}") from None


def _coerce(hint: Any, value: Any) -> Any:
    options = typing.get_args(hint) if isinstance(hint, UnionType) else (hint,)
    if value is None or value == "":
        if type(None) in options:
            return None
        if value is None:
            raise ValueError("required")
    kind = next(o for o in options if o is not type(None))
    origin = typing.get_origin(kind) or kind
    if isinstance(origin, type) and issubclass(origin, Enum):
        return origin(value)
    if origin is bool:
        return value if isinstance(value, bool) else str(value).lower() in {"1", "true", "on"}
    if origin is int:
        return int(value)
    if origin is float:
        return float(value)
    if origin is list:
        return list(value or [])
    return value
