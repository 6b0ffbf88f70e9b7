"""Reading the handling and callback pages' forms: the API's request bodies (``forms.BODIES``)
validated field by field, so a refusal names the field it belongs to, in Chinese first and
English; what was typed, to show it again; what changed when someone else acted first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.complaints import forms
from complaintdesk.complaints.vocabulary import ACTION_LABELS, STATUS_LABELS, Action, Status
from complaintdesk.kernel.errors import DomainError

FORM_LEVEL = "_form"

# Words of the aggregate's refusals that point at one field of the form.
_FIELD_WORDS: dict[str, tuple[str, ...]] = {
    "working_days": ("工作日",),
    "reason": ("理由",),
    "note": ("办理记录",),
    "facts": ("调查情况",),
    "finding": ("认定结论",),
    "reply": ("答复内容",),
    "channel": ("答复方式",),
    "report": ("书面报告",),
    "unsolved_and_true": ("属实",),
}


class FormErrors(DomainError):
    """The form breaks the body's schema; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors.values()))


@dataclass
class Validated:
    body: BaseModel | None
    errors: dict[str, str] = field(default_factory=dict)
    # Only the number of days was refused, for exceeding the most any complaint may ever be
    # extended by: the aggregate, the one place of the 30-working-day rule, says how many
    # this complaint may still ask for.
    beyond_cap: bool = False


def typed_values(action: Action, form: Any) -> dict[str, Any]:
    """What the person typed, to fill the form in again after a refusal."""
    out: dict[str, Any] = {}
    for f in forms.fields_of(action):
        if f.widget == "checkboxes":
            out[f.name] = list(form.getlist(f.name))
        elif f.widget == "checkbox":
            out[f.name] = f.name in form
        else:
            out[f.name] = str(form.get(f.name) or "")
    return out


def _message(error: Any) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "必填 / required"
    if kind == "string_too_long":
        n = ctx.get("max_length")
        return f"最多 {n} 个字 / at most {n} characters"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')} / at most {ctx.get('le')}"
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')} / at least {ctx.get('ge')}"
    if kind.startswith("int_"):
        return "请填写整数 / enter a whole number"
    if kind in ("enum", "literal_error"):
        return "请从选项中选择 / choose one of the options"
    return f"填写有误 / invalid: {error.get('msg', '')}"


def validate(action: Action, form: Any) -> Validated:
    """The form as the API's body for ``action``, or the bilingual message of each field."""
    data: dict[str, Any] = {}
    for f in forms.fields_of(action):
        if f.widget == "checkboxes":
            data[f.name] = form.getlist(f.name)
        elif f.widget == "checkbox":
            data[f.name] = f.name in form
        else:
            value = str(form.get(f.name) or "").strip()
            if value == "":
                continue  # a required field left empty is "required", not "invalid"
            data[f.name] = value
    version = str(form.get("expected_version") or "").strip()
    if version.isdigit():
        data["expected_version"] = int(version)
    try:
        return Validated(forms.BODIES[action].model_validate(data))
    except ValidationError as exc:
        errors: dict[str, str] = {}
        kinds: dict[str, str] = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error.get("loc") else FORM_LEVEL
            label = forms.FIELD_LABELS.get(name, (name, name))
            errors.setdefault(name, f"{label[0]}：{_message(error)}")
            kinds.setdefault(name, error.get("type", ""))
        beyond = (
            action is Action.REQUEST_EXTENSION
            and set(errors) == {"working_days"}
            and kinds["working_days"] == "less_than_equal"
        )
        return Validated(None, errors, beyond)


def field_of_message(action: Action, message: str) -> str:
    """The field of the form a refusal from the use case is about (else the whole form)."""
    for f in forms.fields_of(action):
        if any(word in message for word in _FIELD_WORDS.get(f.name, ())):
            return f.name
    return FORM_LEVEL


def conflict_note(view: dict[str, Any], timeline: list[dict[str, Any]], lang: str) -> str:
    """What changed, for a person whose action lost to someone else's: the status now and
    the last step taken, by whom, when."""
    zh_status, en_status = STATUS_LABELS[Status(view["status"])]
    last = timeline[-1] if timeline else None
    if lang == "en":
        text = f"It is now “{en_status}” (version {view['version']})."
        if last is not None:
            who = last["actor_name"] or "the system"
            step = str(last["action"]).replace("_", " ")
            text += f" Last step: {step} by {who} at {_local(last['at'])}."
        return text + " What you typed is kept below: check it and retry."
    text = f"现在的状态是“{zh_status}”（版本 {view['version']}）。"
    if last is not None:
        who = last["actor_name"] or "系统"
        try:
            step = ACTION_LABELS[Action(last["action"])]
        except ValueError:
            step = str(last["action"])
        text += f"最近一步：{who}于{_local(last['at'])}“{step}”。"
    return text + "您填写的内容已保留在下方，核对后可重试。"


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
