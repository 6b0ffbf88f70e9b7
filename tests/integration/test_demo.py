"""The demo: org tree like SPEC §8.2, three months of real sample complaints, a routing model."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from complaintdesk.bootstrap import Container
from complaintdesk.cli import app
from complaintdesk.clock.deadlines import working_days_left
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import OPEN_STATUSES, Channel, Status
from complaintdesk.config import get_settings
from complaintdesk.demo.hotline import DemoReport, run_demo
from complaintdesk.demo.routing import TRAINING_FILE
from complaintdesk.notify.tables import OutboxRow
from complaintdesk.org import auth
from complaintdesk.org.tables import UnitRow, UserRow


def _utc(at: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes, PostgreSQL aware ones."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def test_the_demo_shows_three_months_of_a_centre(container: Container) -> None:
    """One load (it takes a while), every property a visitor to the demo relies on."""
    loaded = run_demo(container, limit=150, train_model=False)
    if loaded.data_missing:
        pytest.skip(f"sample complaints not found at {loaded.data_missing}")
    timelines_run_forward_and_none_reaches_past_now(container)
    receipts_span_three_months(container)
    deadlines_and_the_supervision_ladder_come_from_the_rules(container)
    each_role_has_something_waiting(container)
    demo_users_have_email_and_phone(container)
    org_tree_and_a_second_run_add_nothing(container, loaded)


def org_tree_and_a_second_run_add_nothing(container: Container, loaded: DemoReport) -> None:
    assert loaded.complaints == 150
    assert loaded.model is None and loaded.model_note == "skipped"
    with container.uow() as uow:
        units = uow.session.execute(select(UnitRow.category, UnitRow.kind)).all()
        rows = uow.session.execute(select(ComplaintRow.status, ComplaintRow.external_ref)).all()
    categories = Counter(category for category, _ in units if category)
    assert categories == {"law_enforcement": 14, "comprehensive_management": 18}
    assert sum(1 for _, kind in units if kind == "centre") == 5
    assert len({Status(status) for status, _ in rows}) >= 8
    assert all(ref and ref.startswith("fj2:") for _, ref in rows)
    with container.uow() as uow:
        events_before = len(uow.session.scalars(select(ComplaintEventRow.id)).all())
    # Running it again adds nothing: no complaint, no user, no step of the past.
    again = run_demo(container, limit=150, train_model=False)
    assert again.complaints == 0 and again.skipped == 150 and again.users == 0
    with container.uow() as uow:
        assert len(uow.session.scalars(select(ComplaintEventRow.id)).all()) == events_before


def timelines_run_forward_and_none_reaches_past_now(container: Container) -> None:
    now = container.clock.now()
    with container.uow() as uow:
        events = uow.session.execute(
            select(ComplaintEventRow.complaint_id, ComplaintEventRow.at).order_by(
                ComplaintEventRow.complaint_id, ComplaintEventRow.id
            )
        ).all()
        received = dict(
            uow.session.execute(select(ComplaintRow.id, ComplaintRow.received_at)).tuples().all()
        )
    timelines: dict[int, list[datetime]] = defaultdict(list)
    for complaint_id, at in events:
        timelines[complaint_id].append(_utc(at))
    assert len(timelines) == 150
    for complaint_id, times in timelines.items():
        assert times == sorted(times), f"complaint {complaint_id} runs backwards: {times}"
        assert times[0] >= _utc(received[complaint_id])
        assert times[-1] <= now
    # Real gaps: an accept takes minutes to a day, replies take days.
    steps = sum(len(t) for t in timelines.values())
    assert steps > 4 * 150


def receipts_span_three_months(container: Container) -> None:
    now = container.clock.now()
    with container.uow() as uow:
        received = [_utc(r) for r in uow.session.scalars(select(ComplaintRow.received_at))]
        channels = Counter(uow.session.scalars(select(ComplaintRow.channel)))
    assert now - min(received) >= timedelta(days=60)
    # The newest came in on the last working day (Monday 09:00 here: last Friday).
    assert max(received) <= now and now - max(received) < timedelta(days=4)
    # Spread, not bunched: every fortnight of the last three months has receipts.
    fortnights = Counter((now - r).days // 14 for r in received)
    assert all(fortnights[f] > 0 for f in range(6)), fortnights
    assert channels[Channel.PHONE.value] > 0 and channels[Channel.WEB.value] > 0


def deadlines_and_the_supervision_ladder_come_from_the_rules(container: Container) -> None:
    now = container.clock.now()
    open_values = [s.value for s in OPEN_STATUSES]
    with container.uow() as uow:
        open_rows = uow.session.execute(
            select(ComplaintRow.due_at, ComplaintRow.overdue_level).where(
                ComplaintRow.status.in_(open_values), ComplaintRow.due_at.is_not(None)
            )
        ).all()
        steps = Counter(
            uow.session.scalars(
                select(ComplaintEventRow.action).where(
                    ComplaintEventRow.action.in_(["remind", "supervise", "list_supervision"])
                )
            )
        )
        automatic = uow.session.scalars(
            select(ComplaintEventRow.actor_id).where(ComplaintEventRow.action == "supervise")
        ).all()
        notices = len(uow.session.scalars(select(OutboxRow.id)).all())
    left = [working_days_left(_utc(due), now, container.calendar) for due, _ in open_rows]
    assert any(d < 0 for d in left), "some are overdue"
    assert any(0 <= d <= 2 for d in left), "some are due within two working days"
    levels = Counter(level for _, level in open_rows)
    assert levels[1] > 0 and levels[2] + levels[3] > 0, levels
    # Every rung was climbed by the sweep (no actor), not set by hand.
    assert steps["remind"] > 0 and steps["supervise"] > 0 and steps["list_supervision"] > 0
    assert automatic and all(actor is None for actor in automatic)
    assert notices > 0  # demo users have e-mail and phone: the sweep queued notices
    # Overdue open complaints are all supervised at "now" (the sweep ran at the end).
    assert all(level >= 2 for (due, level) in open_rows if _utc(due) < now)


def each_role_has_something_waiting(container: Container) -> None:
    with container.uow() as uow:
        rows = uow.session.execute(
            select(
                ComplaintRow.status,
                ComplaintRow.department_label,
                ComplaintRow.extension_pending_days,
                ComplaintRow.importance,
            )
        ).all()
    statuses = Counter(status for status, *_ in rows)
    for status in ("registered", "accepted", "dispatched", "returned", "in_progress"):
        assert statuses[status] > 0, (status, statuses)
    assert statuses["replied"] + statuses["callback"] > 0  # for the callback auditor
    unrouted = [r for r in rows if r[0] == "accepted" and r[1] is None]
    assert unrouted, "the dispatcher has unrouted complaints"
    assert any(r[2] > 0 for r in rows), "the leader has an extension request"
    assert any(r[0] == "accepted" and r[3] == "important" for r in rows), "one to instruct"


def demo_users_have_email_and_phone(container: Container) -> None:
    with container.uow() as uow:
        users = uow.session.execute(select(UserRow.username, UserRow.email, UserRow.phone)).all()
    assert len(users) >= 20
    for username, email, phone in users:
        assert email == f"{username}@example.com"
        assert phone and phone.startswith("1380000") and len(phone) == 11


def test_the_model_option_trains_activates_and_routes_a_new_complaint(
    container: Container, tmp_path: Path
) -> None:
    source = container.settings.resolved_data_dir() / TRAINING_FILE
    if not source.is_file():
        pytest.skip(f"training data not found at {source}")
    path = tmp_path / "models" / "routing.joblib"
    report = run_demo(container, limit=30, model_path=path)
    model = report.model
    assert model is not None and model.trained and model.path == path
    assert path.is_file() and (tmp_path / "models" / "routing.joblib.sha256").is_file()
    assert model.rows > 2000 and model.macro_f1 is not None and model.macro_f1 > 0.8
    with container.uow() as uow:
        triaged = uow.session.scalars(select(ComplaintRow.triage)).all()
    assert all(t and t["routing"] for t in triaged), "every demo complaint has suggestions"
    # Switched on the way `model train` output is: COMPLAINTDESK_TRIAGE_MODEL=path.
    settings = container.settings.model_copy(update={"triage_model": path})
    served = Container(
        settings, container.engine, container.session_factory, container.clock, container.calendar
    )
    with served.uow() as uow:
        operator = auth.actor_for(uow, uow.users.by_username("operator"))  # type: ignore[arg-type]
        filed = svc.file_complaint(
            uow,
            svc.FileComplaint(
                title="小区旁工地夜间施工噪音扰民",
                content="小区旁工地每晚施工到凌晨两点，噪音很大，多次向城管反映无人处理。",
                channel=Channel.PHONE,
            ),
            actor=operator,
            now=served.clock.now(),
            calendar=served.calendar,
            triage=served.triage,
        )
        routing = (uow.complaints.row(filed.id).triage or {})["routing"]
    assert len(routing) == 3 and routing[0]["confidence"] > 0.3
    assert routing[0]["label"] in {"城乡建设", "环境保护"}
    # A second demo run reuses the model instead of training again.
    again = run_demo(container, limit=30, model_path=path)
    assert again.model is not None and not again.model.trained


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMPLAINTDESK_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_the_cli_migrates_and_loads_the_demo_without_a_model(cli_env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["version"]).output.strip() == "0.1.0"
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    loaded = runner.invoke(app, ["demo", "--limit", "15", "--no-model"])
    assert loaded.exit_code == 0, loaded.output
    assert "complaints loaded: 15" in loaded.output
    assert "skipped (--no-model)" in loaded.output
    assert "sweep now" in loaded.output
    assert "demo12345" in loaded.output
    assert not Path("var/models").exists()


def test_the_demo_says_clearly_when_the_data_is_missing(
    cli_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPLAINTDESK_DATA_DIR", str(tmp_path / "nowhere"))
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "未找到样例数据" in result.output
    assert "no routing model trained" in result.output
    assert "complaints loaded: 0" in result.output
    assert "units: 109" in result.output


def test_the_telecom_demo_has_tickets_back_for_the_48_hour_review(container: Container) -> None:
    from complaintdesk.demo.telecom import run_telecom_demo

    report = run_telecom_demo(container, count=48)
    assert report.filed == 48
    assert report.review_queue > 0  # archived branch tickets, 48 hours on
    now = container.clock.now()
    with container.uow() as uow:
        received = [_utc(r) for r in uow.session.scalars(select(ComplaintRow.received_at))]
        last = max(_utc(at) for at in uow.session.scalars(select(ComplaintEventRow.at)))
    assert now - min(received) > timedelta(days=5) and last <= now
