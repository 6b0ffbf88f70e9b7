"""The complaint's vocabulary (SPEC §1–§6): statuses, actions, channels and their labels.

Plain values every feature shares; :mod:`complaintdesk.complaints.model` holds the aggregate
and the transition table that uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from complaintdesk.kernel.errors import DomainError


class Status(StrEnum):
    """Where a complaint stands. Chinese names are what the UI shows."""

    REGISTERED = "registered"  # 已登记
    NOT_ACCEPTED = "not_accepted"  # 不予受理
    HANDED_OVER = "handed_over"  # 已移交
    ACCEPTED = "accepted"  # 已受理
    PREPROCESSING = "preprocessing"  # 预处理中
    RESOLVED_AT_INTAKE = "resolved_at_intake"  # 受理即办结
    DISPATCHED = "dispatched"  # 已派单
    RETURNED = "returned"  # 已退单
    RECEIVED = "received"  # 已签收
    IN_PROGRESS = "in_progress"  # 办理中
    REPLIED = "replied"  # 已答复
    CALLBACK = "callback"  # 回访中
    CLOSED = "closed"  # 已办结
    ARCHIVED = "archived"  # 已归档


STATUS_LABELS: dict[Status, tuple[str, str]] = {
    Status.REGISTERED: ("已登记", "Registered"),
    Status.NOT_ACCEPTED: ("不予受理", "Not accepted"),
    Status.HANDED_OVER: ("已移交", "Handed over"),
    Status.ACCEPTED: ("已受理", "Accepted"),
    Status.PREPROCESSING: ("预处理中", "Pre-processing"),
    Status.RESOLVED_AT_INTAKE: ("受理即办结", "Resolved at intake"),
    Status.DISPATCHED: ("已派单", "Dispatched"),
    Status.RETURNED: ("已退单", "Returned"),
    Status.RECEIVED: ("已签收", "Received by unit"),
    Status.IN_PROGRESS: ("办理中", "In progress"),
    Status.REPLIED: ("已答复", "Replied"),
    Status.CALLBACK: ("回访中", "Callback"),
    Status.CLOSED: ("已办结", "Closed"),
    Status.ARCHIVED: ("已归档", "Archived"),
}

# Statuses in which the statutory clock runs against a handling unit.
OPEN_STATUSES = frozenset(
    {
        Status.REGISTERED,
        Status.ACCEPTED,
        Status.PREPROCESSING,
        Status.DISPATCHED,
        Status.RETURNED,
        Status.RECEIVED,
        Status.IN_PROGRESS,
    }
)
FINISHED_STATUSES = frozenset(
    {
        Status.NOT_ACCEPTED,
        Status.HANDED_OVER,
        Status.RESOLVED_AT_INTAKE,
        Status.CLOSED,
        Status.ARCHIVED,
    }
)


class Action(StrEnum):
    """Everything that can happen to a complaint; events are named after these."""

    FILE = "file"  # 登记
    ACCEPT = "accept"  # 受理
    REJECT = "reject"  # 不予受理
    HAND_OVER = "hand_over"  # 移交
    START_PREPROCESSING = "start_preprocessing"  # 预处理
    RESOLVE_AT_INTAKE = "resolve_at_intake"  # 受理即办结
    DISPATCH = "dispatch"  # 派单 (自办/转办)
    RETURN_DISPATCH = "return_dispatch"  # 退单
    RECEIVE = "receive"  # 签收
    START_HANDLING = "start_handling"  # 开始办理
    ADD_NOTE = "add_note"  # 办理记录
    REQUEST_EXTENSION = "request_extension"  # 申请延期
    APPROVE_EXTENSION = "approve_extension"  # 批准延期
    REFUSE_EXTENSION = "refuse_extension"  # 驳回延期
    REPLY = "reply"  # 答复
    START_CALLBACK = "start_callback"  # 开始回访
    RECORD_CALLBACK = "record_callback"  # 回访结果
    REOPEN = "reopen"  # 重办 (result of a failed callback)
    CLOSE = "close"  # 办结
    ARCHIVE = "archive"  # 归档
    APPEAL = "appeal"  # 申诉 (on the old case)
    FILE_APPEAL = "file_appeal"  # 申诉立案 (on the new case)
    REVEAL_IDENTITY = "reveal_identity"  # 查看投诉人身份
    INSTRUCT = "instruct"  # 批示 (important complaints, before anything else)
    SIGN_OFF = "sign_off"  # 签批 (a leader approves self-handling or a transfer)
    TAKE_OVER = "take_over"  # 提级办理 (a higher centre takes a lower level's case)
    CLASSIFY = "classify"  # 分类: a person decides the department label (routing class)
    RULE_ON_RETURN = "rule_on_return"  # 退单裁定 (the centre rules on a disputed return)
    RECORD_FINDINGS = "record_findings"  # 调查认定 (with leniency/aggravating factors)
    SUBMIT_REPORT = "submit_report"  # 书面报告 (the transferred unit reports to the centre)
    REMIND = "remind"  # 催办 (before the deadline)
    SUPERVISE = "supervise"  # 督办 (overdue)
    LIST_SUPERVISION = "list_supervision"  # 挂牌督办 (still overdue, or failed twice)
    LINK_REPEAT = "link_repeat"  # 关联重复投诉 (never a merge)
    RECEIVE_MESSAGE = "receive_message"  # 投诉人来信 (a follow-up e-mail threaded in)
    NETWORK_REVIEW = "network_review"  # 网优闭环复核 (48 h after archiving, telecom)
    IMPROVEMENT_NOTICE = "improvement_notice"  # 网络改善通知 (a new site in the area)


ACTION_LABELS: dict[Action, str] = {
    Action.FILE: "登记",
    Action.ACCEPT: "受理",
    Action.REJECT: "不予受理",
    Action.HAND_OVER: "移交",
    Action.START_PREPROCESSING: "预处理",
    Action.RESOLVE_AT_INTAKE: "受理即办结",
    Action.DISPATCH: "派单",
    Action.RETURN_DISPATCH: "退单",
    Action.RECEIVE: "签收",
    Action.START_HANDLING: "开始办理",
    Action.ADD_NOTE: "办理记录",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.APPROVE_EXTENSION: "批准延期",
    Action.REFUSE_EXTENSION: "驳回延期",
    Action.REPLY: "答复",
    Action.START_CALLBACK: "开始回访",
    Action.RECORD_CALLBACK: "回访",
    Action.REOPEN: "重新办理",
    Action.CLOSE: "办结",
    Action.ARCHIVE: "归档",
    Action.APPEAL: "申诉",
    Action.FILE_APPEAL: "申诉立案",
    Action.REVEAL_IDENTITY: "查看投诉人身份",
    Action.INSTRUCT: "领导批示",
    Action.SIGN_OFF: "领导签批",
    Action.TAKE_OVER: "提级办理",
    Action.CLASSIFY: "分类",
    Action.RULE_ON_RETURN: "退单裁定",
    Action.RECORD_FINDINGS: "调查认定",
    Action.SUBMIT_REPORT: "书面报告",
    Action.REMIND: "催办",
    Action.SUPERVISE: "督办",
    Action.LIST_SUPERVISION: "挂牌督办",
    Action.LINK_REPEAT: "关联重复投诉",
    Action.RECEIVE_MESSAGE: "投诉人来信",
    Action.NETWORK_REVIEW: "网优闭环复核",
    Action.IMPROVEMENT_NOTICE: "网络改善通知",
}


class Channel(StrEnum):
    WALK_IN = "walk_in"  # 走访
    PHONE = "phone"  # 电话
    EMAIL = "email"  # 电子邮件
    LETTER = "letter"  # 信件
    WEB = "web"  # 网站
    API = "api"
    IMPORT = "import"  # 批量导入


class Importance(StrEnum):
    ORDINARY = "ordinary"  # 一般
    IMPORTANT = "important"  # 重要


class DispatchMode(StrEnum):
    SELF_HANDLE = "self_handle"  # 自办
    TRANSFER = "transfer"  # 转办


class CallbackOutcome(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意
    UNREACHABLE = "unreachable"  # 无法联系


# A complaint nobody can reach is closed after this many callback attempts.
MAX_CALLBACK_ATTEMPTS = 3
# SPEC §4: never beyond 30 working days in total, of which 10 are the base limit.
BASE_WORKING_DAYS = 10
MAX_TOTAL_WORKING_DAYS = 30
# SPEC §1: a group visit elects at most 3 representatives.
MAX_REPRESENTATIVES = 3


@dataclass(frozen=True)
class Event:
    """One entry of a complaint's timeline: who did what, when, why."""

    action: Action
    at: datetime
    actor_id: int | None
    from_status: Status | None
    to_status: Status
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class IllegalTransition(DomainError):
    """An action that the complaint's current state does not allow."""

    def __init__(self, status: Status, action: Action) -> None:
        self.status = status
        self.action = action
        zh_status, en_status = STATUS_LABELS[status]
        super().__init__(
            f"当前状态“{zh_status}”下不能执行“{ACTION_LABELS.get(action, action.value)}”"
            f" / cannot {action.value} a complaint that is {en_status.lower()}"
            f" (status {status.value})"
        )
