"""SMS to telecom complainants (SPEC §7): approved templates only, a daily limit, audited.

Every SMS the telecom feature writes goes through :func:`queue_sms`: level 1's texts (built
by the platform from alarms, blind spots, account findings or an approved script), and
:func:`send_template` for what staff send by hand (level 2, branches, improvement notices).
A hand-sent SMS names an approved template and gives values for its declared placeholders
only; nobody types the text itself.

The limits count what the outbox already holds for the complaint and for the number since
midnight in Asia/Shanghai, so they hold across processes and workers. On PostgreSQL the
count and the insert run under one transaction-scoped advisory lock (SMS are rare and
human-paced; one lock for all of them is simpler than ordering per-number locks without
deadlocks); SQLite serialises writers with its database lock.
"""

from __future__ import annotations

import re
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, text

from complaintdesk.audit import service as audit
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.complaints.queries import ComplaintQueries
from complaintdesk.complaints.tables import ComplainantRow, ComplaintRow
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.errors import InvalidInput, PermissionDenied, QuotaExceeded
from complaintdesk.kernel.privacy import mask_phone
from complaintdesk.notify.tables import OutboxRow
from complaintdesk.org.model import Actor, Role
from complaintdesk.telecom import access
from complaintdesk.telecom.diagnosis import check_template
from complaintdesk.telecom.knowledge import telecom_root
from complaintdesk.telecom.tables import TelecomCaseRow, TelecomScriptRow

# Who may send a template SMS on a telecom complaint they can see.
SENDERS = frozenset({Role.INTAKE_OPERATOR, Role.DISPATCHER, Role.HANDLER, Role.LEADER})
# The platform fills these from the complaint; a sender may not.
PLATFORM_FIELDS = frozenset({"tracking_no"})
URL_SLOT = "url"  # the only placeholder whose value may be a link
VALUE_LIMIT = 40
URL_LIMIT = 200
_URL = re.compile(
    r"(?i)([a-z][a-z0-9+.-]*://|www\.|[a-z0-9-]+\.(com|cn|net|org|info|top|xyz|cc|io|me|vip"
    r"|site|online|link|shop|app|ly|to)\b)"
)
_URL_SLOT_VALUE = re.compile(r"^https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~%/?&=#+-]*)?$")
_LOCK_KEY = 7_012_001  # pg_advisory_xact_lock key of the SMS quota
FREE_TEXT_REFUSED = (
    "短信只能使用已审核的模板发送，不能填写自由文本 / free-text SMS is refused: pick an"
    " approved template and give values for its placeholders"
)


@dataclass(frozen=True)
class SmsLimits:
    per_complaint: int = 3
    per_number: int = 5


# --- rules: the template and its values --------------------------------------------------


def placeholders(template: str) -> frozenset[str]:
    check_template(template)
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _check_value(name: str, value: str) -> str:
    value = value.strip()
    if any(ch in value for ch in "\r\n\t") or not value.isprintable():
        raise InvalidInput(f"占位符 {name} 含控制字符 / placeholder {name}: control characters")
    if name == URL_SLOT:
        if len(value) > URL_LIMIT or not _URL_SLOT_VALUE.match(value):
            raise InvalidInput(
                f"链接须为不超过{URL_LIMIT}字符的 https 地址 / url: an https link of at most"
                f" {URL_LIMIT} characters"
            )
        return value
    if not value or len(value) > VALUE_LIMIT:
        raise InvalidInput(
            f"占位符 {name} 的值须为1至{VALUE_LIMIT}个字符 / placeholder {name}: 1 to"
            f" {VALUE_LIMIT} characters"
        )
    if _URL.search(value):
        raise InvalidInput(
            f"占位符 {name} 不能包含链接（模板无链接位）/ placeholder {name} may not hold a link:"
            " the template has no url slot"
        )
    return value


def fill(template: str, given: Mapping[str, str], platform: Mapping[str, str]) -> str:
    """The SMS text: ``template`` with its declared placeholders and nothing else.

    ``given`` are the sender's values (checked: declared, length-limited, no links outside
    the url slot); ``platform`` what the complaint knows (tracking number, area, handset).
    """
    declared = placeholders(template)
    unknown = sorted(set(given) - declared)
    if unknown:
        raise InvalidInput(
            f"模板未声明占位符 {unknown}，可填：{sorted(declared - PLATFORM_FIELDS)}"
            f" / the template declares no placeholder {unknown}"
        )
    forced = sorted(set(given) & PLATFORM_FIELDS)
    if forced:
        raise InvalidInput(f"{forced} 由系统填写 / {forced} are filled by the platform")
    values = {k: v for k, v in platform.items() if k in declared and v}
    values.update({k: _check_value(k, v) for k, v in given.items()})
    missing = sorted(declared - set(values))
    if missing:
        raise InvalidInput(f"缺少占位符的值 {missing} / values missing for {missing}")
    return template.format_map(values)


# --- the outbox ---------------------------------------------------------------------------


