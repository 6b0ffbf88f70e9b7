"""Schemathesis against the OpenAPI schema, on PostgreSQL, signed in as several roles.

Every operation gets generated requests — valid ones and ones that break the schema — sent by
an admin, an intake operator, a dispatcher, a county handling unit and anonymously in turn.
None may answer 5xx: bad input is a 4xx with a bilingual message. The schema declares no
OpenAPI links, so there is no stateful run; the database holds the demo org and a few
complaints so that generated ids sometimes hit real rows.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import text

from complaintdesk.bootstrap import bootstrap
from complaintdesk.complaints import service as svc
from complaintdesk.config import Settings
from complaintdesk.demo.hotline import DEMO_PASSWORD, build_org, build_users
from complaintdesk.http.app import create_app
from complaintdesk.kernel.time import FixedClock
from complaintdesk.org import auth
from tests.conftest import START, pg_database

ROLES = ["admin", "operator", "dispatcher", "operator-dongcheng", None]
EXAMPLES_PER_OPERATION = 30  # x 98 operations x 2 modes: over 5,000 requests
SENT: Counter[str] = Counter()
MODES_RUN: set[GenerationMode] = set()  # so the count is checked only after a whole run


@pytest.fixture(scope="module")
def site(pytestconfig: pytest.Config) -> Iterator[dict[str, Any]]:
    with pg_database() as url:
        yield from _site(url, pytestconfig)


def _site(url: str, pytestconfig: pytest.Config) -> Iterator[dict[str, Any]]:
    container = bootstrap(
        Settings(
            database_url=url,
            demo_mode=True,
            filing_rate_limit=1_000_000,
            status_rate_limit=1_000_000,
            login_rate_limit=1_000_000,
        ),
        clock=FixedClock(START),
    )
    with container.uow() as uow:
        units = build_org(uow)
        build_users(uow, units)
        uow.commit()
        operator = auth.actor_for(uow, uow.users.by_username("operator"))  # type: ignore[arg-type]
        for n in range(3):
            svc.file_complaint(
                uow,
                svc.FileComplaint(
                    content=f"小区门口路灯坏了{n + 1}个月没人修，电话13812345678",
                    complainant=svc.NewComplainant(name="王小明", phone="13812345678"),
                ),
                actor=operator,
                **container.timing(),
            )
    app = create_app(container)
    from fastapi.testclient import TestClient

    client = TestClient(app)
    tokens = {}
    for username in ROLES:
        if username is None:
            continue
        reply = client.post(
            "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
        )
        assert reply.status_code == 200, reply.text
        tokens[username] = reply.json()["access_token"]
    yield {"app": app, "tokens": tokens, "roles": itertools.cycle(ROLES), "container": container}
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nschemathesis: {sum(SENT.values())} requests over {len(SENT)} operations")
    container.engine.dispose()


def _send(case: Any, site: dict[str, Any]) -> None:
    role = next(site["roles"])
    headers = {"Authorization": f"Bearer {site['tokens'][role]}"} if role else {}
    response = case.call(headers=headers)
    SENT[f"{case.method} {case.path}"] += 1
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} as {role}: {response.status_code}"
        f" {response.text[:500]}"
    )
    if response.status_code >= 400 and "json" in response.headers.get("content-type", ""):
        body = response.json()
        # Refusals explain themselves (the error envelope, or FastAPI's own 405/404 detail).
        assert isinstance(body, dict) and (body.get("error") or body.get("detail")), body


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(
    site: dict[str, Any], mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", site["app"])
    # Signing out would end the very tokens the run signs in with.
    schema = schema.exclude(path_regex=r"/auth/logout$")
    operations = [result.ok() for result in schema.get_all_operations()]
    MODES_RUN.add(mode)
    assert len(operations) > 90
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def run(case: Any) -> None:
            _send(case, site)

        try:
            run()
        except Unsatisfiable:
            # Nothing can break this operation's schema (no parameters, no body): the
            # positive run covered it.
            assert mode is GenerationMode.NEGATIVE, operation.label


def test_the_fuzzed_database_is_still_consistent(site: dict[str, Any]) -> None:
    """After the run: the audit chain still verifies and no complaint lost its events."""
    from complaintdesk.audit import service as audit

    with site["container"].uow() as uow:
        verdict = audit.verify(uow)
        orphans = uow.session.scalar(
            text(
                "SELECT count(*) FROM complaints c WHERE NOT EXISTS"
                " (SELECT 1 FROM complaint_events e WHERE e.complaint_id = c.id)"
            )
        )
    assert verdict.ok, verdict.message
    assert orphans == 0
    if set(GenerationMode) == MODES_RUN:  # not when one test is picked out with -k
        assert sum(SENT.values()) >= 5000, SENT.most_common(5)
