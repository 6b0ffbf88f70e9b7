"""Filing a complaint returns routing, scope and importance suggestions with reasons."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from complaintdesk.bootstrap import Container
from complaintdesk.triage.facade import ModelTriage
from complaintdesk.triage.model import RoutingModel
from tests.conftest import Api

DATA = Path(__file__).resolve().parents[2] / "../shared/data/teddycup2020c/fj2_raw_subset_2763.csv"


@pytest.fixture(scope="module")
def small_model() -> RoutingModel:
    """A real routing model trained on 60 real messages per label (a few seconds on CPU)."""
    per_label: dict[str, list[str]] = {}
    with DATA.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            texts = per_label.setdefault(row["一级标签"], [])
            if len(texts) < 60:
                texts.append(row["text"])
    texts = [t for items in per_label.values() for t in items]
    labels = [label for label, items in per_label.items() for _ in items]
    return RoutingModel.train(texts, labels)


def test_filing_returns_scope_and_importance_with_their_reasons(api: Api) -> None:
    response = api.post(
        "operator",
        "/api/v1/complaints",
        json={
            "title": "镇政府乱收费",
            "content": "我是县人大代表，反映镇政府违规向商户乱收费、乱罚款，"
            "工作人员还威胁打击报复。",
            "channel": "phone",
        },
    )
    assert response.status_code == 201, response.text
    triage = response.json()["complaint"]["triage"]
    assert triage["scope"]["category"] == "illegal_charges"
    assert "乱收费" in triage["scope"]["matched_phrases"]
    assert triage["importance"]["level"] == "important"
    assert "人大代表" in str(triage["importance"]["reasons"])
    # No model configured: routing waits for a dispatcher.
    assert triage["routing"] == [] and triage["needs_dispatcher"] is True


def test_a_confident_routing_sets_the_department_and_a_weak_one_waits(
    api: Api, container: Container, small_model: RoutingModel
) -> None:
    container.__dict__["triage"] = ModelTriage(small_model, threshold=0.35)
    response = api.post(
        "operator",
        "/api/v1/complaints",
        json={
            "title": "学校违规补课收费",
            "content": "A市某中学寒假期间组织学生统一补课，每人收取补课费800元，家长被迫交钱，"
            "请教育部门查处学校违规补课乱收费问题。",
        },
    )
    assert response.status_code == 201, response.text
    complaint: dict[str, Any] = response.json()["complaint"]
    routing = complaint["triage"]["routing"]
    assert 1 <= len(routing) <= 3
    assert routing[0]["label"] == "教育文体"
    assert routing == sorted(routing, key=lambda r: -r["confidence"])
    if not complaint["triage"]["needs_dispatcher"]:
        assert complaint["department_label"] == "教育文体"
    container.__dict__["triage"] = ModelTriage(small_model, threshold=0.999)
    weak = api.post("operator", "/api/v1/complaints", json={"content": "有个事情想反映一下"})
    assert weak.json()["complaint"]["triage"]["needs_dispatcher"] is True
    assert weak.json()["complaint"]["department_label"] is None
