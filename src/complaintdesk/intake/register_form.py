"""The operator's registration form (登记, SPEC §1): what was typed, checked field by field.

:func:`read` turns the posted fields into a :class:`Registration` — the complaint to file and
the decision to take on it in the same unit of work — or a dict of bilingual errors keyed
by field, so the page can show each error next to its field and keep every typed value.
The group rule (≤ 3 representatives) is the intake service's own :func:`check_group`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import (
    AcceptComplaint,
    Command,
    HandOverComplaint,
    RejectComplaint,
    ResolveAtIntake,
)
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.complaints.vocabulary import (
    MAX_REPRESENTATIVES,
    Action,
    Channel,
    Importance,
)
from complaintdesk.intake import attachments
from complaintdesk.intake import service as intake
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.triage.entities import id_checksum_ok

# The channels an operator registers by hand (web, API and import file themselves).
CHANNELS: tuple[tuple[Channel, str, str], ...] = (
    (Channel.PHONE, "来电", "Phone"),
    (Channel.WALK_IN, "来访", "Walk-in"),
    (Channel.LETTER, "来信", "Letter"),
    (Channel.EMAIL, "电子邮件", "E-mail"),
)
# The four ways to save (SPEC §2): each files the complaint and takes this action on it.
DECISIONS: tuple[tuple[Action, str, str], ...] = (
    (Action.ACCEPT, "保存并受理", "Save and accept"),
    (Action.REJECT, "不予受理", "Not accept"),
    (Action.HAND_OVER, "移交", "Hand over"),
    (Action.RESOLVE_AT_INTAKE, "受理即办结", "Resolve at intake"),
)
TEXT_FIELDS = (
    "channel",
    "name",
    "phone",
    "id_number",
    "address",
    "email",
    "proxy_name",
    "proxy_phone",
    "proxy_relation",
    "member_count",
    "complained_unit_name",
    "complained_person",
    "title",
    "content",
    "importance",
    "decision",
    "reject_explanation",
    "reject_authority",
    "handover_department",
    "handover_reason",
    "resolution",
)
FLAGS = ("anonymous", "is_proxy", "is_group")
# Generous bounds; the domain (clean_text) gives the precise message for the letter itself.
MAX_CHARS = {
    "name": 120,
    "phone": 40,
    "id_number": 40,
    "address": 300,
    "email": 200,
    "proxy_name": 120,
    "proxy_phone": 40,
    "proxy_relation": 60,
    "complained_unit_name": 200,
    "complained_person": 120,
    "title": 300,
    "content": 40_000,
    "reject_explanation": 2_000,
    "reject_authority": 200,
    "handover_department": 200,
    "handover_reason": 2_000,
    "resolution": 4_000,
}
_PHONE = re.compile(r"^[0-9+\-() ]{3,40}$")
_ID = re.compile(r"^(\d{15}|\d{17}[\dXx])$")
# Rows a browser may post; the 4th and later are refused by the rule, this only bounds parsing.
_MAX_ROWS = 20


@dataclass(frozen=True)
class Registration:
    intake: intake.Intake
    decision: Command
    action: Action

    @property
    def steps(self) -> tuple[Command, ...]:
        """The commands to perform after filing: resolving at intake accepts first, as the
        transition table requires (受理 → 受理即办结)."""
        if self.action is Action.RESOLVE_AT_INTAKE:
            return (AcceptComplaint(), self.decision)
        return (self.decision,)


def values_of(form: Mapping[str, Any], getlist: Any) -> dict[str, Any]:
    """Every typed value, as the page shows it again (representatives as rows)."""
    values: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        raw = form.get(name)
        # One past the limit, so that read() names the field instead of cutting it silently.
        values[name] = raw[: MAX_CHARS.get(name, 64) + 1] if isinstance(raw, str) else ""
    for flag in FLAGS:
        values[flag] = str(form.get(flag) or "") in {"1", "true", "on"}
    names, phones, ids = (
        [str(v)[:120] for v in getlist(f)][:_MAX_ROWS]
        for f in ("rep_name", "rep_phone", "rep_id_number")
    )
    rows = []
    for i in range(max(len(names), len(phones), len(ids))):
        row = {
            "name": names[i] if i < len(names) else "",
            "phone": phones[i] if i < len(phones) else "",
            "id_number": ids[i] if i < len(ids) else "",
        }
        if any(v.strip() for v in row.values()):
            rows.append(row)
    values["representatives"] = rows
    return values


def read(values: Mapping[str, Any], uploads: Sequence[attachments.Upload]) -> Registration:
    """The registration the values describe; :class:`FormErrors` names every bad field."""
    errors: dict[str, str] = {}
    for name, limit in MAX_CHARS.items():
        if len(values.get(name) or "") > limit:
            errors[name] = f"最多{limit}个字 / at most {limit} characters"
    channel = _channel(values, errors)
    complainant = _complainant(values, errors)
    group = _group(values, errors)
    content = (values.get("content") or "").strip()
    if not content:
        errors["content"] = "请填写投诉内容 / enter what the complaint is about"
    action, decision = _decision(values, errors)
    importance = values.get("importance") or ""
    if importance and importance not in {i.value for i in Importance}:
        errors["importance"] = "重要程度无效 / choose ordinary or important"
    if errors:
        raise FormErrors(errors)
    assert channel is not None and action is not None and decision is not None
    command = svc.FileComplaint(
        content=content,
        title=(values.get("title") or "").strip(),
        channel=channel,
        complained_unit_name=(values.get("complained_unit_name") or "").strip() or None,
        complained_person=(values.get("complained_person") or "").strip() or None,
        complainant=complainant,
        importance=Importance(importance) if importance else None,
    )
    return Registration(
        intake=intake.Intake(
            complaint=command, group=group, uploads=tuple(uploads), attachment_source="upload"
        ),
        decision=decision,
        action=action,
    )


class FormErrors(InvalidInput):
    """Bad input in one or more fields: ``errors`` maps each field to its bilingual message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


