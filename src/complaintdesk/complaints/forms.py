"""Action forms generated from the API's request bodies, so the page and the API accept
exactly the same input and give the same bilingual errors."""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError

from complaintdesk.complaints import schemas_decisions as sh
from complaintdesk.complaints.actions import ACTION_ROUTES
from complaintdesk.complaints.findings import FACTOR_LABELS, FINDING_LABELS
from complaintdesk.complaints.vocabulary import Action
from complaintdesk.kernel.errors import InvalidInput

BODIES: dict[Action, type[BaseModel]] = {a: body for a, _p, body, _s in ACTION_ROUTES}
BODIES[Action.SIGN_OFF] = sh.SignOffIn
BODIES[Action.TAKE_OVER] = sh.TakeOverIn

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "category": ("分类", "Category"),
    "importance": ("重要程度", "Importance"),
    "reason": ("理由", "Reason"),
    "explanation": ("不予受理说明", "Explanation"),
    "competent_authority": ("有权处理机关", "Competent authority"),
    "department": ("接收部门", "Receiving department"),
    "resolution": ("处理结果", "Resolution"),
    "level": ("预处理级别", "Pre-processing level"),
    "unit_id": ("承办单位", "Handling unit"),
    "mode": ("办理方式", "Mode"),
    "summary": ("转办摘要（不含投诉人信息）", "Transfer summary (no complainant data)"),
    "note": ("办理记录", "Note"),
    "working_days": ("延期工作日", "Working days"),
    "reply": ("答复内容", "Reply"),
    "channel": ("答复方式", "Reply channel"),
    "outcome": ("回访结果", "Outcome"),
    "unsolved_and_true": ("问题未解决且属实（重办，双倍扣分）", "Unsolved and true (reopen)"),
    "instruction": ("批示意见", "Instruction"),
    "opinion": ("签批意见", "Opinion"),
    "upheld": ("退单成立", "The return stands"),
    "finding": ("认定结论", "Finding"),
    "facts": ("调查情况", "Facts found"),
    "leniency": ("从轻情节", "Leniency factors"),
    "aggravating": ("从重情节", "Aggravating factors"),
    "report": ("书面报告", "Written report"),
}
CHOICE_LABELS: dict[str, tuple[str, str]] = {
    "self_handle": ("自办", "self-handle"),
    "transfer": ("转办", "transfer"),
    "ordinary": ("一般", "ordinary"),
    "important": ("重要", "important"),
    "satisfied": ("满意", "satisfied"),
    "basically_satisfied": ("基本满意", "basically satisfied"),
    "unsatisfied": ("不满意", "unsatisfied"),
    "unreachable": ("无法联系", "unreachable"),
    **FINDING_LABELS,
    **FACTOR_LABELS,
}
REPLY_CHANNELS = [
    ("phone", "电话", "phone"),
    ("sms", "短信", "SMS"),
    ("letter", "书面", "letter"),
    ("email", "电子邮件", "e-mail"),
    ("visit", "当面", "in person"),
]


@dataclass
class FormField:
    name: str
    label: tuple[str, str]
    widget: str  # text, textarea, number, select, checkbox, checkboxes, unit
    required: bool
    choices: list[tuple[str, str, str]] = field(default_factory=list)


def _enum_of(annotation: Any) -> type[Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    for arg in typing.get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, Enum):
            return arg
    return None


def _choices(enum: type[Enum]) -> list[tuple[str, str, str]]:
    out = []
    for member in enum:
        zh, en = CHOICE_LABELS.get(member.value, (member.value, member.value))
        out.append((member.value, zh, en))
    return out


def fields_of(action: Action) -> list[FormField]:
    body = BODIES[action]
    out = []
    for name, info in body.model_fields.items():
        if name == "expected_version":
            continue
        annotation = info.annotation
        label = FIELD_LABELS.get(name, (name, name))
        required = info.is_required()
        origin = typing.get_origin(annotation)
        if name == "unit_id":
            out.append(FormField(name, label, "unit", required))
        elif name == "channel" and action is Action.REPLY:
            out.append(FormField(name, label, "select", True, REPLY_CHANNELS))
        elif origin is list:
            enum = _enum_of(typing.get_args(annotation)[0])
            out.append(FormField(name, label, "checkboxes", False, _choices(enum) if enum else []))
        elif annotation is bool:
            out.append(FormField(name, label, "checkbox", False))
        elif (enum := _enum_of(annotation)) is not None:
            optional = origin in (typing.Union, types.UnionType)
            choices = ([("", "—", "—")] if optional else []) + _choices(enum)
            out.append(FormField(name, label, "select", required, choices))
        elif annotation in (int, int | None):
            out.append(FormField(name, label, "number", required))
        else:
            limit = next((m.max_length for m in info.metadata if hasattr(m, "max_length")), 0)
            widget = "textarea" if (limit or 0) > 300 else "text"
            out.append(FormField(name, label, widget, required))
    return out


def parse(action: Action, form: Any) -> BaseModel:
    """The posted form as the API body; errors as the domain's bilingual InvalidInput."""
    data: dict[str, Any] = {}
    for f in fields_of(action):
        if f.widget == "checkboxes":
            data[f.name] = form.getlist(f.name)
        elif f.widget == "checkbox":
            data[f.name] = f.name in form
        else:
            value = (form.get(f.name) or "").strip()
            if value == "" and not f.required:
                continue
            data[f.name] = value
    version = (form.get("expected_version") or "").strip()
    if version.isdigit():
        data["expected_version"] = int(version)
    try:
        return BODIES[action].model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{FIELD_LABELS.get(str(e['loc'][0]), (str(e['loc'][0]),))[0]}: {e['msg']}"
            for e in exc.errors()
            if e.get("loc")
        )
        raise InvalidInput(f"请检查填写内容 / please check the form: {problems}") from None


def action_label(value: str, lang: str) -> str:
    from complaintdesk.complaints.vocabulary import ACTION_LABELS

    try:
        action = Action(value)
    except ValueError:
        return value
    return action.value.replace("_", " ") if lang == "en" else ACTION_LABELS[action]
