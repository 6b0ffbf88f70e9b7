"""Every role × every complaint endpoint × own / other unit, with the exact answer.

The complaint is filed at the prefecture centre and transferred to the housing bureau.
Each role has one user at the centre (the owning unit, above the bureau), one at the
housing bureau (the handling unit) and one at the education bureau (another unit).

  A  allowed: the request gets past authorisation (2xx, or 409/422 from the state rules)
  F  forbidden: 403
  N  not found: 404 — a unit that may not see the complaint is not told it exists

Columns, in order: intake_operator, dispatcher, handler, supervisor, callback_auditor,
leader, deputy_director, evaluator, admin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.api import ACTION_ROUTES
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.vocabulary import Action, DispatchMode
from complaintdesk.org import auth
from complaintdesk.org.model import Role
from tests.conftest import Api

ROLES = [
    Role.INTAKE_OPERATOR,
    Role.DISPATCHER,
    Role.HANDLER,
    Role.SUPERVISOR,
    Role.CALLBACK_AUDITOR,
    Role.LEADER,
    Role.DEPUTY_DIRECTOR,
    Role.EVALUATOR,
    Role.ADMIN,
]
POSITIONS = {"centre": "centre", "housing": "housing", "other": "education"}
NONE_SEEN = "NNNNNNNNN"
ALL = "AAAAAAAAA"
NO_ONE = "FFFFFFFFF"

#  endpoint              centre       housing      other (education bureau)
MATRIX: dict[str, tuple[str, str, str]] = {
    "GET complaint": (ALL, ALL, NONE_SEEN),
    "GET events": (ALL, ALL, NONE_SEEN),
    "GET list": (ALL, ALL, NONE_SEEN),  # N here: the complaint is not in the list
    "accept": ("AAFFFAFFA", NO_ONE, NONE_SEEN),
    "reject": ("AAFFFAFFA", NO_ONE, NONE_SEEN),
    "hand-over": ("FAFFFAFFA", NO_ONE, NONE_SEEN),
    "start-preprocessing": ("AAFFFAFFA", NO_ONE, NONE_SEEN),
    "resolve-at-intake": ("AAFFFAFFA", NO_ONE, NONE_SEEN),
    "dispatch": ("FAFFFAFFA", NO_ONE, NONE_SEEN),
    "return": ("FFAFFAFFA", "FFAFFAFFA", NONE_SEEN),
    "receive": ("FFAFFAFFA", "FFAFFAFFA", NONE_SEEN),
    "start-handling": ("FFAFFAFFA", "FFAFFAFFA", NONE_SEEN),
    "notes": ("AAAAAAFFA", "AAAAAAFFA", NONE_SEEN),
    "request-extension": ("FFAFFFFFA", "FFAFFFFFA", NONE_SEEN),
    "approve-extension": ("FFFFFAFFA", NO_ONE, NONE_SEEN),
    "refuse-extension": ("FFFFFAFFA", NO_ONE, NONE_SEEN),
    "reply": ("FFAFFAFFA", "FFAFFAFFA", NONE_SEEN),
    "start-callback": ("FFFFAFFFA", NO_ONE, NONE_SEEN),
    "callback": ("FFFFAFFFA", NO_ONE, NONE_SEEN),
    "archive": ("AAFFAFFFA", NO_ONE, NONE_SEEN),
    "instruct": ("FFFFFAAFA", NO_ONE, NONE_SEEN),
    "rule-on-return": ("FFFFFAAFA", NO_ONE, NONE_SEEN),
    "findings": ("FFAFFAFFA", "FFAFFAFFA", NONE_SEEN),
    "report": ("FFAFFAFFA", "FFAFFAFFA", NONE_SEEN),
    "sign-off": ("FFFFFAAFA", NO_ONE, NONE_SEEN),
    "take-over": ("FAFFFAFFA", NO_ONE, NONE_SEEN),
    "reveal-identity": ("AAFFFAFFA", NO_ONE, NONE_SEEN),
    "appeal": ("AAFFFFFFA", NO_ONE, NONE_SEEN),
    "classify": ("AAFFFAFFA", NO_ONE, NONE_SEEN),
    # Administration is by role alone, wherever the user sits.
    "admin create user": ("FFFFFFFFA",) * 3,
    "admin verify audit": ("FFFFFFFAA",) * 3,
}

BODIES: dict[str, dict[str, Any]] = {
    "accept": {},
    "reject": {"explanation": "不属于受理范围", "competent_authority": "信访局"},
    "hand-over": {"department": "信访局", "reason": "非效能问题"},
    "start-preprocessing": {},
    "resolve-at-intake": {"resolution": "当场解答"},
    "dispatch": {"unit_id": 0, "mode": "transfer", "summary": "摘要"},
    "return": {"reason": "非本单位职责"},
    "receive": {},
    "start-handling": {},
    "notes": {"note": "已联系"},
    "request-extension": {"working_days": 5, "reason": "需现场核查"},
    "approve-extension": {},
    "refuse-extension": {"reason": "无需延期"},
    "reply": {"reply": "已答复", "channel": "phone"},
    "start-callback": {},
    "callback": {"outcome": "satisfied"},
    "archive": {},
    "instruct": {"instruction": "请依法办理"},
    "rule-on-return": {"upheld": True, "reason": "退单成立"},
    "findings": {"finding": "substantiated", "facts": "属实"},
    "report": {"report": "已整改"},
    "sign-off": {"mode": "transfer"},
    "take-over": {"reason": "提级"},
    "reveal-identity": {"reason": "回访需要"},
    "appeal": {"reason": "不服处理结果"},
    "classify": {"department_label": "城乡建设"},
}


def test_the_matrix_covers_every_complaint_action_endpoint() -> None:
    paths = {path for _a, path, _b, _s in ACTION_ROUTES}
    missing = sorted(paths - set(MATRIX))
    assert not missing, f"add a row to MATRIX for: {missing}"


@pytest.fixture
def matrix_users(container: Container, org: dict[str, Any]) -> dict[tuple[str, Role], str]:
    names: dict[tuple[str, Role], str] = {}
    shared = auth.hash_password("demo12345")
    with container.uow() as uow:
        for position, code in POSITIONS.items():
            for role in ROLES:
                username = f"m-{role.value}-{position}"
                auth.create_user(
                    uow,
                    username=username,
                    display_name=username,
                    password_hash=shared,
                    roles={role},
                    unit_id=org[code].id,
                )
                names[(position, role)] = username
        uow.commit()
    return names


def _transferred_complaint(container: Container, org: dict[str, Any]) -> int:
    now = container.clock.now()
    with container.uow() as uow:
        operator = auth.actor_for(uow, uow.users.by_username("operator"))  # type: ignore[arg-type]
        leader = auth.actor_for(uow, uow.users.by_username("leader"))  # type: ignore[arg-type]
        filed = svc.file_complaint(
            uow,
            svc.FileComplaint(content="窗口推诿", complainant=svc.NewComplainant(name="王小明")),
            actor=operator,
            now=now,
            calendar=container.calendar,
        )
        svc.perform(
            uow,
            operator,
            filed.id,
            command_for(Action.ACCEPT, {}),
            now=now,
            calendar=container.calendar,
        )
        handling.sign_off(
            uow,
            leader,
            filed.id,
            mode=DispatchMode.TRANSFER,
            unit_id=None,
            opinion="",
            now=now,
            calendar=container.calendar,
        )
        params = {"unit_id": org["housing"].id, "mode": "transfer", "summary": "摘要"}
        svc.perform(
            uow,
            leader,
            filed.id,
            command_for(Action.DISPATCH, params),
            now=now,
            calendar=container.calendar,
        )
    return filed.id


def _call(api: Api, user: str, endpoint: str, cid: int, org: dict[str, Any]) -> int:
    if endpoint == "GET complaint":
        return int(api.get(user, f"/api/v1/complaints/{cid}").status_code)
    if endpoint == "GET events":
        return int(api.get(user, f"/api/v1/complaints/{cid}/events").status_code)
    if endpoint == "GET list":
        listed = api.get(user, "/api/v1/complaints").json()["items"]
        return 200 if any(item["id"] == cid for item in listed) else 404
    if endpoint == "admin create user":
        body = {
            "username": f"new-{user}-{cid}",
            "password": "longenough1",
            "roles": ["handler"],
            "unit_id": org["housing"].id,
        }
        return int(api.post(user, "/api/v1/admin/users", json=body).status_code)
    if endpoint == "admin verify audit":
        return int(api.get(user, "/api/v1/admin/audit/verify").status_code)
    body = dict(BODIES[endpoint])
    if endpoint == "dispatch":
        body["unit_id"] = org["housing"].id
    return int(api.post(user, f"/api/v1/complaints/{cid}/{endpoint}", json=body).status_code)


def _verdict(status: int) -> str:
    if status == 403:
        return "F"
    if status == 404:
        return "N"
    assert status in (200, 201, 409, 422), status
    return "A"


def test_every_role_at_every_position_gets_exactly_the_expected_answer(
    api: Api,
    org: dict[str, Any],
    container: Container,
    matrix_users: dict[tuple[str, Role], str],
) -> None:
    fresh: Callable[[], int] = lambda: _transferred_complaint(container, org)  # noqa: E731
    mismatches = []
    for endpoint, expected_rows in MATRIX.items():
        cid = fresh()
        for (position, _code), expected in zip(POSITIONS.items(), expected_rows, strict=True):
            for role, want in zip(ROLES, expected, strict=True):
                status = _call(api, matrix_users[(position, role)], endpoint, cid, org)
                got = _verdict(status)
                if got != want:
                    mismatches.append(f"{endpoint} · {role.value}@{position}: {want} != {got}")
                if 200 <= status < 300 and not endpoint.startswith(("GET", "admin")):
                    cid = fresh()  # an action that went through changed the complaint
    assert not mismatches, "\n".join(mismatches)
