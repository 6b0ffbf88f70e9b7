"""The statutory clock as users meet it: warnings, corrections, supervision, the worker."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from complaintdesk.bootstrap import Container
from complaintdesk.cli import app as cli
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.clock.sweep import run_cycle
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.config import get_settings
from complaintdesk.demo.hotline import SAMPLE_FILE, load_sample
from complaintdesk.kernel.time import FixedClock
from complaintdesk.notify.registry import build_registry
from complaintdesk.notify.tables import OutboxRow
from complaintdesk.org.tables import UserRow
from tests.conftest import Api
from tests.e2e.test_lifecycle_api import act, file

runner = CliRunner()


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI talks to the test database, as an admin's shell would."""
    monkeypatch.setenv("COMPLAINTDESK_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def bj(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_a_deadline_reaching_into_an_unknown_year_carries_a_warning_until_the_table_is_loaded(
    api: Api, clock: FixedClock, cli_db: str, tmp_path: Path
) -> None:
    clock.moment = bj("2026-12-21T09:00:00")
    filed = file(api)["complaint"]
    # Tue 22 … Thu 31 Dec are wd1–8; 2027 is unknown, so Fri 1 Jan counts (wd9), Mon 4 is wd10.
    assert filed["due_at"] == "2027-01-04T15:59:59Z"
    assert "calendar unknown for 2027" in filed["calendar_warning"]
    assert "2027年日历未知" in filed["calendar_warning"]

    table = tmp_path / "holidays-2027.csv"
    table.write_text("date,is_workday,name\n2027-01-01,false,元旦\n", encoding="utf-8")
    result = runner.invoke(cli, ["calendar", "load", str(table)])
    assert result.exit_code == 0, result.output
    assert "recomputed 1 open deadlines, 1 changed" in result.stdout

    again = api.get("operator", f"/api/v1/complaints/{filed['id']}").json()
    assert again["due_at"] == "2027-01-05T15:59:59Z"  # 1 Jan is a holiday now: wd10 Tue 5
    assert again["calendar_warning"] is None


def test_a_calendar_correction_moves_open_deadlines_only(
    api: Api, org: dict[str, Any], cli_db: str, tmp_path: Path
) -> None:
    open_one = file(api)["id"]
    finished = file(api)["id"]
    act(
        api,
        "operator",
        finished,
        "reject",
        explanation="不属于机关效能投诉范围。",
        competent_authority="西州信访局",
    )
    before = api.get("operator", f"/api/v1/complaints/{finished}").json()["due_at"]
    # A local adjustment makes Mon 7 Dec 2026 a day off: wd10 moves from Mon 14 to Tue 15.
    table = tmp_path / "correction.csv"
    table.write_text("date,is_workday,name\n2026-12-07,false,地方调整\n", encoding="utf-8")
    result = runner.invoke(cli, ["calendar", "load", str(table)])
    assert result.exit_code == 0, result.output
    assert api.get("operator", f"/api/v1/complaints/{open_one}").json()["due_at"] == (
        "2026-12-15T15:59:59Z"
    )
    assert api.get("operator", f"/api/v1/complaints/{finished}").json()["due_at"] == before
    listed = runner.invoke(cli, ["calendar", "list", "--year", "2026"])
    assert "2026-12-07  休 holiday  地方调整" in listed.stdout


def test_a_bad_holiday_file_is_refused_and_nothing_is_stored(
    cli_db: str, tmp_path: Path, container: Container
) -> None:
    table = tmp_path / "bad.csv"
    table.write_text("date,is_workday\n2027-01-01,false\n2027-13-01,false\n", encoding="utf-8")
    result = runner.invoke(cli, ["calendar", "load", str(table)])
    assert result.exit_code == 2
    assert "row 3" in result.stderr and "未导入任何数据" in result.stderr
    listed = runner.invoke(cli, ["calendar", "list"])
    assert "no holiday table loaded" in listed.stdout


def _dispatched(api: Api, org: dict[str, Any]) -> int:
    cid = file(api)["id"]
    act(api, "operator", cid, "accept")
    act(api, "dispatcher", cid, "dispatch", unit_id=org["housing"].id, mode="self_handle")
    act(api, "handler-housing", cid, "receive")
    return int(cid)


