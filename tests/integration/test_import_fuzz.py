"""Hostile and broken files through the complaint import, on SQLite and PostgreSQL.

Each file gives a clean import or a clear bilingual refusal — never a 500 — and a refusal
leaves the database exactly as it was (row counts before == after), also when the damage
only shows after batches were already written. Bombs and huge lines are built here, in
memory or in tmp_path; none is committed.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from complaintdesk.audit import service as audit
from complaintdesk.bootstrap import Container
from complaintdesk.complaints.tables import ComplainantRow, ComplaintEventRow, ComplaintRow
from complaintdesk.intake import importer
from complaintdesk.io.tables import TableError
from complaintdesk.kernel.errors import InvalidInput
from tests.conftest import Api

HEADER = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签"]
URL = "/api/v1/intake/imports"
BILINGUAL = re.compile(r"[\u4e00-\u9fff].* / [A-Za-z]")
GB = 1024 * 1024 * 1024
FUZZ_EXAMPLES = 40


def stored(container: Container) -> tuple[int, int, int]:
    with container.uow() as uow:
        return tuple(  # type: ignore[return-value]
            int(uow.session.scalar(select(func.count()).select_from(t)) or 0)
            for t in (ComplaintRow, ComplaintEventRow, ComplainantRow)
        )


def rows(n: int, start: int = 1) -> list[list[Any]]:
    return [
        [i, f"U{i}", f"标题{i}", "2026-11-01 10:00:00", f"第{i}件投诉：路灯坏了{i}天", "城乡建设"]
        for i in range(start, start + n)
    ]


def csv_bytes(data: list[list[Any]], encoding: str = "utf-8", header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *data])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(data: list[list[Any]], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in data:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(api: Api, name: str, data: bytes) -> Any:
    response = api.post("operator", URL, files={"file": (name, data, "application/octet-stream")})
    assert response.status_code in (200, 422), response.text  # never a 500
    return response


def assert_refused(container: Container, api: Api, name: str, data: bytes, *words: str) -> Any:
    before = stored(container)
    response = upload(api, name, data)
    assert response.status_code == 422, response.text
    message = response.json()["error"]["message"]
    assert BILINGUAL.search(message), message
    for word in words:
        assert word in response.text, response.text
    assert stored(container) == before
    return response.json()


# --- zip members built by hand: sizes in the directory are whatever we declare ----------


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of (name, deflated data, crc, declared size) members, written byte by byte."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), size, len(encoded), 0
        )
        out += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            len(data),
            size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0
    )
    return bytes(out + central + end)


def sheet_bomb(gigabytes: int) -> tuple[bytes, int]:
    """Deflate data of a sheet XML that inflates to ``gigabytes`` GB of white space.

    After a full flush deflate forgets its history, so one compressed megabyte repeated
    is a valid stream: a few MB that inflate to GBs, built without inflating anything."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    ) + c.flush(zlib.Z_FULL_FLUSH)
    c.compress(b" " * (1 << 20))
    c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(b" " * (1 << 20)) + c.flush(zlib.Z_FULL_FLUSH)
    return head + block * (gigabytes * 1024) + c.flush(), gigabytes * GB


def workbook_with_sheet(sheet_data: bytes, declared_size: int, crc: int = 0) -> bytes:
    """A real workbook's parts, with its first sheet replaced."""
    members = []
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows(1)))) as z:
        for info in z.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                members.append((info.filename, sheet_data, crc, declared_size))
            else:
                body = z.read(info)
                members.append((info.filename, _deflate(body), zlib.crc32(body), len(body)))
    return raw_zip(members)


# --- the cases ---------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_inflated(
    container: Container, api: Api
) -> None:
    data, size = sheet_bomb(3)
    assert len(data) < 4 * 1024 * 1024 and size == 3 * GB  # ~1000:1, a real bomb
    body = assert_refused(container, api, "bomb.xlsx", workbook_with_sheet(data, size))
    assert "压缩炸弹" in body["error"]["message"] and "zip bomb" in body["error"]["message"]


def test_a_zip_bomb_that_lies_about_its_size_is_inflated_no_further_than_it_claims(
    container: Container, api: Api
) -> None:
    data, _size = sheet_bomb(3)
    # The directory claims 4 KB, so the ratio looks harmless; zipfile stops after 4 KB and
    # the CRC (or the cut XML) fails: a damaged file, not 3 GB in memory.
    lying = workbook_with_sheet(data, 4096, crc=0x12345678)
    assert_refused(container, api, "lying.xlsx", lying, "无法读取Excel文件")


