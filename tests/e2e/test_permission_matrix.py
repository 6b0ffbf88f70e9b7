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
from complaintdesk.demo.hotline import create_users
from complaintdesk.org import auth
from complaintdesk.org.model import Role
from complaintdesk.telecom import importers
from complaintdesk.telecom import knowledge as kb
from complaintdesk.telecom import preprocessing as pre
from complaintdesk.telecom.api import router as telecom_router
from complaintdesk.telecom.lookups import HttpAccountLookups
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
    "hand-over": ("AAFFFAFFA", NO_ONE, NONE_SEEN),
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
    with container.uow() as uow:
        names = _accounts(uow, "m", POSITIONS, org)
        uow.commit()
    return names


def _accounts(
    uow: Any, prefix: str, positions: dict[str, str], units: dict[str, Any]
) -> dict[tuple[str, Role], str]:
    """One account per role at each position (unit code), all with the demo password."""
    names = {
        (position, role): f"{prefix}-{role.value}-{position}"
        for position in positions
        for role in ROLES
    }
    specs = [(name, name, {role}, positions[position]) for (position, role), name in names.items()]
    create_users(uow, specs, units)
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


# --- telecom (SPEC §7) -------------------------------------------------------------------
#
# Positions: the province customer-support centre (the telecom root unit), the A city
# branch below it, and a county housing bureau in the hotline tree. The complaint is filed
# at the support centre and found a cause at level 1 (an alarm); "branch-reply" acts on one
# dispatched to the A branch and being handled there. Knowledge: the support centre's
# dispatchers and leaders keep it, the whole telecom tree reads it, the hotline tree does
# not; admins do everything but see no complaint outside their own subtree.

TELECOM_POSITIONS = {
    "support": "tc-province",
    "branch": "tc-branch-a",
    "hotline": "dongcheng-housing",
}
KEEPERS = ("FAFFFAFFA", "FFFFFFFFA", "FFFFFFFFA")
TELECOM_READERS = (ALL, ALL, "FFFFFFFFA")
LEVEL2 = ("FAFFFAFFA", "FNFFFNFFN", "FNFFFNFFN")

#  endpoint              support      branch       hotline (county housing bureau)
TELECOM_MATRIX: dict[str, tuple[str, str, str]] = {
    "POST complaints": ("AAFFFAFFA", "FFFFFFFFA", "FFFFFFFFA"),
    "GET complaint": (ALL, NONE_SEEN, NONE_SEEN),
    "GET queue": (ALL, NONE_SEEN, NONE_SEEN),  # N: not in the list
    "confirm-level1": ("AAFFFAFFA", NONE_SEEN, NONE_SEEN),
    "escalate": ("AAAAAAFFA", NONE_SEEN, NONE_SEEN),
    "resolve-level2": LEVEL2,
    "dispatch-branch": LEVEL2,
    "branch-reply": ("FFAFFAFFA", "FFAFFAFFA", NONE_SEEN),
    "GET review-queue": (ALL, ALL, ALL),  # each sees its own subtree's
    "review": LEVEL2,
    "improvements": ("FAFFFAFFA", "FAFFFAFFA", "FFFFFFFFA"),
    "sms": ("AAAFFAFFA", "NNNFFNFFN", "FFFFFFFFN"),
    "GET metrics": (ALL, ALL, ALL),  # figures of the viewer's subtree
    "GET alarms": TELECOM_READERS,
    "POST alarms": KEEPERS,
    "clear alarm": KEEPERS,
    "GET blind-spots": TELECOM_READERS,
    "POST blind-spots": KEEPERS,
    "GET scripts": TELECOM_READERS,
    "POST scripts": KEEPERS,
    "approve script": KEEPERS,
    "imports": KEEPERS,
}

