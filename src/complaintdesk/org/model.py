"""The org tree, users and roles (SPEC "Who uses it", §3)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from complaintdesk.complaints.vocabulary import Action


class UnitLevel(StrEnum):
    PROVINCE = "province"  # 省/自治区
    PREFECTURE = "prefecture"  # 州/市
    COUNTY = "county"  # 县/市
    DEPARTMENT = "department"  # 局/委/办
    SECTION = "section"  # 科室


class UnitKind(StrEnum):
    CENTRE = "centre"  # 投诉中心 / 12345 热线
    BUREAU = "bureau"  # 职能部门
    SECTION = "section"  # 科室
    BRANCH = "branch"  # 电信分公司


class EvaluationCategory(StrEnum):
    LAW_ENFORCEMENT = "law_enforcement"  # 行政执法类
    COMPREHENSIVE_MANAGEMENT = "comprehensive_management"  # 综合管理类


class Role(StrEnum):
    INTAKE_OPERATOR = "intake_operator"  # 受理员 / 话务员
    DISPATCHER = "dispatcher"  # 派单员
    HANDLER = "handler"  # 承办人
    SUPERVISOR = "supervisor"  # 督办员
    CALLBACK_AUDITOR = "callback_auditor"  # 回访员
    LEADER = "leader"  # 中心负责人 / 领导
    DEPUTY_DIRECTOR = "deputy_director"  # 分管副主任: signs off important transfers
    EVALUATOR = "evaluator"  # 效能办
    ADMIN = "admin"  # 管理员


ROLE_LABELS: dict[Role, str] = {
    Role.INTAKE_OPERATOR: "受理员",
    Role.DISPATCHER: "派单员",
    Role.HANDLER: "承办人",
    Role.SUPERVISOR: "督办员",
    Role.CALLBACK_AUDITOR: "回访员",
    Role.LEADER: "领导",
    Role.DEPUTY_DIRECTOR: "分管副主任",
    Role.EVALUATOR: "效能办",
    Role.ADMIN: "管理员",
}

_CENTRE = frozenset({Role.INTAKE_OPERATOR, Role.DISPATCHER, Role.LEADER})

_NOBODY: frozenset[Role] = frozenset()

# Which roles may take which action. Centre-side actions act on complaints the actor's
# unit owns; unit-side actions on complaints dispatched to the actor's unit subtree.
# Deny by default: every Action has an entry; one missing is refused.
ACTION_ROLES: dict[Action, frozenset[Role]] = {
    # Written by the system as the consequence of another action, never taken by a person.
    Action.REOPEN: _NOBODY,  # follows an "unsolved and true" callback
    Action.CLOSE: _NOBODY,  # follows any other callback outcome
    Action.FILE_APPEAL: _NOBODY,  # the new case of an appeal
    Action.LINK_REPEAT: _NOBODY,  # intake links a repeat while filing
    Action.RECEIVE_MESSAGE: _NOBODY,  # a follow-up e-mail threaded in
    Action.FILE: _CENTRE,
    Action.ACCEPT: _CENTRE,
    Action.REJECT: _CENTRE,
    # SPEC §2: outside the scope, intake either refuses or hands over, so hand-over is a
    # centre decision like refusal, taken at registration by the operator too.
    Action.HAND_OVER: _CENTRE,
    Action.START_PREPROCESSING: _CENTRE,
    Action.RESOLVE_AT_INTAKE: _CENTRE,
    Action.DISPATCH: frozenset({Role.DISPATCHER, Role.LEADER}),
    Action.RETURN_DISPATCH: frozenset({Role.HANDLER, Role.LEADER}),
    Action.RECEIVE: frozenset({Role.HANDLER, Role.LEADER}),
    Action.START_HANDLING: frozenset({Role.HANDLER, Role.LEADER}),
    Action.ADD_NOTE: frozenset(
        {
            Role.HANDLER,
            Role.LEADER,
            Role.DISPATCHER,
            Role.SUPERVISOR,
            Role.INTAKE_OPERATOR,
            Role.CALLBACK_AUDITOR,
        }
    ),
    Action.REQUEST_EXTENSION: frozenset({Role.HANDLER}),
    Action.APPROVE_EXTENSION: frozenset({Role.LEADER}),
    Action.REFUSE_EXTENSION: frozenset({Role.LEADER}),
    Action.REPLY: frozenset({Role.HANDLER, Role.LEADER}),
    Action.START_CALLBACK: frozenset({Role.CALLBACK_AUDITOR}),
    Action.RECORD_CALLBACK: frozenset({Role.CALLBACK_AUDITOR}),
    Action.ARCHIVE: frozenset({Role.INTAKE_OPERATOR, Role.DISPATCHER, Role.CALLBACK_AUDITOR}),
    Action.APPEAL: frozenset({Role.INTAKE_OPERATOR, Role.DISPATCHER}),
    Action.REVEAL_IDENTITY: frozenset({Role.LEADER, Role.INTAKE_OPERATOR, Role.DISPATCHER}),
    Action.INSTRUCT: frozenset({Role.LEADER, Role.DEPUTY_DIRECTOR}),
    Action.SIGN_OFF: frozenset({Role.LEADER, Role.DEPUTY_DIRECTOR}),
    Action.TAKE_OVER: frozenset({Role.LEADER, Role.DISPATCHER}),
    Action.CLASSIFY: _CENTRE,
    Action.RULE_ON_RETURN: frozenset({Role.LEADER, Role.DEPUTY_DIRECTOR}),
    Action.RECORD_FINDINGS: frozenset({Role.HANDLER, Role.LEADER}),
    Action.SUBMIT_REPORT: frozenset({Role.HANDLER, Role.LEADER}),
    Action.NETWORK_REVIEW: frozenset({Role.DISPATCHER, Role.LEADER}),
    Action.IMPROVEMENT_NOTICE: frozenset({Role.DISPATCHER, Role.LEADER}),
    Action.REMIND: frozenset({Role.SUPERVISOR, Role.LEADER}),
    Action.SUPERVISE: frozenset({Role.SUPERVISOR, Role.LEADER}),
    Action.LIST_SUPERVISION: frozenset({Role.SUPERVISOR, Role.LEADER}),
}

# Actions taken by the handling side: jurisdiction is checked against the handling unit.
UNIT_SIDE_ACTIONS = frozenset(
    {
        Action.RETURN_DISPATCH,
        Action.RECEIVE,
        Action.START_HANDLING,
        Action.REQUEST_EXTENSION,
        Action.REPLY,
        Action.RECORD_FINDINGS,
        Action.SUBMIT_REPORT,
    }
)


@dataclass(frozen=True)
class Unit:
    id: int
    code: str
    name: str
    level: UnitLevel
    kind: UnitKind
    parent_id: int | None
    path: str  # materialised path "/1/4/17/": a subtree is a prefix
    category: EvaluationCategory | None = None

    def contains(self, other_path: str | None) -> bool:
        return bool(other_path) and str(other_path).startswith(self.path)


@dataclass(frozen=True)
class Actor:
    """The person acting: a staff user with roles, scoped to a unit."""

    user_id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    unit_id: int
    unit_path: str

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def may(self, action: Action) -> bool:
        """Deny by default: an action missing from ``ACTION_ROLES``, or one nobody takes by
        hand, is refused even to an admin."""
        roles = ACTION_ROLES.get(action, _NOBODY)
        return bool(roles) and (self.is_admin or bool(self.roles & roles))

    def sees(self, unit_path: str | None) -> bool:
        """Jurisdiction: the actor's unit subtree."""
        return bool(unit_path) and str(unit_path).startswith(self.unit_path)
