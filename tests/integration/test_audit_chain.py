"""The audit chain: every state change and every identity reveal is chained in its own
transaction; `audit verify` names the first edited, inserted or deleted entry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from typer.testing import CliRunner

from complaintdesk.audit import service as audit
from complaintdesk.bootstrap import Container
from complaintdesk.cli import app as cli
from tests.conftest import Api


def _walk(api: Api, org: dict[str, Any]) -> int:
    body = {
        "title": "窗口推诿",
        "content": "窗口人员推诿。",
        "complainant": {"name": "李四", "phone": "13900001111"},
    }
    cid = int(api.post("operator", "/api/v1/complaints", json=body).json()["id"])
    for user, path, payload in [
        ("operator", "accept", {}),
        ("leader", "sign-off", {"mode": "transfer"}),
        (
            "dispatcher",
            "dispatch",
            {"unit_id": org["housing"].id, "mode": "transfer", "summary": "s"},
        ),
        ("leader", "reveal-identity", {"reason": "核实身份以便回访"}),
    ]:
        response = api.post(user, f"/api/v1/complaints/{cid}/{path}", json=payload)
        assert response.status_code in (200, 201), response.text
    return cid


def _verify(container: Container) -> audit.Verdict:
    with container.uow() as uow:
        return audit.verify(uow)


def test_every_state_change_and_reveal_is_chained(
    api: Api, org: dict[str, Any], container: Container
) -> None:
    cid = _walk(api, org)
    with container.uow() as uow:
        kinds = [e["kind"] for e in reversed(audit.entries(uow, complaint_id=cid))]
    assert kinds == [
        "event:file",
        "event:accept",
        "event:sign_off",
        "event:dispatch",
        "event:reveal_identity",
    ]
    verdict = _verify(container)
    assert verdict.ok, verdict.message
    assert verdict.checked == 5


def test_editing_one_event_row_makes_verify_fail_and_name_it(
    api: Api, org: dict[str, Any], container: Container
) -> None:
    _walk(api, org)
    with container.engine.begin() as conn:
        event_id = conn.execute(
            text("SELECT id FROM complaint_events WHERE action = 'dispatch'")
        ).scalar_one()
        conn.execute(
            text("UPDATE complaint_events SET reason = 'nothing happened' WHERE id = :i"),
            {"i": event_id},
        )
    verdict = _verify(container)
    assert not verdict.ok
    assert f"complaint event {event_id} " in verdict.message and "edited" in verdict.message


def test_editing_an_audit_row_is_named(api: Api, org: dict[str, Any], container: Container) -> None:
    _walk(api, org)
    with container.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor_id = 999 WHERE id = 3"))
    verdict = _verify(container)
    assert (verdict.ok, verdict.entry_id) == (False, 3)
    assert "entry 3 was edited" in verdict.message


def test_a_deleted_entry_and_an_event_inserted_outside_the_chain_are_named(
    api: Api, org: dict[str, Any], container: Container
) -> None:
    cid = _walk(api, org)
    with container.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = 2"))
    verdict = _verify(container)
    assert (verdict.ok, verdict.entry_id) == (False, 2)
    assert "entry 2 was deleted" in verdict.message

    with container.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(text("DELETE FROM audit_head"))
    with container.uow() as uow:  # a fresh, empty chain...
        uow.commit()
    with container.engine.begin() as conn:  # ...and an event written behind its back
        conn.execute(
            text(
                "INSERT INTO complaint_events (complaint_id, action, at, from_status, to_status,"
                " reason, data) VALUES (:c, 'add_note', '2026-11-30 01:00:00', 'dispatched',"
                " 'dispatched', 'forged', '{}')"
            ),
            {"c": cid},
        )
    verdict = _verify(container)
    assert not verdict.ok
    assert "not in the chain" in verdict.message


def test_the_cli_reports_a_broken_chain_with_exit_code_1(
    api: Api, org: dict[str, Any], container: Container, monkeypatch: Any
) -> None:
    _walk(api, org)
    monkeypatch.setenv("COMPLAINTDESK_DATABASE_URL", container.settings.database_url)
    from complaintdesk.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    try:
        intact = runner.invoke(cli, ["audit", "verify"])
        assert intact.exit_code == 0, intact.output
        with container.engine.begin() as conn:
            conn.execute(text("UPDATE complaint_events SET reason = 'x' WHERE action = 'accept'"))
        broken = runner.invoke(cli, ["audit", "verify"])
    finally:
        get_settings.cache_clear()
    assert broken.exit_code == 1
    assert "edited" in broken.output


def test_a_rolled_back_action_leaves_no_entry(
    api: Api, org: dict[str, Any], container: Container
) -> None:
    cid = _walk(api, org)
    refused = api.post("operator", f"/api/v1/complaints/{cid}/accept", json={})
    assert refused.status_code == 409
    verdict = _verify(container)
    assert verdict.ok and verdict.checked == 5
