"""Which action is posted where, with which request body: one table for the API's
endpoints and the staff pages' forms, so both accept exactly the same fields."""

from __future__ import annotations

from pydantic import BaseModel

from complaintdesk.complaints import schemas as s
from complaintdesk.complaints import schemas_decisions as sh
from complaintdesk.complaints.vocabulary import Action

# (action, path under /api/v1/complaints/{id}/, body, summary)
ACTION_ROUTES: list[tuple[Action, str, type[BaseModel], str]] = [
    (Action.ACCEPT, "accept", s.AcceptIn, "受理 / accept"),
    (Action.REJECT, "reject", s.RejectIn, "不予受理 / not accept, with explanation"),
    (Action.HAND_OVER, "hand-over", s.HandOverIn, "移交职能部门 / hand over"),
    (Action.START_PREPROCESSING, "start-preprocessing", s.ActionIn, "预处理 / pre-process"),
    (
        Action.RESOLVE_AT_INTAKE,
        "resolve-at-intake",
        s.ResolveAtIntakeIn,
        "受理即办结 / resolve at intake",
    ),
    (Action.DISPATCH, "dispatch", s.DispatchIn, "派单（自办/转办）/ dispatch"),
    (Action.RETURN_DISPATCH, "return", s.ReasonIn, "退单 / return a wrong dispatch"),
    (Action.RECEIVE, "receive", s.ActionIn, "签收 / sign for"),
    (Action.START_HANDLING, "start-handling", s.ActionIn, "开始办理 / start handling"),
    (Action.ADD_NOTE, "notes", s.NoteIn, "办理记录 / add a note"),
    (Action.REQUEST_EXTENSION, "request-extension", s.ExtensionIn, "申请延期 / request extension"),
    (
        Action.APPROVE_EXTENSION,
        "approve-extension",
        s.OptionalReasonIn,
        "批准延期 / approve extension",
    ),
    (Action.REFUSE_EXTENSION, "refuse-extension", s.ReasonIn, "驳回延期 / refuse extension"),
    (Action.REPLY, "reply", s.ReplyIn, "答复投诉人 / reply"),
    (Action.START_CALLBACK, "start-callback", s.ActionIn, "开始回访 / start callback"),
    (Action.RECORD_CALLBACK, "callback", s.CallbackIn, "回访结果 / record callback"),
    (Action.ARCHIVE, "archive", s.ActionIn, "归档 / archive"),
    (Action.CLASSIFY, "classify", s.ClassifyIn, "分类（确定业务类别）/ classify"),
    (Action.INSTRUCT, "instruct", sh.InstructIn, "领导批示 / leader's instruction"),
    (Action.RULE_ON_RETURN, "rule-on-return", sh.RuleOnReturnIn, "退单裁定 / rule on a return"),
    (Action.RECORD_FINDINGS, "findings", sh.FindingsIn, "调查认定 / record findings"),
    (Action.SUBMIT_REPORT, "report", sh.ReportIn, "书面报告 / written report to the centre"),
]
