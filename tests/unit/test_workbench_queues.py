"""The role homes' queue table: every queue belongs to a role, every section's queue exists,
and "due within 2 working days" ends with the second working day after today."""

from __future__ import annotations

from datetime import datetime

from complaintdesk.clock.calendar import ChineseWorkingCalendar
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.org.model import Actor, Role
from complaintdesk.workbench import queues


def actor(*roles: Role) -> Actor:
    return Actor(1, "u", "U", frozenset(roles), 1, "/1/")


def test_every_queue_is_in_a_section_and_every_section_queue_exists() -> None:
    in_sections = [key for s in queues.SECTIONS for key in s.queues]
    assert sorted(in_sections) == sorted(queues.QUEUES)
    assert len(in_sections) == len(set(in_sections))


def test_every_role_has_a_section() -> None:
    covered = {role for s in queues.SECTIONS for role in s.roles}
    assert covered == set(Role)


def test_a_user_with_two_roles_gets_two_sections_and_telecom_only_for_telecom_staff() -> None:
    both = queues.sections_for(actor(Role.INTAKE_OPERATOR, Role.DISPATCHER), telecom_staff=False)
    assert [s.key for s in both] == ["operator", "dispatcher"]
    assert "telecom_level1" not in both[0].queues
    telecom = queues.sections_for(actor(Role.INTAKE_OPERATOR), telecom_staff=True)
    assert "telecom_level1" in telecom[0].queues


def test_due_soon_runs_to_the_end_of_the_second_working_day() -> None:
    friday = datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI)
    moment = queues.Moment.at(friday, ChineseWorkingCalendar())
    assert moment.soon_until == datetime(2026, 12, 8, 23, 59, 59, tzinfo=SHANGHAI)  # Tuesday


def test_a_row_opens_the_page_of_the_roles_job() -> None:
    assert queues.QUEUES["to_sign_for"].href(7) == "/staff/complaints/7/handle"
    assert queues.QUEUES["to_sign_off"].href(7) == "/staff/complaints/7/dispatch"
    assert queues.QUEUES["to_call_back"].href(7) == "/staff/complaints/7/callback"
    assert queues.QUEUES["to_accept"].href(7) == "/staff/complaints/7"
