"""The type check reads only the head of a text file (docs/reliability.md, "Hostile input:
uploads"): decoding 10 MB whole cost 60 ms of CPU per file."""

from __future__ import annotations

import time

import pytest

from complaintdesk.intake import attachments
from complaintdesk.kernel.errors import InvalidInput


def test_text_is_judged_by_its_head_and_a_character_cut_at_the_boundary_is_fine() -> None:
    # The byte at the boundary starts a three-byte character that ends after it.
    body = b"a" * (attachments.TEXT_SNIFF_BYTES - 1) + "说明".encode() + "后文".encode() * 1000
    assert attachments.check(attachments.Upload("notes.txt", body)) == "text/plain"
    # Past the head nothing is decoded: a stray byte late in a long file does not matter.
    late = b"a" * (attachments.TEXT_SNIFF_BYTES + 10) + b"\xff"
    assert attachments.check(attachments.Upload("late.txt", late)) == "text/plain"
    gbk = attachments.Upload("gbk.txt", "小区噪音扰民".encode("gb18030") * 20_000)
    assert attachments.check(gbk) == "text/plain"


def test_binary_in_the_head_is_refused_and_a_short_file_is_decoded_whole() -> None:
    with pytest.raises(InvalidInput, match="不被接受"):
        attachments.check(attachments.Upload("x.txt", b"text\x00more"))
    with pytest.raises(InvalidInput, match="not an accepted type"):
        attachments.check(attachments.Upload("x.txt", b"ok" + b"\xff\xfe\xfd" * 3))


def test_a_ten_mb_text_file_is_checked_in_well_under_a_millisecond_per_mb() -> None:
    data = "投诉材料说明".encode() * (10 * 1024 * 1024 // 18)
    started = time.process_time()
    for _ in range(20):
        attachments.sniff(data, "big.txt")
    per_call_ms = (time.process_time() - started) * 1000 / 20
    assert per_call_ms < 5  # decoding all 10 MB took about 60 ms


def test_public_sizes_are_named_in_the_refusal() -> None:
    attachments.check_size("a.jpg", 2 * 1024 * 1024, 2 * 1024 * 1024)
    with pytest.raises(InvalidInput, match=r"超过1\.5MB上限 .*exceeds the 1\.5 MB limit"):
        attachments.check_size("a.jpg", 1_600_000, 1_572_864)
    with pytest.raises(InvalidInput, match="attachments are not accepted here"):
        attachments.check_count(1, 0)
