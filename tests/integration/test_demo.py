"""The demo: org tree like SPEC §8.2, real sample complaints in realistic states."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from complaintdesk.bootstrap import Container
from complaintdesk.cli import app
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.complaints.vocabulary import Status
from complaintdesk.config import get_settings
from complaintdesk.demo.hotline import run_demo
from complaintdesk.org.tables import UnitRow


def test_the_demo_builds_the_org_tree_and_walks_real_complaints(container: Container) -> None:
    report = run_demo(container, limit=60)
    assert report.data_missing is None
    assert report.complaints == 60
    with container.uow() as uow:
        units = uow.session.execute(select(UnitRow.category, UnitRow.kind)).all()
        rows = uow.session.execute(select(ComplaintRow.status, ComplaintRow.external_ref)).all()
    categories = Counter(category for category, _ in units if category)
    assert categories == {"law_enforcement": 14, "comprehensive_management": 18}
    assert sum(1 for _, kind in units if kind == "centre") == 5
    statuses = {Status(status) for status, _ in rows}
    assert len(statuses) >= 6, statuses
    assert all(ref and ref.startswith("fj2:") for _, ref in rows)
    # Running it again adds nothing.
    again = run_demo(container, limit=60)
    assert again.complaints == 0 and again.skipped == 60 and again.users == 0


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMPLAINTDESK_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_the_cli_migrates_and_loads_the_demo(cli_env: str) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["version"]).output.strip() == "0.1.0"
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    loaded = runner.invoke(app, ["demo", "--limit", "15"])
    assert loaded.exit_code == 0, loaded.output
    assert "complaints loaded: 15" in loaded.output
    assert "demo12345" in loaded.output


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
    assert "complaints loaded: 0" in result.output
    assert "units: 109" in result.output
