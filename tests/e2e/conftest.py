"""Fixtures the telecom end-to-end tests share: the telecom demo org and the account
systems' local stand-in server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from complaintdesk.bootstrap import Container
from complaintdesk.demo.telecom import build_telecom_org
from complaintdesk.telecom.lookups import HttpAccountLookups
from complaintdesk.telecom.standin import StandIn, parse_states
from tests.conftest import Api

FINE = {
    "crm": {"status": "active"},
    "prepaid": {"balance_yuan": 30},
    "aaa": {"data_enabled": True},
    "hlr": {"registered": True, "barring": []},
}
SUBSCRIBERS = {
    "13300000001": FINE,
    "13300000002": {**FINE, "crm": {"status": "arrears"}, "prepaid": {"balance_yuan": -8.5}},
    "13300000003": {**FINE, "crm": {"_http_status": 503}, "prepaid": {"_delay_seconds": 5}},
}


def _states() -> dict[str, Any]:
    states: dict[str, dict[str, Any]] = {s: {} for s in FINE}
    for msisdn, systems in SUBSCRIBERS.items():
        for system, state in systems.items():
            states[system][msisdn] = state
    return states


@pytest.fixture
def telecom(api: Api, container: Container) -> Iterator[dict[str, Any]]:
    with container.uow() as uow:
        units = build_telecom_org(uow)
        uow.commit()
    standin = StandIn(parse_states(_states())).start()
    api.client.app.state.telecom_lookups = HttpAccountLookups(standin.urls(), timeout=0.5)
    yield units
    standin.stop()