def _day_start(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(SHANGHAI).date(), time.min, tzinfo=SHANGHAI)


def _sent_since(uow: SqlUnitOfWork, since: datetime, condition: Any) -> int:
    stmt = select(func.count(OutboxRow.id)).where(
        OutboxRow.channel == "sms", OutboxRow.created_at >= since, condition
    )
    return int(uow.session.scalar(stmt) or 0)


def queue_sms(
    uow: SqlUnitOfWork,
    row: ComplaintRow,
    body: str,
    *,
    key: str,
    subject: str,
    actor_id: int | None,
    now: datetime,
    limits: SmsLimits,
    template_id: int | None = None,
) -> bool:
    """Write one SMS to the outbox in the caller's transaction, within the daily limits.

    False: the complainant left no number. :class:`QuotaExceeded` (HTTP 429): over a limit,
    nothing written."""
    person = uow.session.get(ComplainantRow, row.complainant_id) if row.complainant_id else None
    if person is None or not person.phone:
        return False
    if uow.session.get_bind().dialect.name == "postgresql":
        uow.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    since = _day_start(now)
    # The quota is new at the next Asia/Shanghai midnight (the 429's Retry-After).
    tomorrow = int((since + timedelta(days=1) - now).total_seconds()) + 1
    if _sent_since(uow, since, OutboxRow.complaint_id == row.id) >= limits.per_complaint:
        raise QuotaExceeded(
            f"该投诉今日已发送{limits.per_complaint}条短信，已达上限 / this complaint has had"
            f" its {limits.per_complaint} SMS for today",
            retry_after=tomorrow,
        )
    if _sent_since(uow, since, OutboxRow.recipient == person.phone) >= limits.per_number:
        raise QuotaExceeded(
            f"该号码今日已收到{limits.per_number}条短信，已达上限 / this number has had its"
            f" {limits.per_number} SMS for today",
            retry_after=tomorrow,
        )
    uow.session.add(
        OutboxRow(
            channel="sms",
            recipient=person.phone,
            subject=subject,
            body=body,
            complaint_id=row.id,
            dedup_key=key,
            created_at=now,
            next_attempt_at=now,
        )
    )
    uow.session.flush()  # the next count in this transaction sees it
    audit.record(
        uow,
        actor_id=actor_id,
        kind="telecom_sms_queued",
        at=now,
        complaint_id=row.id,
        detail={
            "template_id": template_id,
            "dedup_key": key,
            "recipient": mask_phone(person.phone),
            "chars": len(body),
        },
    )
    return True


def approved_template(uow: SqlUnitOfWork, template_id: int) -> TelecomScriptRow:
    row = uow.session.get(TelecomScriptRow, template_id)
    if row is None or not row.active or row.approved_at is None:
        raise InvalidInput(
            f"短信模板 {template_id} 不存在或未经审核 / SMS template {template_id} does not"
            " exist or is not approved"
        )
    return row


def require_sender(uow: SqlUnitOfWork, actor: Actor, root_code: str) -> None:
    """Telecom staff who take part in handling; the hotline tree never sends telecom SMS."""
    seat = access.standing(actor, telecom_root(uow, root_code))
    if seat is access.Standing.OUTSIDE or not (actor.is_admin or actor.roles & SENDERS):
        raise PermissionDenied("无权发送电信短信 / not allowed to send telecom SMS")


def send_template(
    uow: SqlUnitOfWork,
    actor: Actor,
    complaint_id: int,
    *,
    template_id: int,
    values: Mapping[str, str],
    root_code: str,
    limits: SmsLimits,
    now: datetime,
) -> dict[str, Any]:
    """Send an approved template to the complainant of a telecom complaint one can see."""
    require_sender(uow, actor, root_code)
    row = ComplaintQueries(uow.session).get_row(actor, complaint_id)  # jurisdiction: 404
    case = uow.session.get(TelecomCaseRow, complaint_id)
    if case is None:
        raise InvalidInput(
            f"投诉 {complaint_id} 不是电信预处理投诉 / complaint {complaint_id} is not a"
            " telecom pre-processing case"
        )
    template = approved_template(uow, template_id)
    body = fill(template.sms_template, values, platform_values(row, case))
    key = f"telecom:sms:{row.id}:{uuid.uuid4().hex}"
    queued = queue_sms(
        uow,
        row,
        body,
        key=key,
        subject="电信短信 / telecom SMS",
        actor_id=actor.user_id,
        now=now,
        limits=limits,
        template_id=template.id,
    )
    if not queued:
        raise InvalidInput("投诉人未留手机号码 / the complainant left no phone number")
    uow.commit()
    return {"complaint_id": row.id, "template_id": template.id, "body": body, "queued": True}


def platform_values(row: ComplaintRow, case: TelecomCaseRow, **extra: str) -> dict[str, str]:
    return {
        "tracking_no": row.tracking_no,
        "area": case.area,
        "model": case.handset_model,
        "os": case.os,
        **extra,
    }
