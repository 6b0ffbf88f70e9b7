"""What the search box makes of a query, and how the matched words are marked."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from complaintdesk.search import tables
from complaintdesk.search.matching import QueryKind, bigrams, highlight, parse

MIGRATION = (
    Path(__file__).resolve().parents[2] / "src/complaintdesk/db/migrations/versions/0014_search.py"
)


def test_it_reads_a_tracking_number_in_any_case_and_pads_the_serial() -> None:
    assert parse(" ts20261201-1 ") == parse("TS20261201-000001")
    assert parse("TS20261201-000001").kind is QueryKind.TRACKING
    assert parse("ts202612").kind is QueryKind.TRACKING_PREFIX
    assert parse("ts202612").text == "TS202612"


def test_it_reads_a_phone_number_as_typed_and_as_digits() -> None:
    query = parse("138-1234-5678")
    assert query.kind is QueryKind.PHONE
    assert "13812345678" in query.phones and "138-1234-5678" in query.phones
    assert parse("123456").kind is QueryKind.WORDS  # too short for a phone


def test_it_splits_words_on_spaces_lower_cases_and_bounds_them() -> None:
    query = parse("噪音  物业 Noise 噪音")
    assert query.kind is QueryKind.WORDS and query.words == ("噪音", "物业", "noise")
    assert parse("噪").one_character_only and not parse("噪 物业").one_character_only
    assert len(parse(" ".join("abcdefghij")).words) == 5
    assert parse("   ").kind is QueryKind.EMPTY


def test_bigrams_are_the_two_character_pieces() -> None:
    assert bigrams("物业公司") == sorted(["物业", "业公", "公司"])
    assert bigrams("AB") == ["ab"]


def test_highlight_marks_every_match_and_keeps_the_rest() -> None:
    assert highlight("噪音扰民，夜间噪音", ("噪音",)) == [
        ("噪音", True),
        ("扰民，夜间", False),
        ("噪音", True),
    ]
    assert highlight("Noise at night", ("noise",)) == [("Noise", True), (" at night", False)]
    assert highlight("无关", ("噪音",)) == [("无关", False)]
    assert highlight("", ("噪音",)) == []


def test_the_migration_creates_the_function_the_schema_declares() -> None:
    spec = importlib.util.spec_from_file_location("migration_0014", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.BIGRAMS_FUNCTION == tables.BIGRAMS_FUNCTION
