"""The complaint aggregate and its state machine (SPEC §1–§6).

The aggregate holds the current state; every action appends an :class:`Event` to
``pending_events``. The service layer persists both in one transaction, and the
repository's compare-and-set on ``version`` makes the second of two concurrent actions
fail instead of overwriting the first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from complaintdesk.complaints.findings import AggravatingFactor, Finding, LeniencyFactor
from complaintdesk.complaints.vocabulary import (
    BASE_WORKING_DAYS,
    FINISHED_STATUSES,
    MAX_CALLBACK_ATTEMPTS,
    MAX_TOTAL_WORKING_DAYS,
    OPEN_STATUSES,
    Action,
    CallbackOutcome,
    Channel,
    DispatchMode,
    Event,
    IllegalTransition,
    Importance,
    Status,
)
from complaintdesk.kernel.errors import InvalidInput, PermissionDenied

# (action) -> statuses it may be taken from. The target status is decided by the method.
# Deny by default: every Action has an entry, and one missing from here is refused.
ALLOWED_FROM: dict[Action, frozenset[Status]] = {
    # Filing creates the complaint: it is never taken on one that exists.
    Action.FILE: frozenset(),
    # Recorded on the new case of an appeal, or on a new complaint found to repeat one.
    Action.FILE_APPEAL: frozenset({Status.REGISTERED}),
    Action.LINK_REPEAT: frozenset({Status.REGISTERED}),
    # The two results of a callback (RECORD_CALLBACK), never taken on their own.
    Action.REOPEN: frozenset({Status.CALLBACK}),
    Action.CLOSE: frozenset({Status.CALLBACK}),
    Action.ACCEPT: frozenset({Status.REGISTERED}),
    Action.REJECT: frozenset({Status.REGISTERED}),
    Action.HAND_OVER: frozenset({Status.REGISTERED, Status.ACCEPTED, Status.RETURNED}),
    Action.START_PREPROCESSING: frozenset({Status.ACCEPTED}),
    Action.RESOLVE_AT_INTAKE: frozenset({Status.ACCEPTED, Status.PREPROCESSING}),
    Action.DISPATCH: frozenset({Status.ACCEPTED, Status.PREPROCESSING, Status.RETURNED}),
    Action.RETURN_DISPATCH: frozenset({Status.DISPATCHED, Status.RECEIVED}),
    Action.RECEIVE: frozenset({Status.DISPATCHED}),
    Action.START_HANDLING: frozenset({Status.RECEIVED}),
    Action.ADD_NOTE: frozenset(OPEN_STATUSES | {Status.REPLIED, Status.CALLBACK}),
    Action.REQUEST_EXTENSION: frozenset({Status.RECEIVED, Status.IN_PROGRESS}),
    Action.APPROVE_EXTENSION: frozenset({Status.RECEIVED, Status.IN_PROGRESS}),
    Action.REFUSE_EXTENSION: frozenset({Status.RECEIVED, Status.IN_PROGRESS}),
    Action.REPLY: frozenset({Status.IN_PROGRESS}),
    Action.START_CALLBACK: frozenset({Status.REPLIED}),
    Action.RECORD_CALLBACK: frozenset({Status.CALLBACK}),
    Action.ARCHIVE: frozenset(
        {Status.CLOSED, Status.NOT_ACCEPTED, Status.HANDED_OVER, Status.RESOLVED_AT_INTAKE}
    ),
    Action.APPEAL: frozenset(
        {
            Status.CLOSED,
            Status.ARCHIVED,
            Status.NOT_ACCEPTED,
            Status.RESOLVED_AT_INTAKE,
            Status.REPLIED,
        }
    ),
    Action.REVEAL_IDENTITY: frozenset(Status),
    Action.INSTRUCT: frozenset(
        {Status.REGISTERED, Status.ACCEPTED, Status.PREPROCESSING, Status.RETURNED}
    ),
    Action.SIGN_OFF: frozenset({Status.ACCEPTED, Status.PREPROCESSING, Status.RETURNED}),
    # 提级 takes an accepted case; a registered one is simply filed again higher up.
    Action.TAKE_OVER: OPEN_STATUSES - {Status.REGISTERED},
    Action.CLASSIFY: frozenset(
        {Status.REGISTERED, Status.ACCEPTED, Status.PREPROCESSING, Status.RETURNED}
    ),
    Action.RULE_ON_RETURN: frozenset({Status.RETURNED}),
    Action.RECORD_FINDINGS: frozenset({Status.IN_PROGRESS, Status.REPLIED}),
    Action.SUBMIT_REPORT: frozenset({Status.REPLIED, Status.CALLBACK, Status.CLOSED}),
    # The supervision ladder runs while the statutory clock does; it never moves the status.
    Action.REMIND: OPEN_STATUSES,
    Action.SUPERVISE: OPEN_STATUSES,
    Action.LIST_SUPERVISION: OPEN_STATUSES,
    Action.RECEIVE_MESSAGE: frozenset(Status),
    Action.NETWORK_REVIEW: frozenset({Status.ARCHIVED}),
    Action.IMPROVEMENT_NOTICE: frozenset(Status),
}


def _require(value: str | None, what_zh: str, what_en: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{what_zh}不能为空 / {what_en} is required")
    return text


@dataclass
class Complaint:
    """The complaint aggregate. Identity data live in the vault, not here."""

    id: int | None
    tracking_no: str
    status: Status
    received_at: datetime
    owner_unit_id: int
    content: str
    title: str = ""
    summary: str = ""
    channel: Channel = Channel.WEB
    importance: Importance = Importance.ORDINARY
    category: str | None = None
    department_label: str | None = None
    handling_unit_id: int | None = None
    dispatch_mode: DispatchMode | None = None
    extension_days: int = 0
    extension_pending_days: int = 0
    reopen_count: int = 0
    return_count: int = 0
    callback_attempts: int = 0
    double_deduction: bool = False
    overdue_level: int = 0
    # Dispatch decisions (批示, 签批, last return); rebuilt from the timeline on load by
    # restore_decisions(), so they need no columns of their own.
    instructed: bool = False
    signed_off: dict[str, Any] | None = None
    last_returned_unit_id: int | None = None
    version: int = 1
    pending_events: list[Event] = field(default_factory=list, repr=False)

    # --- helpers -------------------------------------------------------------

    def ensure_allowed(self, action: Action) -> None:
        """Refuse an action the current status does not allow, or that the table lacks."""
        if self.status not in ALLOWED_FROM.get(action, frozenset()):
            raise IllegalTransition(self.status, action)

    def _record(
        self,
        action: Action,
        now: datetime,
        actor_id: int | None,
        *,
        to: Status | None = None,
        reason: str = "",
        **data: Any,
    ) -> Event:
        before = self.status
        if to is not None:
            self.status = to
        event = Event(
            action=action,
            at=now,
            actor_id=actor_id,
            from_status=before,
            to_status=self.status,
            reason=reason,
            data={k: v for k, v in data.items() if v is not None},
        )
        self.pending_events.append(event)
        return event

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    # --- intake --------------------------------------------------------------

    def accept(
        self,
        now: datetime,
        actor_id: int | None,
        *,
        category: str | None = None,
        importance: Importance | None = None,
        reason: str = "",
    ) -> Event:
        """受理: the centre takes the complaint on."""
        self.ensure_allowed(Action.ACCEPT)
        if category:
            self.category = category
        if importance:
            self.importance = importance
        return self._record(
            Action.ACCEPT,
            now,
            actor_id,
            to=Status.ACCEPTED,
            reason=reason,
            category=self.category,
            importance=self.importance.value,
        )

    def reject(
        self, now: datetime, actor_id: int | None, *, explanation: str, competent_authority: str
    ) -> Event:
        """不予受理: outside scope, with a patient explanation and the competent authority."""
        self.ensure_allowed(Action.REJECT)
        explanation = _require(explanation, "不予受理说明", "explanation")
        authority = _require(competent_authority, "有权处理机关", "competent authority")
        return self._record(
            Action.REJECT,
            now,
            actor_id,
            to=Status.NOT_ACCEPTED,
            reason=explanation,
            competent_authority=authority,
        )

    def hand_over(
        self, now: datetime, actor_id: int | None, *, department: str, reason: str
    ) -> Event:
        """移交: a non-efficiency matter goes to the functional department."""
        self.ensure_allowed(Action.HAND_OVER)
        self._check_instructed()
        department = _require(department, "接收部门", "receiving department")
        reason = _require(reason, "移交理由", "reason")
        return self._record(
            Action.HAND_OVER,
            now,
            actor_id,
            to=Status.HANDED_OVER,
            reason=reason,
            department=department,
        )

    def start_preprocessing(
        self, now: datetime, actor_id: int | None, *, findings: dict[str, Any] | None = None
    ) -> Event:
        """预处理; ``findings`` is what the telecom level-1 platform matched (SPEC §7)."""
        self.ensure_allowed(Action.START_PREPROCESSING)
        return self._record(
            Action.START_PREPROCESSING,
            now,
            actor_id,
            to=Status.PREPROCESSING,
            preprocessing=findings,
        )

    def resolve_at_intake(
        self, now: datetime, actor_id: int | None, *, resolution: str, level: int | None = None
    ) -> Event:
        """Resolved without dispatch: answered at first contact or by pre-processing."""
        self.ensure_allowed(Action.RESOLVE_AT_INTAKE)
        resolution = _require(resolution, "处理结果", "resolution")
        return self._record(
            Action.RESOLVE_AT_INTAKE,
            now,
            actor_id,
            to=Status.RESOLVED_AT_INTAKE,
            reason=resolution,
            level=level,
        )

    # --- dispatch and handling -----------------------------------------------

    def dispatch(
        self,
        now: datetime,
        actor_id: int | None,
        *,
        unit_id: int,
        mode: DispatchMode,
        summary: str = "",
        reason: str = "",
        evidence: dict[str, Any] | None = None,
    ) -> Event:
        """派单: self-handle (自办) or transfer down (转办). Transfers carry a summary (摘要).

        Either needs a leader's sign-off (签批) for that mode (and unit, if the leader named
        one); an important complaint needs the leader's instruction (批示) first."""
        self.ensure_allowed(Action.DISPATCH)
        self._check_sign_off(mode, unit_id)
        if mode is DispatchMode.TRANSFER:  # checked before anything changes: a refusal
            summary = summary.strip() or self.summary  # must leave the sign-off in place
            _require(summary, "转办摘要", "transfer summary")
        self.signed_off = None
        if summary:
            self.summary = summary.strip()
        self.handling_unit_id = unit_id
        self.dispatch_mode = mode
        self.extension_days = 0
        self.extension_pending_days = 0
        self.overdue_level = 0
        return self._record(
            Action.DISPATCH,
            now,
            actor_id,
            to=Status.DISPATCHED,
            reason=reason,
            unit_id=unit_id,
            mode=mode.value,
            evidence=evidence,  # telecom: what pre-processing found (SPEC §7)
        )

    def return_dispatch(self, now: datetime, actor_id: int | None, *, reason: str) -> Event:
        """退单: the unit says it is not theirs; back to the dispatcher with a reason."""
        self.ensure_allowed(Action.RETURN_DISPATCH)
        reason = _require(reason, "退单理由", "return reason")
        unit_id = self.handling_unit_id
        self.last_returned_unit_id = unit_id
        self.signed_off = None
        self.return_count += 1
        self.handling_unit_id = None
        self.dispatch_mode = None
        self.extension_pending_days = 0
        return self._record(
            Action.RETURN_DISPATCH,
            now,
            actor_id,
            to=Status.RETURNED,
            reason=reason,
            unit_id=unit_id,
        )

    def receive(self, now: datetime, actor_id: int | None) -> Event:
        """签收: the unit signs for the dispatch; a transfer's clock starts here."""
        self.ensure_allowed(Action.RECEIVE)
        return self._record(
            Action.RECEIVE, now, actor_id, to=Status.RECEIVED, unit_id=self.handling_unit_id
        )

    def start_handling(self, now: datetime, actor_id: int | None) -> Event:
        self.ensure_allowed(Action.START_HANDLING)
        return self._record(Action.START_HANDLING, now, actor_id, to=Status.IN_PROGRESS)

    def add_note(self, now: datetime, actor_id: int | None, *, note: str) -> Event:
        self.ensure_allowed(Action.ADD_NOTE)
        note = _require(note, "办理记录", "note")
        return self._record(Action.ADD_NOTE, now, actor_id, reason=note)

    def request_extension(
        self, now: datetime, actor_id: int | None, *, working_days: int, reason: str
    ) -> Event:
        """申请延期: needs approval; the total never exceeds 30 working days (SPEC §4)."""
        self.ensure_allowed(Action.REQUEST_EXTENSION)
        reason = _require(reason, "延期理由", "extension reason")
        if self.extension_pending_days:
            raise InvalidInput("已有待审批的延期申请 / an extension request is already pending")
        if working_days < 1:
            raise InvalidInput("延期天数至少为1个工作日 / extension must be at least 1 working day")
        total = BASE_WORKING_DAYS + self.extension_days + working_days
        if total > MAX_TOTAL_WORKING_DAYS:
            room = MAX_TOTAL_WORKING_DAYS - BASE_WORKING_DAYS - self.extension_days
            raise InvalidInput(
                f"办理时限合计不得超过{MAX_TOTAL_WORKING_DAYS}个工作日，最多还可延期{room}个工作日"
                f" / the total limit is {MAX_TOTAL_WORKING_DAYS} working days;"
                f" at most {room} more can be requested"
            )
        self.extension_pending_days = working_days
        return self._record(
            Action.REQUEST_EXTENSION, now, actor_id, reason=reason, working_days=working_days
        )

    def approve_extension(self, now: datetime, actor_id: int | None, *, reason: str = "") -> Event:
        self.ensure_allowed(Action.APPROVE_EXTENSION)
        if not self.extension_pending_days:
            raise InvalidInput("没有待审批的延期申请 / there is no pending extension request")
        days = self.extension_pending_days
        self.extension_days += days
        self.extension_pending_days = 0
        self.overdue_level = 0
        return self._record(
            Action.APPROVE_EXTENSION,
            now,
            actor_id,
            reason=reason,
            working_days=days,
            total_extension_days=self.extension_days,
        )

    def refuse_extension(self, now: datetime, actor_id: int | None, *, reason: str) -> Event:
        self.ensure_allowed(Action.REFUSE_EXTENSION)
        if not self.extension_pending_days:
            raise InvalidInput("没有待审批的延期申请 / there is no pending extension request")
        reason = _require(reason, "驳回理由", "reason")
        days = self.extension_pending_days
        self.extension_pending_days = 0
        return self._record(
            Action.REFUSE_EXTENSION, now, actor_id, reason=reason, working_days=days
        )

    def reply(
        self,
        now: datetime,
        actor_id: int | None,
        *,
        reply: str,
        channel: str,
        network_quality: bool | None = None,
    ) -> Event:
        """答复: the unit answers the complainant; the channel is recorded. A telecom city
        branch also says whether it really was a network-quality problem (SPEC §7)."""
        self.ensure_allowed(Action.REPLY)
        reply = _require(reply, "答复内容", "reply")
        channel = _require(channel, "答复方式", "reply channel")
        return self._record(
            Action.REPLY,
            now,
            actor_id,
            to=Status.REPLIED,
            reason=reply,
            channel=channel,
            network_quality=network_quality,
        )

    # --- callback and closure ------------------------------------------------

    def start_callback(self, now: datetime, actor_id: int | None) -> Event:
        self.ensure_allowed(Action.START_CALLBACK)
        return self._record(Action.START_CALLBACK, now, actor_id, to=Status.CALLBACK)

    def record_callback(
        self,
        now: datetime,
        actor_id: int | None,
        *,
        outcome: CallbackOutcome,
        unsolved_and_true: bool = False,
        note: str = "",
    ) -> list[Event]:
        """全量回访. "Not solved, and true" reopens and counts double against the unit
        (SPEC §6, source §3 1.3 (4)); unreachable complainants are tried again, and after
        ``MAX_CALLBACK_ATTEMPTS`` the complaint is closed as unreachable."""
        self.ensure_allowed(Action.RECORD_CALLBACK)
        if unsolved_and_true and outcome is not CallbackOutcome.UNSATISFIED:
            raise InvalidInput(
                "只有“不满意”的回访才能认定为问题未解决且属实"
                " / only an unsatisfied callback can be confirmed as unsolved and true"
            )
        self.callback_attempts += 1
        events = [
            self._record(
                Action.RECORD_CALLBACK,
                now,
                actor_id,
                reason=note,
                outcome=outcome.value,
                unsolved_and_true=unsolved_and_true,
                attempt=self.callback_attempts,
            )
        ]
        if outcome is CallbackOutcome.UNREACHABLE:
            if self.callback_attempts >= MAX_CALLBACK_ATTEMPTS:
                events.append(
                    self._record(
                        Action.CLOSE,
                        now,
                        actor_id,
                        to=Status.CLOSED,
                        reason="多次回访无法联系 / unreachable after repeated callbacks",
                        outcome=outcome.value,
                    )
                )
            return events
        if unsolved_and_true:
            self.reopen_count += 1
            self.double_deduction = True
            self.callback_attempts = 0
            self.overdue_level = 0
            events.append(
                self._record(
                    Action.REOPEN,
                    now,
                    actor_id,
                    to=Status.IN_PROGRESS,
                    reason=note or "回访认定问题未解决 / callback found it unsolved",
                    double_deduction=True,
                    reopen_count=self.reopen_count,
                )
            )
            return events
        events.append(
            self._record(Action.CLOSE, now, actor_id, to=Status.CLOSED, outcome=outcome.value)
        )
        return events

    def archive(self, now: datetime, actor_id: int | None) -> Event:
        """归档."""
        self.ensure_allowed(Action.ARCHIVE)
        return self._record(Action.ARCHIVE, now, actor_id, to=Status.ARCHIVED)

    def appeal(
        self,
        now: datetime,
        actor_id: int | None,
        *,
        reason: str,
        new_case_id: int,
        new_tracking_no: str,
        to_unit_id: int,
    ) -> Event:
        """申诉: recorded on the old case; the new case at the next level up is separate."""
        self.ensure_allowed(Action.APPEAL)
        reason = _require(reason, "申诉理由", "appeal reason")
        return self._record(
            Action.APPEAL,
            now,
            actor_id,
            reason=reason,
            new_case_id=new_case_id,
            new_tracking_no=new_tracking_no,
            to_unit_id=to_unit_id,
        )

    def record_identity_reveal(self, now: datetime, actor_id: int | None, *, reason: str) -> Event:
        """Revealing the complainant's identity is an action with a reason (SPEC §5)."""
        reason = _require(reason, "查看理由", "reason")
        return self._record(Action.REVEAL_IDENTITY, now, actor_id, reason=reason)

    # --- supervision ladder (催办 → 督办 → 挂牌督办), SPEC §4 ------------------------

    def remind(
        self, now: datetime, actor_id: int | None, *, reason: str = "", **data: Any
    ) -> Event:
        """催办: a reminder before the deadline; overdue level at least 1."""
        return self._escalate(Action.REMIND, 1, now, actor_id, reason, data)

    def supervise(
        self, now: datetime, actor_id: int | None, *, reason: str = "", **data: Any
    ) -> Event:
        """督办: the complaint is overdue; overdue level at least 2."""
        return self._escalate(Action.SUPERVISE, 2, now, actor_id, reason, data)

    def list_supervision(
        self, now: datetime, actor_id: int | None, *, reason: str = "", **data: Any
    ) -> Event:
        """挂牌督办: still overdue after supervision, or rectification failed twice; level 3."""
        return self._escalate(Action.LIST_SUPERVISION, 3, now, actor_id, reason, data)

    def _escalate(
        self,
        action: Action,
        level: int,
        now: datetime,
        actor_id: int | None,
        reason: str,
        data: dict[str, Any],
    ) -> Event:
        self.ensure_allowed(action)
        # A step never lowers the level: a manual reminder on a supervised case stays at 2.
        self.overdue_level = max(self.overdue_level, level)
        return self._record(
            action, now, actor_id, reason=reason.strip(), overdue_level=self.overdue_level, **data
        )

    # --- dispatch decisions: 批示, 签批, 提级, 退单裁定 (SPEC §2, §3) -------------------

    def restore_decisions(self, history: list[Event]) -> None:
        """Rebuild the state that guards dispatch from the complaint's timeline."""
        for event in history:
            if event.action is Action.INSTRUCT:
                self.instructed = True
            elif event.action is Action.SIGN_OFF:
                self.signed_off = dict(event.data)
            elif event.action in (Action.DISPATCH, Action.TAKE_OVER, Action.HAND_OVER):
                self.signed_off = None
            elif event.action is Action.RETURN_DISPATCH:
                self.signed_off = None
                self.last_returned_unit_id = event.data.get("unit_id")

    def _check_instructed(self) -> None:
        if self.importance is Importance.IMPORTANT and not self.instructed:
            raise InvalidInput(
                "重要投诉须先经中心领导批示 / an important complaint needs the leader's"
                " instruction (批示) first"
            )

    def _check_sign_off(self, mode: DispatchMode, unit_id: int) -> None:
        self._check_instructed()
        signed = self.signed_off
        if signed is None:
            raise InvalidInput(
                "派单须先经领导签批 / dispatch needs a leader's sign-off (签批) first"
            )
        if signed.get("mode") != mode.value:
            raise InvalidInput(
                f"领导签批的办理方式为“{signed.get('mode')}”，与派单不符"
                f" / the sign-off was for {signed.get('mode')}, not {mode.value}"
            )
        if signed.get("unit_id") is not None and int(signed["unit_id"]) != unit_id:
            raise InvalidInput(
                "派单单位与领导签批的单位不符 / the unit differs from the one signed off"
            )

    def instruct(self, now: datetime, actor_id: int | None, *, instruction: str) -> Event:
        """批示: the centre's leader instructs on a complaint before it goes anywhere."""
        self.ensure_allowed(Action.INSTRUCT)
        instruction = _require(instruction, "批示意见", "instruction")
        self.instructed = True
        return self._record(Action.INSTRUCT, now, actor_id, reason=instruction)

    def sign_off(
        self,
        now: datetime,
        actor_id: int | None,
        *,
        mode: DispatchMode,
        unit_id: int | None = None,
        opinion: str = "",
        deputy_director: bool = False,
    ) -> Event:
        """签批: a leader approves self-handling or a transfer; an important complaint's
        transfer needs the deputy director's signature."""
        self.ensure_allowed(Action.SIGN_OFF)
        self._check_instructed()
        important = self.importance is Importance.IMPORTANT
        if important and mode is DispatchMode.TRANSFER and not deputy_director:
            raise PermissionDenied(
                "重要投诉的转办须由分管副主任签批 / transferring an important complaint needs"
                " the deputy director's sign-off"
            )
        self.signed_off = {"mode": mode.value, "unit_id": unit_id}
        return self._record(
            Action.SIGN_OFF,
            now,
            actor_id,
            reason=opinion.strip(),
            mode=mode.value,
            unit_id=unit_id,
            deputy_director=deputy_director,
        )

    def take_over(
        self, now: datetime, actor_id: int | None, *, to_unit_id: int, reason: str
    ) -> Event:
        """提级办理: a higher centre takes a complaint owned below it; any dispatch below
        is withdrawn and the higher centre decides afresh."""
        self.ensure_allowed(Action.TAKE_OVER)
        reason = _require(reason, "提级理由", "reason")
        from_unit = self.owner_unit_id
        withdrawn = self.handling_unit_id
        self.owner_unit_id = to_unit_id
        self.handling_unit_id = None
        self.dispatch_mode = None
        self.signed_off = None
        self.extension_pending_days = 0
        return self._record(
            Action.TAKE_OVER,
            now,
            actor_id,
            to=Status.ACCEPTED,
            reason=reason,
            from_unit_id=from_unit,
            to_unit_id=to_unit_id,
            withdrawn_from_unit_id=withdrawn,
        )

    def rule_on_return(
        self, now: datetime, actor_id: int | None, *, upheld: bool, reason: str
    ) -> Event:
        """退单裁定: the centre rules on a disputed return. Upheld: the return stands and
        the complaint waits for a new dispatch. Overruled: back to the same unit."""
        self.ensure_allowed(Action.RULE_ON_RETURN)
        reason = _require(reason, "裁定理由", "reason for the ruling")
        unit_id = self.last_returned_unit_id
        if upheld or unit_id is None:
            if not upheld:
                raise InvalidInput("找不到退单单位 / the returning unit is unknown")
            return self._record(
                Action.RULE_ON_RETURN, now, actor_id, reason=reason, upheld=True, unit_id=unit_id
            )
        self.handling_unit_id = unit_id
        self.dispatch_mode = DispatchMode.TRANSFER
        self.overdue_level = 0
        return self._record(
            Action.RULE_ON_RETURN,
            now,
            actor_id,
            to=Status.DISPATCHED,
            reason=reason,
            upheld=False,
            unit_id=unit_id,
        )

    # --- findings and the written report (SPEC §4, §6) ------------------------------

    def record_findings(
        self,
        now: datetime,
        actor_id: int | None,
        *,
        finding: str,
        facts: str,
        leniency: list[str] | None = None,
        aggravating: list[str] | None = None,
    ) -> Event:
        """调查认定: what the investigation found, with leniency and aggravating factors."""
        self.ensure_allowed(Action.RECORD_FINDINGS)
        facts = _require(facts, "调查情况", "facts found")
        try:
            result = Finding(finding)
            lenient = sorted({LeniencyFactor(f).value for f in leniency or []})
            aggravated = sorted({AggravatingFactor(f).value for f in aggravating or []})
        except ValueError as exc:
            raise InvalidInput(f"认定结论或情节无效 / unknown finding or factor: {exc}") from None
        return self._record(
            Action.RECORD_FINDINGS,
            now,
            actor_id,
            reason=facts,
            finding=result.value,
            leniency=lenient,
            aggravating=aggravated,
        )

    def submit_report(self, now: datetime, actor_id: int | None, *, report: str) -> Event:
        """书面报告: a transferred complaint's unit reports the result to the centre."""
        self.ensure_allowed(Action.SUBMIT_REPORT)
        if self.dispatch_mode is not DispatchMode.TRANSFER:
            raise InvalidInput(
                "只有转办件需要向中心书面报告 / only a transferred complaint is reported"
                " in writing to the centre"
            )
        report = _require(report, "书面报告", "written report")
        return self._record(
            Action.SUBMIT_REPORT, now, actor_id, reason=report, unit_id=self.handling_unit_id
        )

    def record_network_review(
        self, now: datetime, actor_id: int | None, *, note: str, improved: bool
    ) -> Event:
        """网优闭环复核: 48 hours after archiving a network-quality ticket is looked at
        again (source §3 1.2). Recorded on the timeline; the status does not move."""
        self.ensure_allowed(Action.NETWORK_REVIEW)
        note = _require(note, "复核意见", "review note")
        return self._record(Action.NETWORK_REVIEW, now, actor_id, reason=note, improved=improved)

    def record_improvement_notice(
        self, now: datetime, actor_id: int | None, *, improvement_id: int, area: str
    ) -> Event:
        """网络改善通知: the complainant was told a new site or fix went live nearby."""
        self.ensure_allowed(Action.IMPROVEMENT_NOTICE)
        return self._record(
            Action.IMPROVEMENT_NOTICE, now, actor_id, improvement_id=improvement_id, area=area
        )

    def classify(
        self,
        now: datetime,
        actor_id: int | None,
        *,
        label: str,
        suggested: str | None = None,
        confidence: float | None = None,
    ) -> Event:
        """分类: a dispatcher settles the department label, whatever triage suggested.
        The choice, with the suggestion it confirms or corrects, is a training example."""
        self.ensure_allowed(Action.CLASSIFY)
        label = _require(label, "业务类别", "department label")
        self.department_label = label
        return self._record(
            Action.CLASSIFY,
            now,
            actor_id,
            label=label,
            suggested=suggested,
            confidence=confidence,
            corrected=suggested is not None and suggested != label,
        )

    def take_events(self) -> list[Event]:
        events, self.pending_events = self.pending_events, []
        return events