def test_a_supervisor_reminds_and_supervises_by_hand_and_the_unit_sees_it(
    api: Api, org: dict[str, Any], container: Container
) -> None:
    with container.session_factory() as session:
        user = session.scalar(select(UserRow).where(UserRow.username == "handler-housing"))
        assert user is not None
        user.email = "handler-housing@xizhou.example"
        session.commit()
    cid = _dispatched(api, org)
    denied = api.post("handler-housing", f"/api/v1/complaints/{cid}/remind", json={})
    assert denied.status_code == 403
    reminded = act(api, "supervisor", cid, "remind", reason="请于本周五前答复投诉人")
    assert reminded["complaint"]["overdue_level"] == 1
    assert reminded["status"] == "received"  # the ladder never moves the status
    supervised = act(api, "supervisor", cid, "supervise", reason="群众反映强烈，督促加快办理")
    assert supervised["complaint"]["overdue_level"] == 2

    seen = api.get("handler-housing", f"/api/v1/complaints/{cid}/events").json()
    steps = [e for e in seen if e["action"] in {"remind", "supervise"}]
    assert [(e["action"], e["actor_name"], e["reason"]) for e in steps] == [
        ("remind", "督办员 刘洋", "请于本周五前答复投诉人"),
        ("supervise", "督办员 刘洋", "群众反映强烈，督促加快办理"),
    ]
    queue = api.get("supervisor", "/api/v1/complaints", params={"overdue_level": 2}).json()
    assert [c["id"] for c in queue["items"]] == [cid]
    assert (
        api.get("supervisor", "/api/v1/complaints", params={"overdue_level": 3}).json()["items"]
        == []
    )

    mail = api.get("admin", "/api/v1/outbox", params={"complaint_id": cid}).json()
    assert sorted(m["subject"] for m in mail) == [
        f"【催办】投诉 {reminded['complaint']['tracking_no']} 即将到期",
        f"【督办】投诉 {reminded['complaint']['tracking_no']} 已超期",
    ]
    assert {m["state"] for m in mail} == {"pending"}


def test_a_finished_complaint_cannot_be_reminded(api: Api, org: dict[str, Any]) -> None:
    cid = file(api)["id"]
    act(api, "operator", cid, "reject", explanation="不属于受理范围。", competent_authority="法院")
    response = api.post("supervisor", f"/api/v1/complaints/{cid}/remind", json={})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"


def test_only_admins_see_the_outbox(api: Api) -> None:
    assert api.get("supervisor", "/api/v1/outbox").status_code == 403
    assert api.get("admin", "/api/v1/outbox").json() == []
    assert api.get("admin", "/api/v1/outbox", params={"state": "bogus"}).status_code == 422


def test_the_worker_reminds_supervises_and_escalates_on_demo_data(
    api: Api, org: dict[str, Any], container: Container, clock: FixedClock
) -> None:
    sample = container.settings.resolved_data_dir() / SAMPLE_FILE
    if not sample.is_file():
        pytest.skip(f"sample complaints not found at {sample}")
    # 60 real messages spread over the 40 days before Mon 30 Nov 2026, walked to their states.
    loaded, _ = load_sample(container, sample, org, limit=60)
    assert loaded == 60
    registry = build_registry(container.settings)

    first = run_cycle(container, registry, reminder_working_days=2).sweep
    assert first.supervised > 0  # the oldest open ones are past their deadline
    assert first.reminded > 0  # the ones due within two working days
    again = run_cycle(container, registry, reminder_working_days=2).sweep
    assert (again.reminded, again.supervised, again.listed) == (0, 0, 0)

    clock.advance(days=10)  # Thu 10 Dec: the supervised ones are 5+ working days late
    later = run_cycle(container, registry, reminder_working_days=2).sweep
    assert later.listed > 0

    with container.session_factory() as session:
        levels = dict(
            session.execute(
                select(ComplaintRow.overdue_level, func.count()).group_by(
                    ComplaintRow.overdue_level
                )
            ).all()
        )
        steps = dict(
            session.execute(
                select(ComplaintEventRow.action, func.count())
                .where(ComplaintEventRow.action.in_(["remind", "supervise", "list_supervision"]))
                .group_by(ComplaintEventRow.action)
            ).all()
        )
        queued = session.scalar(select(func.count(OutboxRow.id)))
    assert levels.get(3, 0) > 0 and levels.get(2, 0) + levels.get(3, 0) >= first.supervised
    assert steps["remind"] == first.reminded + later.reminded
    assert steps["list_supervision"] == later.listed
    assert queued == 0  # demo users have no e-mail or phone: nothing to send, nothing fails

    listed = api.get("supervisor", "/api/v1/complaints", params={"overdue_level": 3}).json()
    assert len(listed["items"]) == levels[3]
    assert all(c["overdue"] for c in listed["items"])


def test_worker_once_runs_one_cycle_from_the_command_line(
    cli_db: str, container: Container
) -> None:
    result = runner.invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "催办 reminded 0" in result.stdout and "已发 sent 0" in result.stdout
    listed = runner.invoke(cli, ["outbox", "list", "--state", "failed"])
    assert listed.exit_code == 0
    assert runner.invoke(cli, ["outbox", "list", "--state", "nope"]).exit_code == 2
    simulated = runner.invoke(cli, ["worker", "--now", "2026-12-10T09:00:00+08:00"])
    assert simulated.exit_code == 0, simulated.output
    assert runner.invoke(cli, ["worker", "--now", "next week"]).exit_code == 2
