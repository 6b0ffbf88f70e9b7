"""The rules of the keyed audit chain: sealing, reading stored rows, judging links, anchors,
and where the key comes from. No database."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from complaintdesk.audit import rules, seal
from complaintdesk.audit.keys import AuditKeyError, load_key

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
AT = datetime(2026, 11, 30, 1, 0, 0, 123456, tzinfo=UTC)


def _entries(n: int) -> list[dict[str, Any]]:
    return [
        {
            "at": AT,
            "kind": "event:file",
            "actor_id": 7,
            "complaint_id": i,
            "event_id": i,
            "detail": {"reason": f"第{i}条"},
        }
        for i in range(1, n + 1)
    ]


def _stored(sealed: dict[str, Any]) -> dict[str, Any]:
    """A sealed entry as the database hands it to verification (``at`` and JSON as text)."""
    return {
        **sealed,
        "at": sealed["at"].astimezone(UTC).replace(tzinfo=None).isoformat(sep=" "),
        "detail": seal.canonical(sealed["detail"]),
    }


def test_it_chains_each_mac_on_the_one_before_from_genesis() -> None:
    sealed = seal.seal(KEY, 0, seal.GENESIS, _entries(3))
    assert [s["id"] for s in sealed] == [1, 2, 3]
    assert sealed[0]["prev_hash"] == seal.GENESIS
    assert sealed[1]["prev_hash"] == sealed[0]["hash"]
    assert sealed[2]["prev_hash"] == sealed[1]["hash"]
    body = seal.body(2, _entries(3)[1])
    assert sealed[1]["hash"] == seal.entry_mac(KEY, sealed[0]["hash"], body)


def test_a_mac_depends_on_the_key_and_is_not_the_plain_sha256() -> None:
    body = seal.body(1, _entries(1)[0])
    keyed = seal.entry_mac(KEY, seal.GENESIS, body)
    assert keyed != seal.entry_mac(OTHER_KEY, seal.GENESIS, body)
    assert keyed != seal.legacy_hash(seal.GENESIS, body)


def test_sealing_continues_after_an_existing_head() -> None:
    first = seal.seal(KEY, 0, seal.GENESIS, _entries(2))
    rest = seal.seal(KEY, 2, first[-1]["hash"], _entries(1))
    whole = seal.seal(KEY, 0, seal.GENESIS, [*_entries(2), *_entries(1)])
    assert rest[0]["id"] == 3 and rest[0]["hash"] == whole[2]["hash"]


def test_the_derived_key_is_separated_from_the_secret_itself() -> None:
    assert seal.derive_key("s3cret") != b"s3cret"
    assert seal.derive_key("s3cret") != seal.derive_key("s3cret2")
    assert len(seal.derive_key("s3cret")) == 32


def test_a_stored_entry_reads_back_and_verifies_under_its_key() -> None:
    sealed = seal.seal(KEY, 0, seal.GENESIS, _entries(2))
    second = rules.read_entry(_stored(sealed[1]))
    assert second.at == AT
    assert rules.judge_seal(second, sealed[0]["hash"], KEY, legacy_ok=False) is None


def test_an_edited_field_or_another_key_is_an_edit() -> None:
    sealed = seal.seal(KEY, 0, seal.GENESIS, _entries(1))[0]
    edited = rules.read_entry(_stored({**sealed, "actor_id": 8}))
    assert "entry 1 was edited" in (
        rules.judge_seal(edited, seal.GENESIS, KEY, legacy_ok=False) or ""
    )
    honest = rules.read_entry(_stored(sealed))
    assert "entry 1 was edited" in (
        rules.judge_seal(honest, seal.GENESIS, OTHER_KEY, legacy_ok=False) or ""
    )


def test_a_plain_sha256_entry_is_refused_unless_a_legacy_prefix_is_being_resealed() -> None:
    entry = _entries(1)[0]
    plain = seal.legacy_hash(seal.GENESIS, seal.body(1, entry))
    stored = rules.read_entry(_stored({**entry, "id": 1, "prev_hash": seal.GENESIS, "hash": plain}))
    refused = rules.judge_seal(stored, seal.GENESIS, KEY, legacy_ok=False) or ""
    assert "plain SHA-256" in refused and "audit rekey" in refused and "无密钥" in refused
    assert rules.judge_seal(stored, seal.GENESIS, KEY, legacy_ok=True) == "legacy"


def test_an_entry_that_does_not_follow_its_predecessor_is_named() -> None:
    sealed = seal.seal(KEY, 0, seal.GENESIS, _entries(2))
    second = rules.read_entry(_stored(sealed[1]))
    finding = rules.judge_seal(second, seal.GENESIS, KEY, legacy_ok=False) or ""
    assert "entry 2 does not follow" in finding


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("detail", "{not json"),
        ("detail", "[1, 2]"),
        ("detail", None),
        ("hash", None),
        ("prev_hash", "short"),
        ("actor_id", "abc"),
        ("event_id", True),
        ("kind", 5),
        ("at", "yesterday"),
        ("at", None),
    ],
)
def test_a_row_that_breaks_the_schema_is_unreadable_and_names_its_column(
    column: str, value: Any
) -> None:
    stored = _stored(seal.seal(KEY, 0, seal.GENESIS, _entries(1))[0])
    with pytest.raises(rules.Unreadable) as caught:
        rules.read_entry({**stored, column: value})
    assert caught.value.column == column
    assert caught.value.zh and caught.value.en


def test_an_event_row_with_invalid_json_data_is_unreadable() -> None:
    with pytest.raises(rules.Unreadable) as caught:
        rules.read_event({"at": "2026-11-30 01:00:00", "data": "{oops"})
    assert caught.value.column == "data"


def test_an_anchor_line_round_trips() -> None:
    anchor = rules.Anchor(42, "a" * 64, "2026-11-30T01:00:00.000000Z", 42)
    assert rules.parse_anchor(anchor.line()) == anchor


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[42]",
        '{"mac": "' + "a" * 64 + '"}',
        '{"last_id": 4, "mac": "xyz"}',
        '{"last_id": true, "mac": "' + "a" * 64 + '"}',
        '{"last_id": -1, "mac": "' + "a" * 64 + '"}',
        '{"last_id": 4, "mac": "' + "a" * 64 + '", "entries": 3}',
        '{"last_id": 0, "mac": "' + "a" * 64 + '"}',
    ],
)
def test_a_bad_anchor_is_refused_with_a_bilingual_reason(text: str) -> None:
    with pytest.raises(rules.BadAnchor) as caught:
        rules.parse_anchor(text)
    assert " / " in str(caught.value)


def test_without_a_key_file_the_key_is_derived_from_the_secret() -> None:
    assert load_key(None, "s3cret") == seal.derive_key("s3cret")


def test_a_key_file_is_read_with_its_newline_stripped(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    path.write_text("f" * 64 + "\n")
    assert load_key(path, "ignored") == b"f" * 64


def test_a_missing_unreadable_or_short_key_file_is_a_bilingual_error(tmp_path: Path) -> None:
    short = tmp_path / "short.key"
    short.write_text("too short\n")
    for path, words in [
        (tmp_path / "missing.key", "does not exist"),
        (tmp_path, "cannot read"),  # a directory
        (short, "too short"),
    ]:
        with pytest.raises(AuditKeyError) as caught:
            load_key(path, "s3cret")
        assert words in str(caught.value) and "审计密钥文件" in str(caught.value)