def test_a_truncated_workbook_is_refused(container: Container, api: Api) -> None:
    whole = xlsx_bytes(rows(30))
    for cut in (len(whole) // 3, len(whole) * 2 // 3, len(whole) - 30):
        assert_refused(container, api, "cut.xlsx", whole[:cut], "无法读取Excel文件")


def test_a_sheet_cut_off_after_batches_were_written_stores_nothing(
    container: Container, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH", 2)
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows(40)))) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    cut = sheet[: sheet.index(b'<row r="30"')]  # rows 2–29 parse, then the XML just ends
    broken = workbook_with_sheet(_deflate(cut), len(cut), zlib.crc32(cut))
    assert_refused(container, api, "cut-sheet.xlsx", broken, "无法读取Excel文件")
    # the same rows whole import cleanly afterwards
    assert upload(api, "whole.xlsx", xlsx_bytes(rows(40))).json()["imported"] == 40


def test_a_file_that_changes_encoding_halfway_stores_nothing_of_its_first_half(
    container: Container, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH", 10)
    ascii_rows = [[i, f"U{i}", "t", "2026-11-01 10:00:00", "x" * 10_000, ""] for i in range(1, 120)]
    head = csv_bytes(rows(3, start=5000) + ascii_rows)  # UTF-8, then over 1 MB of ASCII
    tail = csv_bytes(rows(2, start=9000), encoding="gbk").split(b"\r\n", 1)[1]
    body = assert_refused(container, api, "mixed.csv", head + tail, "编码", "consistently utf-8")
    assert "第" in body["error"]["message"]


def test_a_wrong_but_consistent_encoding_is_told_or_refused_clearly(
    container: Container, api: Api
) -> None:
    gbk = upload(api, "gbk.csv", csv_bytes(rows(3), encoding="gbk"))
    assert gbk.status_code == 200 and gbk.json()["encoding"] == "gb18030"
    utf16 = upload(api, "utf16.csv", csv_bytes(rows(3, start=10), encoding="utf-16"))
    assert utf16.status_code == 200 and utf16.json()["imported"] == 3
    # UTF-16 without its BOM is mostly NUL bytes: refused as binary, not imported as noise
    no_bom = csv_bytes(rows(3, start=20), encoding="utf-16-le")
    assert_refused(container, api, "nobom.csv", no_bom, "二进制")
    assert stored(container)[0] == 6


def test_a_100_mb_header_line_is_refused_by_the_line_limit_without_reading_it(
    container: Container, tmp_path: Path
) -> None:
    path = tmp_path / "huge-header.csv"
    with path.open("wb") as handle:
        handle.write("留言详情,".encode())
        chunk = b"a" * (1 << 20)
        for _ in range(100):
            handle.write(chunk)
        handle.write(b"\n1\n")
    assert path.stat().st_size > 100 * 1024 * 1024
    before = stored(container)
    with pytest.raises(TableError, match="表头行超过 65536 个字符") as refused:
        importer.run_for_file(container, path, importer.ImportOptions())
    assert "header row is longer than 65536 characters" in str(refused.value)
    assert stored(container) == before


def test_a_long_header_line_over_the_api_is_refused(container: Container, api: Api) -> None:
    data = ("留言详情," + "列" * 100_000 + "\n内容\n").encode()
    assert_refused(container, api, "long.csv", data, "表头行超过", "header row is longer")


def test_an_endless_data_line_is_refused_with_its_row_number(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    from complaintdesk.io.tables import Limits, read_table

    path = tmp_path / "endless.csv"
    path.write_bytes(csv_bytes(rows(2)) + b"3,U3,t,," + b"z" * (3 << 20) + b"\n")
    table = read_table(path, limits=Limits(max_line_chars=1 << 20))
    with pytest.raises(TableError, match="第4行超过") as refused:
        importer.import_rows(container, table, importer.ImportOptions())
    assert "row 4 is longer than" in str(refused.value)
    assert stored(container) == (0, 0, 0)


def test_formula_cells_are_refused_when_they_leave_the_letter_empty(
    container: Container, api: Api
) -> None:
    # openpyxl writes formulas without a cached value: read as values, the letter is empty
    formulas = xlsx_bytes(
        [
            [1, "U1", "正常", "2026-11-01 10:00:00", "路灯坏了", ""],
            [2, "U2", "公式", "2026-11-01 10:00:00", '=HYPERLINK("http://x.test","点我")', ""],
        ]
    )
    body = assert_refused(container, api, "formula.xlsx", formulas, "不能为空")
    assert [r["row"] for r in body["error"]["rows"]] == [3]


def test_a_formula_like_text_in_a_csv_is_stored_as_the_complainants_text(
    container: Container, api: Api
) -> None:
    text = "=cmd|' /C calc'!A0 路灯坏了"
    ok = upload(api, "formula.csv", csv_bytes([[1, "U1", "=1+1", "2026-11-01 10:00:00", text, ""]]))
    assert ok.status_code == 200 and ok.json()["imported"] == 1
    with container.uow() as uow:
        assert uow.session.scalar(select(ComplaintRow.content)) == text


def test_nul_bytes_in_a_cell_refuse_the_file_and_name_the_row(
    container: Container, api: Api
) -> None:
    data = csv_bytes(rows(3)) + "4,U4,t,2026-11-01 10:00:00,路灯\x00坏了,\n".encode()
    body = assert_refused(container, api, "nul.csv", data, "二进制")
    assert [r["row"] for r in body["error"]["rows"]] == [5]
    binary = b"\x00" * 4096 + csv_bytes(rows(1))
    assert_refused(container, api, "binary.csv", binary, "二进制")


def test_mixed_line_endings_import_every_row(container: Container, api: Api) -> None:
    lines = [",".join(HEADER)] + [",".join(str(v) for v in r) for r in rows(4)]
    data = lines[0] + "\r\n" + lines[1] + "\n" + lines[2] + "\r" + lines[3] + "\r\n" + lines[4]
    ok = upload(api, "endings.csv", data.encode())
    assert ok.status_code == 200, ok.text
    assert ok.json()["imported"] == 4 and stored(container)[0] == 4


def test_a_duplicated_header_the_import_needs_is_refused_and_an_unused_one_is_not(
    container: Container, api: Api
) -> None:
    twice = [*HEADER, "留言详情"]
    data = csv_bytes([[*r, "另一段内容"] for r in rows(2)], header=twice)
    assert_refused(container, api, "dup.csv", data, "重复", "appears more than once")
    notes = [*HEADER, "备注", "备注"]
    ok = upload(api, "notes.csv", csv_bytes([[*r, "a", "b"] for r in rows(2)], header=notes))
    assert ok.status_code == 200 and ok.json()["imported"] == 2


def test_a_bad_row_after_stored_batches_rolls_the_whole_upload_back(
    container: Container, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH", 3)
    bad = [99, "U99", "t", "2026-11-01 10:00:00", "", ""]  # empty letter, the 12th row
    data = csv_bytes([*rows(10), bad, *rows(5, start=11)])
    body = assert_refused(container, api, "late.csv", data, "未保存任何数据", "nothing was stored")
    assert [r["row"] for r in body["error"]["rows"]] == [12]
    assert body["report"]["imported"] == 0 and body["report"]["stored"] is False
    ok = upload(api, "fixed.csv", csv_bytes([*rows(10), *rows(5, start=11)]))
    assert ok.status_code == 200 and ok.json()["imported"] == 15
    with container.uow() as uow:
        verdict = audit.verify(uow)
    assert verdict.ok and verdict.checked == 15, verdict.message


# --- random damage: any byte changed, cut or inserted -----------------------------------

VALID = csv_bytes(rows(6))


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "cut", "insert", "nul", "quote"]))
        if kind == "flip":
            data[where] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[where:]
            if not data:
                data = bytearray(b",")
        elif kind == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "nul":
            data[where:where] = b"\x00"
        else:
            data[where:where] = b'"'
    return bytes(data)


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=damaged())
def test_randomly_damaged_files_import_cleanly_or_store_nothing(
    container: Container, org: dict[str, Any], tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    before = stored(container)
    try:
        report = importer.run_for_file(container, path, importer.ImportOptions(source="fuzz"))[1]
    except InvalidInput as exc:
        assert BILINGUAL.search(str(exc)), str(exc)
        assert stored(container) == before
        return
    after = stored(container)
    if report.stored:
        assert after[0] == before[0] + report.imported
    else:
        assert after == before
        assert all(BILINGUAL.search(e.reason) for e in report.errors), report.errors
