"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from complaintdesk.complaints.vocabulary import CallbackOutcome, Channel, DispatchMode, Importance
from complaintdesk.kernel.ids import BIGINT_MAX

TEXT_LIMIT = 20_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProxyIn(Strict):
    """委托: the person filing on the complainant's behalf."""

    name: str = Field(min_length=1, max_length=120)
    phone: str | None = Field(None, max_length=40)
    relation: str | None = Field(None, max_length=60)


class ComplainantIn(Strict):
    name: str | None = Field(None, max_length=120)
    phone: str | None = Field(None, max_length=40, pattern=r"^[0-9+\-() ]{3,40}$")
    email: EmailStr | None = None
    id_number: str | None = Field(None, max_length=40)
    organisation: str | None = Field(None, max_length=200)
    address: str | None = Field(None, max_length=300)
    anonymous: bool = False
    proxy: ProxyIn | None = None


class ComplaintIn(Strict):
    # The limit here is generous; the domain gives the precise bilingual message.
    content: str = Field(max_length=TEXT_LIMIT * 2)
    title: str = Field("", max_length=600)
    channel: Channel = Channel.API
    complained_unit_name: str | None = Field(None, max_length=200)
    complained_person: str | None = Field(None, max_length=120)
    complainant: ComplainantIn | None = None
    consent_publish: bool = False
    received_at: datetime | None = None
    owner_unit_id: int | None = Field(None, ge=1, le=BIGINT_MAX)
    importance: Importance | None = None


class PublicComplaintIn(Strict):
    content: str = Field(max_length=TEXT_LIMIT * 2)
    title: str = Field("", max_length=600)
    complained_unit_name: str | None = Field(None, max_length=200)
    complained_person: str | None = Field(None, max_length=120)
    complainant: ComplainantIn | None = None
    consent_publish: bool = False


class UnitRef(BaseModel):
    id: int
    name: str | None


class ComplaintOut(BaseModel):
    id: int
    tracking_no: str
    status: str
    channel: str
    title: str
    content: str | None
    summary: str
    complained_unit_name: str | None
    complained_person: str | None
    complainant: dict[str, Any] | None
    consent_publish: bool
    importance: str
    category: str | None
    department_label: str | None
    triage: dict[str, Any] | None
    owner_unit: UnitRef
    handling_unit: UnitRef | None
    dispatch_mode: str | None
    received_at: datetime
    due_at: datetime | None
    overdue: bool
    overdue_level: int = Field(description="0 正常 / 1 已催办 / 2 已督办 / 3 挂牌督办")
    calendar_warning: str | None = Field(
        None, description="日历未知时的提示 / set when the deadline assumed Monday–Friday"
    )
    closed_at: datetime | None
    extension_days: int
    extension_pending_days: int
    reopen_count: int
    return_count: int
    double_deduction: bool
    appeal_of_id: int | None
    repeat_of_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class FiledOut(BaseModel):
    id: int
    tracking_no: str
    query_code: str = Field(description="查询码：仅此一次显示 / shown once only")
    complaint: ComplaintOut | None


class ActionOut(BaseModel):
    id: int
    status: str
    version: int
    complaint: ComplaintOut | None = Field(
        description="null when the complaint has left your jurisdiction / 已移出您的辖区时为空"
    )


class ComplaintPage(BaseModel):
    items: list[ComplaintOut]
    next_cursor: str | None


class EventOut(BaseModel):
    id: int
    action: str
    at: datetime
    actor_id: int | None
    actor_name: str | None
    from_status: str | None
    to_status: str
    reason: str
    data: dict[str, Any]


# --- one body per action ------------------------------------------------------------


class ActionIn(Strict):
    expected_version: int | None = Field(
        None,
        ge=0,
        le=BIGINT_MAX,
        description="乐观锁：与当前版本不符则返回 409 / 409 if the complaint changed",
    )


class AcceptIn(ActionIn):
    category: str | None = Field(None, max_length=40)
    importance: Importance | None = None
    reason: str = Field("", max_length=2000)


class RejectIn(ActionIn):
    explanation: str = Field(max_length=4000)
    competent_authority: str = Field(max_length=200)


class HandOverIn(ActionIn):
    department: str = Field(max_length=200)
    reason: str = Field(max_length=2000)


class ResolveAtIntakeIn(ActionIn):
    resolution: str = Field(max_length=4000)
    level: int | None = Field(None, ge=1, le=2)


class DispatchIn(ActionIn):
    unit_id: int = Field(ge=1, le=BIGINT_MAX)
    mode: DispatchMode
    summary: str = Field("", max_length=4000)
    reason: str = Field("", max_length=2000)


class ClassifyIn(ActionIn):
    department_label: str = Field(min_length=1, max_length=80)


class ReasonIn(ActionIn):
    reason: str = Field(max_length=4000)


class OptionalReasonIn(ActionIn):
    reason: str = Field("", max_length=4000)


class NoteIn(ActionIn):
    note: str = Field(max_length=8000)


class ExtensionIn(ActionIn):
    working_days: int = Field(ge=1, le=20)
    reason: str = Field(max_length=2000)


class ReplyIn(ActionIn):
    reply: str = Field(max_length=8000)
    channel: str = Field(max_length=40, description="phone / sms / letter / email / visit")


class CallbackIn(ActionIn):
    outcome: CallbackOutcome
    unsolved_and_true: bool = False
    note: str = Field("", max_length=4000)


class AppealIn(Strict):
    reason: str = Field(max_length=TEXT_LIMIT)


class RevealIn(Strict):
    reason: str = Field(max_length=1000)


class StatusQueryIn(Strict):
    tracking_no: str = Field(min_length=4, max_length=32)
    query_code: str = Field(min_length=4, max_length=16)


class PublicAppealIn(StatusQueryIn):
    reason: str = Field(max_length=TEXT_LIMIT)
