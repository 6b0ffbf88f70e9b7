"""The keyed audit chain against an attacker who can write to the database but has no key:
re-hashed rewrites, a cut tail, corrupt rows, a legacy chain re-sealed once. The CLI runs
in-process, against the same database, as an operator would run it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update
from typer.testing import CliRunner, Result

from complaintdesk.audit import seal
from complaintdesk.audit import service as audit
from complaintdesk.audit import verify as audit_verify
from complaintdesk.audit.chain import key_of
from complaintdesk.audit.tables import AuditEntryRow, AuditHeadRow
from complaintdesk.bootstrap import Container
from complaintdesk.cli import app as cli
from complaintdesk.config import get_settings
from tests.conftest import Api
from tests.integration.test_audit_chain import _walk
from tests.integration.test_import_files import run, write_csv

Rehash = Callable[[str, dict[str, Any]], str]


@pytest.fixture
def operator(container: Container, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """`complaintdesk …` in-process against the test database, with the default key."""
    monkeypatch.setenv("COMPLAINTDESK_DATABASE_URL", container.settings.database_url)
    monkeypatch.delenv("COMPLAINTDESK_SECRET_KEY", raising=False)
    monkeypatch.delenv("COMPLAINTDESK_AUDIT_KEY_FILE", raising=False)

    def invoke(*args: str) -> Result:
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(cli, list(args))
        finally:
            get_settings.cache_clear()
        # A finding or a refusal is an exit status and a message, never a traceback.
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception
        )
        assert "Traceback" not in result.output
        return result

    return invoke


def _rewrite(container: Container, start: int, rehash: Rehash, **edits: Any) -> None:
    """What an attacker with database access does: edit entry ``start`` and recompute every
    hash from there on, head included, so the chain links up again."""
    with container.session_factory() as session:
        rows = list(session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.id)))
        prev = rows[start - 2].hash if start > 1 else seal.GENESIS
        for row in rows[start - 1 :]:
            values = {c: getattr(row, c) for c in seal.SEALED_FIELDS if c != "id"}
            if row.id == start:
                values.update(edits)
            mac = rehash(prev, seal.body(row.id, values))
            session.execute(
                update(AuditEntryRow)
                .where(AuditEntryRow.id == row.id)
                .values(prev_hash=prev, hash=mac, **({} if row.id != start else edits))
            )
            prev = mac
        session.execute(update(AuditHeadRow).values(last_hash=prev))
        session.commit()


def _with_key(key: bytes) -> Rehash:
    return lambda prev, body: seal.entry_mac(key, prev, body)


def _verify(container: Container, anchor: audit.Anchor | None = None) -> audit.Verdict:
    with container.uow() as uow:
        return audit.verify(uow, anchor)


def _dispatch_entry(container: Container) -> tuple[int, dict[str, Any]]:
    with container.session_factory() as session:
        row = session.scalars(
            select(AuditEntryRow)
            .where(AuditEntryRow.kind == "event:dispatch")
            .order_by(AuditEntryRow.id)
        ).first()
        assert row is not None
        return row.id, dict(row.detail)


@pytest.mark.parametrize("forger", ["plain_sha256", "wrong_key"])
def test_a_history_rewritten_and_rehashed_without_the_key_is_named_at_its_first_entry(
    api: Api, org: dict[str, Any], container: Container, forger: str, operator: Any
) -> None:
    _walk(api, org)
    _walk(api, org)  # entries after the rewritten one are re-hashed too
    entry_id, detail = _dispatch_entry(container)
    with container.engine.begin() as conn:  # the event itself is edited as well
        conn.execute(
            text("UPDATE complaint_events SET reason = 'never dispatched' WHERE id = :e"),
            {"e": _event_id(container, entry_id)},
        )
    rehash = seal.legacy_hash if forger == "plain_sha256" else _with_key(b"x" * 32)
    _rewrite(container, entry_id, rehash, detail={**detail, "reason": "never dispatched"})

    verdict = _verify(container)
    assert (verdict.ok, verdict.entry_id) == (False, entry_id)
    expected = "plain SHA-256" if forger == "plain_sha256" else f"entry {entry_id} was edited"
    assert expected in verdict.message
    broken = operator("audit", "verify")
    assert broken.exit_code == 1
    assert f"entry {entry_id} " in broken.output and "审计记录" in broken.output


def _event_id(container: Container, entry_id: int) -> int:
    with container.session_factory() as session:
        row = session.get(AuditEntryRow, entry_id)
        assert row is not None and row.event_id is not None
        return row.event_id


def test_with_the_real_key_a_rewrite_verifies_so_the_key_is_what_protects_the_chain(
    api: Api, org: dict[str, Any], container: Container
) -> None:
    _walk(api, org)
    with container.session_factory() as session:
        key = key_of(session)
    _rewrite(container, 2, _with_key(key), actor_id=None)
    assert _verify(container).ok  # a key holder can re-seal: the key must stay out of the db


def test_a_cut_tail_with_the_head_row_moved_back_is_caught_only_with_the_anchor(
    api: Api, org: dict[str, Any], container: Container, operator: Any, tmp_path: Path
) -> None:
    _walk(api, org)
    anchor_file = tmp_path / "anchor.json"
    taken = operator("audit", "anchor", "--out", str(anchor_file))
    assert taken.exit_code == 0, taken.output
    pinned = json.loads(anchor_file.read_text())
    assert (pinned["last_id"], pinned["entries"]) == (5, 5)
    assert pinned["at"].startswith("20") and len(pinned["mac"]) == 64

    with container.engine.begin() as conn:  # drop entries 4-5 and their events, move the head
        doomed = [e for (e,) in conn.execute(text("SELECT event_id FROM audit_log WHERE id >= 4"))]
        conn.execute(text("DELETE FROM audit_log WHERE id >= 4"))
        for event_id in doomed:
            conn.execute(text("DELETE FROM complaint_events WHERE id = :e"), {"e": event_id})
        third = conn.execute(text("SELECT hash FROM audit_log WHERE id = 3")).scalar_one()
        conn.execute(text("UPDATE audit_head SET last_id = 3, last_hash = :h"), {"h": third})

    assert _verify(container).ok  # the database alone cannot tell
    broken = operator("audit", "verify", "--anchor", str(anchor_file))
    assert broken.exit_code == 1
    assert "entries 4–5 were deleted (tail truncated)" in broken.output
    over_http = api.get(
        "admin",
        "/api/v1/admin/audit/verify",
        params={"anchor_id": pinned["last_id"], "anchor_mac": pinned["mac"]},
    ).json()
    assert (over_http["ok"], over_http["entry_id"]) == (False, 4)


def test_an_anchored_entry_replaced_by_a_key_holder_no_longer_matches_the_anchor(
    api: Api, org: dict[str, Any], container: Container
) -> None:
    _walk(api, org)
    verdict = _verify(container)
    pinned = audit.make_anchor(verdict.last_id, verdict.last_mac)
    with container.session_factory() as session:
        key = key_of(session)
    _rewrite(container, 1, _with_key(key), actor_id=424242)  # e.g. a restored, doctored copy
    assert _verify(container).ok
    moved = _verify(container, pinned)
    assert (moved.ok, moved.entry_id) == (False, 5)
    assert "does not carry the anchored MAC" in moved.message


def test_a_corrupt_row_written_with_raw_sql_is_named_not_a_traceback(
    api: Api, org: dict[str, Any], container: Container, operator: Any
) -> None:
    _walk(api, org)
    sqlite = container.engine.dialect.name == "sqlite"
    # PostgreSQL's JSONB refuses text that is not JSON, so there it is JSON of the wrong type.
    corrupt = "'{\"reason\": broken'" if sqlite else '\'["not", "an", "object"]\''
    with container.engine.begin() as conn:
        conn.execute(text(f"UPDATE audit_log SET detail = {corrupt} WHERE id = 2"))
    broken = operator("audit", "verify")
    assert broken.exit_code == 1
    assert "entry 2 is unreadable (detail:" in broken.output
    assert "审计记录 2 不可读" in broken.output
    assert api.get("admin", "/api/v1/admin/audit/verify").json()["entry_id"] == 2


def test_on_sqlite_wrong_types_and_a_corrupt_event_are_named_too(
    api: Api, org: dict[str, Any], container: Container, operator: Any
) -> None:
    if container.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's column types refuse these values")
    _walk(api, org)
    for statement, words in [
        ("UPDATE audit_log SET actor_id = 'abc' WHERE id = 3", "entry 3 is unreadable (actor_id"),
        ("UPDATE audit_log SET at = 'yesterday' WHERE id = 2", "entry 2 is unreadable (at"),
        ("UPDATE audit_log SET hash = 42 WHERE id = 1", "entry 1 is unreadable (hash"),
        (
            "UPDATE complaint_events SET data = '{oops' WHERE action = 'file'",
            "(entry 1) is unreadable (data",
        ),
    ]:
        with container.engine.begin() as conn:
            conn.execute(text(statement))
        broken = operator("audit", "verify")
        assert broken.exit_code == 1 and words in broken.output, (statement, broken.output)
        with container.engine.begin() as conn:  # undo, so the next one is the first bad entry
            conn.execute(text("DELETE FROM audit_log"))
            conn.execute(text("DELETE FROM audit_head"))
            conn.execute(text("DELETE FROM complaint_events"))
        _walk(api, org)


def test_a_normal_lifecycle_verifies_intact_with_its_anchor_after_more_work(
    api: Api, org: dict[str, Any], container: Container, operator: Any, tmp_path: Path
) -> None:
    _walk(api, org)
    printed = operator("audit", "anchor")
    assert printed.exit_code == 0, printed.output
    anchor_file = tmp_path / "anchor.json"
    anchor_file.write_text(printed.output)
    _walk(api, org)  # the chain grows past the anchor (a repeat complaint: one entry more)
    grown = _verify(container).checked
    assert grown > 5
    intact = operator("audit", "verify", "--anchor", str(anchor_file))
    assert intact.exit_code == 0, intact.output
    assert f"chain intact: {grown}" in intact.output
    assert "anchor at entry 5 holds" in intact.output


def test_a_bad_anchor_file_or_an_unusable_key_file_is_exit_2_with_a_bilingual_reason(
    api: Api,
    org: dict[str, Any],
    container: Container,
    operator: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _walk(api, org)
    garbage = tmp_path / "anchor.json"
    garbage.write_text("{last_id: 5")
    for args, words in [
        (["--anchor", str(tmp_path / "missing.json")], "cannot read the anchor file"),
        (["--anchor", str(garbage)], "the anchor is not JSON"),
    ]:
        refused = operator("audit", "verify", *args)
        assert refused.exit_code == 2 and words in refused.output, refused.output
    bad_http = api.get("admin", "/api/v1/admin/audit/verify", params={"anchor_id": 5})
    assert bad_http.status_code == 422 and "mac" in bad_http.text

    monkeypatch.setenv("COMPLAINTDESK_AUDIT_KEY_FILE", str(tmp_path / "no.key"))
    missing_key = operator("audit", "verify")
    assert missing_key.exit_code == 2
    assert "审计密钥文件不存在" in missing_key.output and "does not exist" in missing_key.output
    other_key = tmp_path / "other.key"
    other_key.write_text("b" * 64)
    monkeypatch.setenv("COMPLAINTDESK_AUDIT_KEY_FILE", str(other_key))
    wrong_key = operator("audit", "verify")  # entries sealed with the derived key
    assert wrong_key.exit_code == 1 and "entry 1 was edited" in wrong_key.output


def _make_legacy(container: Container) -> None:
    """The chain as the plain-SHA-256 code wrote it before this release."""
    _rewrite(container, 1, seal.legacy_hash)


def test_a_legacy_chain_is_resealed_once_and_the_rekey_is_recorded(
    api: Api, org: dict[str, Any], container: Container, operator: Any
) -> None:
    _walk(api, org)
    _make_legacy(container)
    _walk(api, org)  # upgraded code keeps chaining keyed entries onto the legacy prefix
    before = operator("audit", "verify")
    assert before.exit_code == 1 and "audit rekey" in before.output
    with container.engine.begin() as conn:
        total = int(conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one())

    done = operator("audit", "rekey")
    assert done.exit_code == 0, done.output
    assert f"re-sealed {total} entries" in done.output and "1–5" in done.output
    after = _verify(container)
    assert after.ok and after.checked == total + 1, after.message
    with container.session_factory() as session:
        last = session.scalars(select(AuditEntryRow).order_by(AuditEntryRow.id.desc())).first()
        assert last is not None and last.kind == "audit:rekey"
        assert (last.detail["legacy_through"], last.detail["resealed"]) == (5, total)
    again = operator("audit", "rekey")
    assert again.exit_code == 0 and "already keyed" in again.output
    assert _verify(container).checked == total + 1  # nothing recorded the second time

    _rewrite(container, 3, seal.legacy_hash, actor_id=None)  # rekey is not a way back in
    assert (_verify(container).ok, _verify(container).entry_id) == (False, 3)


def test_rekey_refuses_a_legacy_chain_that_is_already_broken_and_changes_nothing(
    api: Api, org: dict[str, Any], container: Container, operator: Any
) -> None:
    _walk(api, org)
    _make_legacy(container)
    with container.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor_id = 999 WHERE id = 2"))
        before = conn.execute(text("SELECT id, hash FROM audit_log ORDER BY id")).fetchall()
    refused = operator("audit", "rekey")
    assert refused.exit_code == 1
    assert "nothing re-sealed" in refused.output and "entry 2" in refused.output
    with container.engine.begin() as conn:
        assert conn.execute(text("SELECT id, hash FROM audit_log ORDER BY id")).fetchall() == before


def test_a_bulk_import_seals_its_entries_with_the_key_on_the_copy_path_too(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    rows = [
        [
            n,
            f"U{n}",
            "路灯",
            "2026-11-01 10:00:00",
            f"第{n}号路灯坏了一个多月无人维修，晚上很黑",
            "",
        ]
        for n in range(1, 131)
    ]
    report = run(container, write_csv(tmp_path / "many.csv", rows))
    assert report.imported == 130 and report.errors == []
    verdict = _verify(container)
    assert verdict.ok and verdict.checked >= 130, verdict.message  # 100+: COPY on PostgreSQL
    with container.session_factory() as session:
        forged = audit_verify.verify(session, b"z" * 32)
    assert (forged.ok, forged.entry_id) == (False, 1)
