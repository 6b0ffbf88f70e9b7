"""The registration form's field checks and the suggestion preview's segments, no database."""

from __future__ import annotations

from typing import Any

import pytest

from complaintdesk.complaints.commands import AcceptComplaint, ResolveAtIntake
from complaintdesk.complaints.vocabulary import Action, Channel
from complaintdesk.intake import register_form as rf
from complaintdesk.intake.register_suggest import segments


class Form(dict[str, Any]):
    def getlist(self, name: str) -> list[str]:
        value = self.get(name, [])
        return value if isinstance(value, list) else [value]


def values(**fields: Any) -> dict[str, Any]:
    form = Form(
        {"channel": "letter", "content": "窗口人员推诿扯皮", "decision": "accept", **fields}
    )
    return rf.values_of(form, form.getlist)


def errors_of(**fields: Any) -> dict[str, str]:
    with pytest.raises(rf.FormErrors) as caught:
        rf.read(values(**fields), [])
    return caught.value.errors


def test_a_letter_with_a_name_and_phone_reads_as_an_accepted_filing() -> None:
    reg = rf.read(values(name=" 王小明 ", phone="138-1234-5678"), [])
    assert reg.action is Action.ACCEPT and reg.steps == (AcceptComplaint(),)
    assert reg.intake.complaint.channel is Channel.LETTER
    person = reg.intake.complaint.complainant
    assert person is not None and (person.name, person.phone) == ("王小明", "138-1234-5678")


def test_every_bad_field_is_named_at_once() -> None:
    errors = errors_of(
        channel="fax", content=" ", phone="abc", id_number="123", decision="resolve_at_intake"
    )
    assert set(errors) == {"channel", "content", "phone", "id_number", "resolution"}
    assert errors["resolution"].startswith("请填写当场答复的内容 / enter the answer given")


def test_resolving_at_intake_accepts_first() -> None:
    reg = rf.read(values(decision="resolve_at_intake", resolution="已当场答复"), [])
    assert reg.steps == (AcceptComplaint(), ResolveAtIntake(resolution="已当场答复"))


def test_it_refuses_a_fourth_representative_with_the_services_reason() -> None:
    reps = {"is_group": "1", "member_count": "12", "rep_name": ["甲", "乙", "丙", "丁"]}
    message = errors_of(**reps)["representatives"]
    assert message.startswith("群体投诉最多推选3名代表，本次填写了4名")
    assert "at most 3 representatives" in message
    three = rf.read(values(**{**reps, "rep_name": ["甲", "乙", "丙"]}), [])
    assert three.intake.group is not None and len(three.intake.group.representatives) == 3


def test_an_anonymous_complainant_keeps_only_a_phone() -> None:
    reg = rf.read(
        values(anonymous="1", name="王小明", id_number="110101199003070012", phone="13800000000"),
        [],
    )
    person = reg.intake.complaint.complainant
    assert person is not None and person.anonymous
    assert (person.name, person.id_number, person.phone) == (None, None, "13800000000")


def test_a_too_long_field_is_named_not_cut() -> None:
    assert "title" in errors_of(title="长" * 301)


def test_segments_mark_the_longest_phrase_and_keep_every_character() -> None:
    text = "住建局张科长说住建局不管"
    parts = segments(text, {"units": ["住建局"], "persons": ["张科长"], "scope": ["住建"]})
    assert "".join(p["text"] or "" for p in parts) == text
    marked = [(p["text"], p["kind"]) for p in parts if p["kind"]]
    assert marked == [("住建局", "units"), ("张科长", "persons"), ("住建局", "units")]
