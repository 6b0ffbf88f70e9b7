"""Request bodies of the dispatch-decision and handling endpoints (issue 6)."""

from __future__ import annotations

from pydantic import Field

from complaintdesk.complaints.findings import AggravatingFactor, Finding, LeniencyFactor
from complaintdesk.complaints.schemas import ActionIn, Strict
from complaintdesk.complaints.vocabulary import DispatchMode
from complaintdesk.kernel.ids import BIGINT_MAX


class InstructIn(ActionIn):
    instruction: str = Field(max_length=4000, description="批示意见 / the leader's instruction")


class SignOffIn(ActionIn):
    mode: DispatchMode
    unit_id: int | None = Field(
        None, ge=1, le=BIGINT_MAX, description="签批的承办单位（可空）/ unit signed off for"
    )
    opinion: str = Field("", max_length=4000)


class TakeOverIn(Strict):
    reason: str = Field(max_length=2000)
    expected_version: int | None = Field(None, ge=0, le=BIGINT_MAX)


class RuleOnReturnIn(ActionIn):
    upheld: bool = Field(description="退单成立 / the return stands")
    reason: str = Field(max_length=4000)


class FindingsIn(ActionIn):
    finding: Finding
    facts: str = Field(max_length=8000, description="调查情况 / facts found")
    leniency: list[LeniencyFactor] = Field(default_factory=list)
    aggravating: list[AggravatingFactor] = Field(default_factory=list)


class ReportIn(ActionIn):
    report: str = Field(max_length=8000, description="书面报告 / written report")


class UserCreateIn(Strict):
    username: str = Field(min_length=1, max_length=80)
    display_name: str = Field("", max_length=120)
    password: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(min_length=1)
    unit_id: int


class PasswordIn(Strict):
    password: str = Field(min_length=1, max_length=200)
