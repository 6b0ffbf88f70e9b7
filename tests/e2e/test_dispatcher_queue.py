"""Below the confidence threshold a person decides; the decision trains the next model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from complaintdesk.bootstrap import Container
from complaintdesk.cli import app
from complaintdesk.config import get_settings
from complaintdesk.triage.facade import FakeTriage
from complaintdesk.triage.tables import TriageExampleRow
from tests.conftest import Api

ARCHIVE = Path(__file__).resolve().parents[2] / "../shared/data/teddycup2020c/fj2_sample_495.csv"


def unrouted(api: Api) -> list[str]:
    page = api.get("dispatcher", "/api/v1/complaints", params={"unrouted": "true"}).json()
    return [c["tracking_no"] for c in page["items"]]


def test_a_dispatchers_correction_is_stored_as_a_training_example(
    api: Api, container: Container
) -> None:
    # The fake routes "噪音" to 环境保护 with low confidence: it waits for a person.
    container.__dict__["triage"] = FakeTriage(confidence=0.4)
    filed = api.post(
        "operator",
        "/api/v1/complaints",
        json={"title": "工地噪音", "content": "小区旁工地夜间施工噪音，住建部门不管。"},
    ).json()
    triage = filed["complaint"]["triage"]
    assert triage["needs_dispatcher"] is True
    assert triage["routing"][0]["label"] == "环境保护"
    assert filed["tracking_no"] in unrouted(api)

    denied = api.post(
        "handler-housing",
        f"/api/v1/complaints/{filed['id']}/classify",
        json={"department_label": "城乡建设"},
    )
    assert denied.status_code == 404  # not in the housing bureau's jurisdiction
    done = api.post(
        "dispatcher",
        f"/api/v1/complaints/{filed['id']}/classify",
        json={"department_label": "城乡建设"},
    )
    assert done.status_code == 200, done.text
    assert done.json()["complaint"]["department_label"] == "城乡建设"
    assert filed["tracking_no"] not in unrouted(api)

    events = api.get("dispatcher", f"/api/v1/complaints/{filed['id']}/events").json()
    classify = events[-1]
    assert classify["action"] == "classify"
    assert classify["data"] == {
        "label": "城乡建设",
        "suggested": "环境保护",
        "confidence": 0.4,
        "corrected": True,
    }
    with container.uow() as uow:
        examples = uow.session.execute(
            select(TriageExampleRow.label, TriageExampleRow.suggested_label, TriageExampleRow.text)
        ).all()
    assert [(e.label, e.suggested_label) for e in examples] == [("城乡建设", "环境保护")]
    assert "夜间施工噪音" in examples[0].text


@pytest.fixture
def cli_db(container: Container, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("COMPLAINTDESK_DATABASE_URL", container.settings.database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_retraining_adds_the_dispatchers_decisions_to_the_archive(
    api: Api, container: Container, cli_db: Any, tmp_path: Path
) -> None:
    container.__dict__["triage"] = FakeTriage(confidence=0.4)
    for text in ("楼下烧烤店油烟扰民", "小区门口餐馆油烟直排"):
        filed = api.post("operator", "/api/v1/complaints", json={"content": text}).json()
        response = api.post(
            "dispatcher",
            f"/api/v1/complaints/{filed['id']}/classify",
            json={"department_label": "环境保护"},
        )
        assert response.status_code == 200, response.text
    runner = CliRunner()
    exported = runner.invoke(app, ["model", "corrections", "--out", str(tmp_path / "c.csv")])
    assert exported.exit_code == 0, exported.output
    assert '"examples": 2' in exported.output
    model = tmp_path / "routing.model"
    result = runner.invoke(
        app,
        [
            "model",
            "retrain",
            "--data",
            str(ARCHIVE),
            "--text",
            "留言主题",
            "--text",
            "留言详情",
            "--label",
            "一级标签",
            "--out",
            str(model),
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"corrections": 2' in result.stdout
    assert model.is_file()