def _channel(values: Mapping[str, Any], errors: dict[str, str]) -> Channel | None:
    allowed = {c.value: c for c, _zh, _en in CHANNELS}
    channel = allowed.get(values.get("channel") or "")
    if channel is None:
        errors["channel"] = "请选择来源渠道 / choose how the complaint came in"
    return channel


def _phone(value: str, field: str, errors: dict[str, str]) -> str | None:
    value = value.strip()
    if value and not _PHONE.match(value):
        errors[field] = "电话号码格式不正确 / the phone number is not valid"
    return value or None


def _complainant(values: Mapping[str, Any], errors: dict[str, str]) -> NewComplainant | None:
    """The identity vault's entry. Anonymous: no name, ID number, address or e-mail is kept —
    only a phone, if the caller leaves one for the answer (SPEC §1: flagged, still accepted)."""
    anonymous = bool(values.get("anonymous"))
    phone = _phone(values.get("phone") or "", "phone", errors)
    proxy = None
    if values.get("is_proxy"):
        proxy_name = (values.get("proxy_name") or "").strip()
        if not proxy_name:
            errors["proxy_name"] = "请填写受托人姓名 / enter the proxy's name"
        proxy = {
            "name": proxy_name,
            "phone": _phone(values.get("proxy_phone") or "", "proxy_phone", errors),
            "relation": (values.get("proxy_relation") or "").strip() or None,
        }
    if anonymous:
        return NewComplainant(phone=phone, anonymous=True, proxy=proxy)
    name = (values.get("name") or "").strip() or None
    id_number = (values.get("id_number") or "").strip().upper() or None
    if id_number and not (
        _ID.match(id_number) and (len(id_number) == 15 or id_checksum_ok(id_number))
    ):
        errors["id_number"] = "身份证号码不正确 / the ID number is not valid"
    email = (values.get("email") or "").strip() or None
    if email and ("@" not in email or " " in email):
        errors["email"] = "电子邮箱格式不正确 / the e-mail address is not valid"
    address = (values.get("address") or "").strip() or None
    if not (name or phone or id_number or email or address or proxy):
        return None
    return NewComplainant(
        name=name, phone=phone, email=email, id_number=id_number, address=address, proxy=proxy
    )


def _group(values: Mapping[str, Any], errors: dict[str, str]) -> intake.Group | None:
    if not values.get("is_group"):
        return None
    rows = list(values.get("representatives") or [])
    try:
        count = int((values.get("member_count") or "").strip())
    except ValueError:
        errors["member_count"] = "请填写投诉人数（整数） / enter how many people complain"
        count = max(2, len(rows))
    reps = []
    for n, row in enumerate(rows, start=1):
        if not row["name"].strip():
            errors["representatives"] = f"第{n}名代表未填写姓名 / representative {n} has no name"
        phone = _phone(row["phone"], "representatives", errors)
        reps.append(intake.Representative(row["name"], phone, row["id_number"].strip() or None))
    group = intake.Group(member_count=count, representatives=tuple(reps))
    if "representatives" not in errors:
        try:
            intake.check_group(group)  # the one rule: at most MAX_REPRESENTATIVES, named
        except InvalidInput as exc:
            field = "representatives" if len(reps) > MAX_REPRESENTATIVES or not reps else None
            errors[field or "member_count"] = str(exc)
    return group


def _decision(
    values: Mapping[str, Any], errors: dict[str, str]
) -> tuple[Action | None, Command | None]:
    def required(field: str, zh: str, en: str) -> str:
        text = (values.get(field) or "").strip()
        if not text:
            errors[field] = f"请填写{zh} / enter the {en}"
        return text

    chosen = values.get("decision") or ""
    if chosen == Action.ACCEPT.value:
        return Action.ACCEPT, AcceptComplaint()
    if chosen == Action.REJECT.value:
        explanation = required("reject_explanation", "不予受理说明", "explanation")
        authority = required("reject_authority", "有权处理的机关", "competent authority")
        return Action.REJECT, RejectComplaint(
            explanation=explanation, competent_authority=authority
        )
    if chosen == Action.HAND_OVER.value:
        department = required("handover_department", "接收部门", "receiving department")
        reason = required("handover_reason", "移交理由", "reason for the hand-over")
        return Action.HAND_OVER, HandOverComplaint(department=department, reason=reason)
    if chosen == Action.RESOLVE_AT_INTAKE.value:
        resolution = required("resolution", "当场答复的内容", "answer given")
        return Action.RESOLVE_AT_INTAKE, ResolveAtIntake(resolution=resolution)
    errors["decision"] = "请选择保存方式 / choose how to save"
    return None, None