# endpoint → (method, path under /api/v1/telecom, body)
TELECOM_CALLS: dict[str, tuple[str, str, Any]] = {
    "POST complaints": (
        "POST",
        "/complaints",
        {"content": "家里没有信号", "complainant": {"name": "李雷", "phone": "13900000000"}},
    ),
    "GET complaint": ("GET", "/complaints/{cid}", None),
    "GET queue": ("GET", "/queue?queue=level1", None),
    "confirm-level1": ("POST", "/complaints/{cid}/confirm-level1", {}),
    "escalate": ("POST", "/complaints/{cid}/escalate", {"reason": "用户不认可"}),
    "resolve-level2": (
        "POST",
        "/complaints/{cid}/resolve-level2",
        {"cause": "account", "resolution": "人工核实"},
    ),
    "dispatch-branch": ("POST", "/complaints/{cid}/dispatch-branch", {"unit_id": "{branch}"}),
    "branch-reply": (
        "POST",
        "/complaints/{cid}/branch-reply",
        {"reply": "已处理", "network_quality": True},
    ),
    "GET review-queue": ("GET", "/review-queue", None),
    "review": ("POST", "/complaints/{cid}/review", {"note": "复测", "improved": True}),
    "improvements": (
        "POST",
        "/improvements",
        {"area": "无此区域", "kind": "fix", "description": "优化", "template_id": "{template}"},
    ),
    "sms": ("POST", "/complaints/{cid}/sms", {"template_id": "{template}"}),
    "GET metrics": ("GET", "/metrics", None),
    "GET alarms": ("GET", "/alarms", None),
    "POST alarms": (
        "POST",
        "/alarms",
        [
            {
                "external_id": "ALM-POST",
                "site": "站",
                "areas": ["Y区"],
                "started_at": "2026-11-30T06:00:00+08:00",
            }
        ],
    ),
    "clear alarm": ("POST", "/alarms/{alarm}/clear", {}),
    "GET blind-spots": ("GET", "/blind-spots", None),
    "POST blind-spots": ("POST", "/blind-spots", [{"external_id": "BS-POST", "name": "Y区"}]),
    "GET scripts": ("GET", "/scripts", None),
    "POST scripts": (
        "POST",
        "/scripts",
        [
            {
                "external_id": "SC-POST",
                "title": "t",
                "keywords": ["zz-none"],
                "explanation": "e",
                "sms_template": "模板",
            }
        ],
    ),
    "approve script": ("POST", "/scripts/{template}/approve", None),
    "imports": ("POST", "/imports/alarms", None),
}
# Endpoints whose success changes the complaint (or uses up its SMS quota): a new one next.
CHANGES_THE_COMPLAINT = {
    "confirm-level1",
    "escalate",
    "resolve-level2",
    "dispatch-branch",
    "branch-reply",
    "review",
    "sms",
}
NO_LOOKUPS = HttpAccountLookups({}, timeout=0.2)  # every account system "not configured"


def test_the_telecom_matrix_covers_every_telecom_endpoint() -> None:
    routes = {
        (method, str(route.path).removeprefix("/api/v1/telecom"))  # type: ignore[attr-defined]
        for route in telecom_router.routes
        for method in route.methods  # type: ignore[attr-defined]
    }
    called = {(m, p.split("?")[0]) for m, p, _ in TELECOM_CALLS.values()}
    named = {
        (m, p.replace("{cid}", "{complaint_id}").replace("{alarm}", "{alarm_id}"))
        for m, p in called
    }
    named = {(m, p.replace("/scripts/{template}", "/scripts/{script_id}")) for m, p in named}
    named = {(m, p.replace("/imports/alarms", "/imports/{kind}")) for m, p in named}
    assert routes - named == set(), "add the endpoint to TELECOM_MATRIX and TELECOM_CALLS"
    assert set(TELECOM_CALLS) == set(TELECOM_MATRIX)


@pytest.fixture
def telecom_world(api: Api, container: Container, org: dict[str, Any]) -> dict[str, Any]:
    from complaintdesk.demo.telecom import build_telecom_org

    api.client.app.state.telecom_lookups = NO_LOOKUPS
    now = container.clock.now()
    root = container.settings.telecom_root_unit
    with container.uow() as uow:
        units = {**org, **build_telecom_org(uow)}
        names = _accounts(uow, "t", TELECOM_POSITIONS, units)
        uow.commit()
    knowledge = {
        "alarms": [
            {"external_id": "ALM-M", "site": "白鹭郡宏站", "areas": "A3区白鹭郡"},
            {"external_id": "ALM-CLEAR", "site": "Z站", "areas": "Z区"},
        ],
        "scripts": [
            {
                "external_id": "SC-M",
                "title": "受理告知",
                "keywords": "zz-never",
                "explanation": "告知 / notice",
                "sms_template": "您的投诉已受理（{tracking_no}）。",
            }
        ],
    }
    for row in knowledge["alarms"]:
        row["started_at"] = "2026-11-30 06:00"
    with container.uow() as uow:
        for kind, rows in knowledge.items():
            items = importers.parse_all(
                [importers.canonical(r) for r in rows], importers.PARSERS[kind]
            )
            upsert = kb.upsert_alarms if kind == "alarms" else kb.upsert_scripts
            upsert(uow, None, items, now, root_code=root)
        (template,) = (r.id for r in kb.list_scripts(uow, None, root_code=root))
        kb.approve_script(uow, None, template, root_code=root, now=now)
        alarm = next(
            r.id
            for r in kb.list_alarms(uow, None, root_code=root, active=True)
            if r.external_id == "ALM-CLEAR"
        )
    return {"users": names, "units": units, "template": template, "alarm": alarm}


