"""The HTTP look-up adapters against the local stand-in server, and the telecom demo."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from sqlalchemy import func, select

from complaintdesk.bootstrap import Container
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.telecom.diagnosis import AccountSystem, LookupOutcome
from complaintdesk.telecom.lookups import HttpAccountLookups
from complaintdesk.telecom.standin import load_states, running


def test_each_system_answers_and_failures_are_unknown(tmp_path: Path) -> None:
    csv_file = tmp_path / "states.csv"
    csv_file.write_text(
        "system,msisdn,status,balance_yuan,data_enabled,_http_status,_delay_seconds\n"
        "crm,1001,arrears,,,,\n"
        "prepaid,1001,,12.5,,,\n"
        "aaa,1001,,,false,,\n"
        "hlr,1001,,,,500,\n"
        "crm,1002,active,,,,2\n",
        encoding="utf-8",
    )
    with running(load_states(csv_file)) as standin:
        lookups = HttpAccountLookups(standin.urls(), timeout=0.3)
        checks = {c.system: c for c in lookups.check_all("1001")}
        slow = {c.system: c for c in lookups.check_all("1002")}
    assert checks[AccountSystem.CRM].outcome is LookupOutcome.PROBLEM
    assert checks[AccountSystem.PREPAID].outcome is LookupOutcome.OK
    assert checks[AccountSystem.AAA].outcome is LookupOutcome.PROBLEM
    assert checks[AccountSystem.HLR].outcome is LookupOutcome.UNKNOWN
    assert "500" in checks[AccountSystem.HLR].finding
    assert slow[AccountSystem.CRM].outcome is LookupOutcome.UNKNOWN
    assert "超时" in slow[AccountSystem.CRM].finding
    assert slow[AccountSystem.PREPAID].outcome is LookupOutcome.UNKNOWN  # not in the file


def test_a_system_that_is_not_configured_or_not_listening_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"crm": {"1": {"status": "active"}}}), encoding="utf-8")
    with running(load_states(path)) as standin:
        dead = standin.base_url
    lookups = HttpAccountLookups({AccountSystem.CRM: f"{dead}/crm"}, timeout=0.5)
    checks = {c.system: c for c in lookups.check_all("1")}
    assert checks[AccountSystem.CRM].outcome is LookupOutcome.UNKNOWN
    assert "未配置" in checks[AccountSystem.HLR].finding


def test_the_telecom_demo_resolves_some_at_each_level_dispatches_some_and_runs_once(
    container: Container,
) -> None:
    from complaintdesk.demo.telecom import run_telecom_demo

    report = run_telecom_demo(container, count=24)
    assert report.filed == 24
    assert report.outcomes["level1"] > 0 and report.outcomes["level2"] > 0
    assert report.outcomes["dispatched"] > 0
    m = report.metrics
    assert m is not None and m.total == 24
    assert m.success_rate == Fraction(m.level1 + m.level2, 24)
    again = run_telecom_demo(container, count=24)
    assert (again.filed, again.skipped) == (0, 24)
    with container.uow() as uow:
        assert uow.session.scalar(select(func.count(ComplaintRow.id))) == 24