def _telecom_complaint(container: Container, units: dict[str, Any], n: int, kind: str) -> int:
    """A complaint at level 1 (an alarm matched), or dispatched to branch A and in hand."""
    with container.uow() as uow:
        actors = {
            name: auth.actor_for(uow, uow.users.by_username(name))  # type: ignore[arg-type]
            for name in ("tc-operator", "tc-support", "tc-branch-a")
        }
    timing = container.timing()
    with container.uow() as uow:
        filed = pre.file_telecom_complaint(
            uow,
            NO_LOOKUPS,
            svc.FileComplaint(
                content="家里手机没有信号",
                complainant=svc.NewComplainant(name="李雷", phone=f"1350000{n:04d}"),
            ),
            pre.TelecomDetails(area="A3区白鹭郡"),
            actor=actors["tc-operator"],
            root_code=container.settings.telecom_root_unit,
            **timing,
        )
    if kind == "handling":
        with container.uow() as uow:
            pre.dispatch_to_branch(
                uow, actors["tc-support"], filed.id, unit_id=units["tc-branch-a"].id, **timing
            )
        for action in (Action.RECEIVE, Action.START_HANDLING):
            with container.uow() as uow:
                svc.perform(uow, actors["tc-branch-a"], filed.id, command_for(action, {}), **timing)
    return filed.id


def _fill_in(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _fill_in(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_in(v, ids) for v in value]
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def _telecom_call(api: Api, user: str, endpoint: str, ids: dict[str, Any]) -> int:
    method, path, body = TELECOM_CALLS[endpoint]
    url = "/api/v1/telecom" + path.format(**ids)
    if method == "GET":
        response = api.get(user, url)
        if endpoint == "GET queue" and response.status_code == 200:
            listed = [item["complaint_id"] for item in response.json()["items"]]
            return 200 if ids["cid"] in listed else 404
        return int(response.status_code)
    if endpoint == "imports":
        csv = "编号,站点,影响区域,开始时间\nALM-CSV,站,X区,2026-11-30 08:00\n".encode()
        return int(api.post(user, url, files={"file": ("a.csv", csv)}).status_code)
    return int(api.post(user, url, json=_fill_in(body, ids)).status_code)


def test_every_role_at_every_telecom_position_gets_exactly_the_expected_answer(
    api: Api, container: Container, telecom_world: dict[str, Any]
) -> None:
    units, users = telecom_world["units"], telecom_world["users"]
    counter = iter(range(10_000))

    def fresh(endpoint: str) -> int:
        kind = "handling" if endpoint == "branch-reply" else "level1"
        return _telecom_complaint(container, units, next(counter), kind)

    mismatches = []
    for endpoint, expected_rows in TELECOM_MATRIX.items():
        ids = {
            "cid": fresh(endpoint),
            "branch": units["tc-branch-a"].id,
            "template": telecom_world["template"],
            "alarm": telecom_world["alarm"],
        }
        for position, expected in zip(TELECOM_POSITIONS, expected_rows, strict=True):
            for role, want in zip(ROLES, expected, strict=True):
                status = _telecom_call(api, users[(position, role)], endpoint, ids)
                got = _verdict(status)
                if got != want:
                    mismatches.append(f"{endpoint} · {role.value}@{position}: {want} != {got}")
                if 200 <= status < 300 and endpoint in CHANGES_THE_COMPLAINT:
                    ids["cid"] = fresh(endpoint)
    assert not mismatches, "\n".join(mismatches)
