"""The one table reader (complaintdesk.io.tables) and every importer agreeing on it."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from complaintdesk.clock.calendar import HolidayEntry, read_holiday_file
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.evaluation import cli as competency_cli
from complaintdesk.intake import importer
from complaintdesk.io import excel, tables
from complaintdesk.io.tables import Limits, TableError
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.telecom import importers, knowledge
from complaintdesk.triage import archive

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)
CJK = re.compile(r"[\u4e00-\u9fff]")
MB = 1024 * 1024

HEADER = ["编号", "站点", "影响区域", "开始时间"]
ROWS = [
    ["A-1", "一号站", "A1区、A2区", "2026-11-30 08:00"],
    ["A-2", "二号站（西州）", "A3区", "2026-11-30 08:30"],
]
TEXT = "\r\n".join(",".join(r) for r in [HEADER, *ROWS]) + "\r\n"


def assert_bilingual(error: TableError, *fragments: str) -> None:
    """Chinese first, then English, in one message; and an InvalidInput (HTTP 422)."""
    assert isinstance(error, InvalidInput)
    assert str(error) == f"{error.zh} / {error.en}"
    assert CJK.search(error.zh), error.zh
    assert not CJK.search(error.en) and re.search(r"[a-z]{3}", error.en), error.en
    for fragment in fragments:
        assert fragment in str(error), (fragment, str(error))


def read(source: bytes | Path, filename: str | None = None, **kw: Any) -> tables.Table:
    return tables.read_table(source, filename, **kw)


def xlsx_bytes(rows: list[list[Any]], *, title: str = "Sheet") -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- encodings -------------------------------------------------------------------------

ENCODINGS: list[tuple[str, Callable[[str], bytes], str]] = [
    ("utf-8", lambda t: t.encode("utf-8"), "utf-8"),
    ("utf-8 with BOM", lambda t: t.encode("utf-8-sig"), "utf-8-sig"),
    ("gb18030", lambda t: t.encode("gb18030"), "gb18030"),
    ("gbk (Excel on a Chinese desktop)", lambda t: t.encode("gbk"), "gb18030"),
    ("gb2312", lambda t: t.replace("（西州）", "").encode("gb2312"), "gb18030"),
    ("utf-16 LE with BOM", lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), "utf-16"),
    ("utf-16 BE with BOM", lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "utf-16"),
    ("utf-32 LE with BOM", lambda t: t.encode("utf-32"), "utf-32"),
]


@pytest.mark.parametrize(("label", "encode", "detected"), ENCODINGS, ids=[e[0] for e in ENCODINGS])
@pytest.mark.parametrize("as_path", [False, True], ids=["bytes", "path"])
def test_every_encoding_reads_to_the_same_rows(
    label: str, encode: Callable[[str], bytes], detected: str, as_path: bool, tmp_path: Path
) -> None:
    data = encode(TEXT)
    source: bytes | Path = data
    if as_path:
        source = tmp_path / "alarms.csv"
        source.write_bytes(data)
    with read(source, "alarms.csv") as table:
        assert table.kind == "csv" and table.encoding == detected
        assert table.header == HEADER
        got = list(table.rows)
    expected = [r[:] for r in ROWS]
    if label == "gb2312":
        expected[1][1] = "二号站"
    assert got == [(2, expected[0]), (3, expected[1])]
    assert table.done() == table.total == len(data)


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("留言编号,留言详情\n".encode("gbk"), "gb18030"),
        ("留言编号,留言详情\n".encode(), "utf-8"),
        (codecs.BOM_UTF8 + "留言".encode(), "utf-8-sig"),
        ("留言".encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + "留言".encode("utf-16-be"), "utf-16"),
        (b"plain,ascii\n", "utf-8"),
        ("留言编号".encode("gbk")[:-1], "gb18030"),  # cut inside a character: still GB18030
    ],
)
def test_detect_encoding(sample: bytes, expected: str) -> None:
    assert tables.detect_encoding(sample) == expected
    assert importer.detect_encoding is tables.detect_encoding


def test_gbk_after_a_long_ascii_start_is_still_recognised() -> None:
    filler = "".join(f"{n},plain ascii text,,\n" for n in range(120_000))  # > 1 MB of ASCII
    data = ("id,text,a,b\n" + filler + "7,路灯不亮,,\n").encode("gbk")
    assert len(data) > 2 * tables.SAMPLE_BYTES
    with read(data, "late.csv") as table:
        assert table.encoding == "gb18030"
        *_, last = table.rows
    assert last == (120_002, ["7", "路灯不亮", "", ""])


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        (b"text,label\n\xff\xfe\xff\xff,A\n", ("编码", "encoding", "GB18030")),
        (b"\x00\x01\x02" * 100, ("二进制", "binary")),
        (b"", ("文件为空", "empty")),
        (b"  \r\n\r\n", ("文件为空", "empty")),
        (b",,,\n , ,\n", ("文件为空", "empty")),
        (codecs.BOM_UTF8, ("文件为空", "empty")),
    ],
    ids=["unknown encoding", "binary", "empty", "white space", "blank cells", "only a BOM"],
)
def test_unreadable_text_is_refused_with_a_bilingual_message(
    data: bytes, fragments: tuple[str, ...]
) -> None:
    with pytest.raises(TableError) as error:
        read(data, "x.csv")
    assert_bilingual(error.value, *fragments)


def test_a_file_that_changes_encoding_midway_names_the_row() -> None:
    utf8 = "留言编号,留言详情\n" + "".join(f"{n},第{n}行的投诉内容\n" for n in range(60_000))
    data = utf8.encode() + "60000,第二种编码\n".encode("gbk")
    assert len(utf8.encode()) > tables.SAMPLE_BYTES  # past what the encoding is told from
    table = read(data, "mixed.csv")
    assert table.encoding == "utf-8"
    with pytest.raises(TableError) as error:
        for _ in table.rows:
            pass
    assert_bilingual(error.value, "行附近编码错误", "not consistently utf-8")
    # "near": text is decoded a buffer ahead of the rows, so the row named is at most one
    # buffer before the bad one (60002)
    found = re.search(r"第(\d+)行附近", str(error.value))
    assert found is not None and 50_000 < int(found.group(1)) <= 60_002


# --- header, blank rows, delimiters ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "name"),
    [
        ("留言详情", "留言详情"),
        ("  留言详情 \t", "留言详情"),
        ("\ufeff留言编号", "留言编号"),
        ("\u200b留言\u200c详情\u200d\u2060", "留言详情"),
        ("\u00a0站点\u00a0", "站点"),
        ("\u3000站点\u3000\u3000", "站点"),
        ("unit\u00a0code", "unit code"),
        ("单位编码\u3000/ unit_code", "单位编码 / unit_code"),
        (None, ""),
        (2027, "2027"),
        (2027.0, "2027"),
    ],
)
def test_header_cells_are_cleaned_by_one_rule(cell: Any, name: str) -> None:
    assert tables.clean_name(cell) == name


DIRTY_HEADER = ["\ufeff 编号", "站点\u3000", "\u200b影响区域", "开始时间\u00a0"]


def test_csv_and_xlsx_headers_get_the_same_clean_up(tmp_path: Path) -> None:
    csv_data = ",".join(DIRTY_HEADER).encode("utf-8") + b"\nA-1,s,a,t\n"
    xlsx_data = xlsx_bytes([DIRTY_HEADER, ["A-1", "s", "a", "t"]])
    for data, name in ((csv_data, "h.csv"), (xlsx_data, "h.xlsx")):
        with read(data, name) as table:
            assert table.header == HEADER, name
            expected = dict(zip(HEADER, ["A-1", "s", "a", "t"], strict=True))
            assert list(table.dicts()) == [(2, expected)]


def test_blank_rows_are_skipped_and_row_numbers_are_the_spreadsheets() -> None:
    text = "\n,,\n名称,数量\n甲,1\n\n , \n乙,2\n"
    with read(text.encode("gbk"), "t.csv") as table:
        assert table.header == ["名称", "数量"]
        assert list(table.rows) == [(4, ["甲", "1"]), (7, ["乙", "2"])]
    book = xlsx_bytes([[None, None], ["名称", "数量"], ["甲", 1], [None, " "], ["乙", 0]])
    with read(book, "t.xlsx") as table:
        assert table.header == ["名称", "数量"]
        assert list(table.rows) == [(3, ["甲", 1]), (5, ["乙", 0])]  # 0 is not blank


def test_tsv_is_tab_separated_and_csv_comma_separated() -> None:
    assert list(read(b"a\tb\n1\t2,3\n", "t.tsv").rows) == [(2, ["1", "2,3"])]
    assert list(read(b"a,b\n1\t2,3\n", "t.csv").rows) == [(2, ["1\t2", "3"])]


@pytest.mark.parametrize(
    ("filename", "fragments"),
    [
        ("table.xls", (".xls", "save it as .xlsx or .csv")),
        ("table.pdf", ("不支持的文件类型", "unsupported file type '.pdf'")),
        (None, ("不支持的文件类型", "unsupported file type")),
    ],
)
def test_other_file_types_are_refused(filename: str | None, fragments: tuple[str, ...]) -> None:
    with pytest.raises(TableError) as error:
        read(b"a,b\n1,2\n", filename)
    assert_bilingual(error.value, *fragments)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TableError) as error:
        read(tmp_path / "missing.csv")
    assert_bilingual(error.value, "文件不存在", "file not found")


def test_the_file_is_closed_when_the_table_is(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    table = read(path)
    table.close()
    with pytest.raises(ValueError):
        next(table.rows)  # reading a closed file


# --- xlsx limits: size, zip bombs, damage -----------------------------------------------------


def zip_bomb(megabytes: int) -> bytes:
    """A workbook-shaped zip whose sheet unpacks to ``megabytes`` MB of one repeated byte."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"A" * MB
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            for _ in range(megabytes):
                member.write(chunk)
    return out.getvalue()


@pytest.fixture
def openpyxl_never_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    import openpyxl

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("openpyxl was asked to parse a refused file")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


@pytest.mark.usefixtures("openpyxl_never_parses")
def test_a_zip_bomb_is_refused_before_openpyxl_parses_it(tmp_path: Path) -> None:
    bomb = zip_bomb(300)  # 300 MB of "A" → a few hundred KB
    assert len(bomb) < 2 * MB
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    for source in (bomb, path):
        with pytest.raises(TableError) as error:
            read(source, "bomb.xlsx")
        assert_bilingual(error.value, "压缩炸弹", "zip bomb", "compression ratio")
    with pytest.raises(TableError, match="zip bomb"):
        tables.read_sheets(bomb)
    with pytest.raises(excel.BadWorkbook, match="zip bomb"):
        excel.read_sheets(bomb)


@pytest.mark.usefixtures("openpyxl_never_parses")
@pytest.mark.parametrize(
    ("limits", "fragments"),
    [
        (
            Limits(max_unzipped_bytes=4 * MB, max_ratio=10_000),
            ("解压后超过 4 MB", "unpack to more than 4 MB"),
        ),
        (Limits(max_ratio=50, ratio_floor_bytes=MB), ("压缩比异常", "compression ratio")),
        (Limits(max_members=2), ("部件过多", "too many parts")),
    ],
    ids=["unpacked size", "ratio", "members"],
)
def test_the_zip_limits_can_be_lowered(limits: Limits, fragments: tuple[str, ...]) -> None:
    bomb = zip_bomb(8)
    assert tables.LIMITS.max_unzipped_bytes > 8 * MB  # the defaults refuse it by ratio only
    with pytest.raises(TableError) as error:
        read(bomb, "bomb.xlsx", limits=limits)
    assert_bilingual(error.value, *fragments)


def test_a_large_but_ordinary_workbook_passes_the_zip_check() -> None:
    rows = [["编号", "内容"]] + [
        [n, f"第{n}条投诉内容，各不相同 {n * 7919}"] for n in range(20_000)
    ]
    data = xlsx_bytes(rows)
    tables.check_xlsx(data)  # no error
    with read(data, "big.xlsx") as table:
        assert sum(1 for _ in table.rows) == 20_000
        assert table.done() == table.total == 20_001


@pytest.mark.parametrize(
    ("name", "limits", "fragments"),
    [
        ("t.csv", Limits(max_bytes=1000), ("文件超过", "larger than")),
        ("t.xlsx", Limits(max_bytes=1000), ("文件超过", "larger than")),
        ("t.xlsx", Limits(max_xlsx_bytes=1000), ("文件超过", "larger than")),
    ],
)
def test_a_too_large_file_is_refused(
    name: str, limits: Limits, fragments: tuple[str, ...], tmp_path: Path
) -> None:
    rows = [["编号", "内容"]] + [[n, "投诉内容" * 10] for n in range(200)]
    if name.endswith(".csv"):
        data = "\n".join(f"{a},{b}" for a, b in rows).encode()
    else:
        data = xlsx_bytes(rows)
    assert len(data) > 1000
    path = tmp_path / name
    path.write_bytes(data)
    for source in (data, path):
        with pytest.raises(TableError) as error:
            read(source, name, limits=limits)
        assert_bilingual(error.value, *fragments)


def test_the_evaluation_upload_keeps_its_10_mb_limit() -> None:
    with pytest.raises(excel.BadWorkbook) as error:
        excel.read_sheets(b"PK" + b"\x00" * (excel.MAX_UPLOAD_BYTES + 1))
    assert_bilingual(error.value, "文件超过 10 MB", "larger than 10 MB")


def truncated_workbook() -> bytes:
    data = xlsx_bytes([["编号", "内容"], *([n, "内容"] for n in range(100))])
    return data[: len(data) // 2]


def corrupted_sheet() -> bytes:
    """A workbook whose zip directory is intact but whose sheet's deflate data is not: the
    damage shows only when the rows are read."""
    rows = [["编号", "内容"]] + [[n, f"第{n}条 {n * 31337}"] for n in range(5000)]
    data = bytearray(xlsx_bytes(rows))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    data[middle : middle + 64] = b"\xff" * 64
    return bytes(data)


@pytest.mark.parametrize(
    "data",
    [
        truncated_workbook(),
        b"PK\x03\x04 not really a zip",
        b"just text, named .xlsx",
        xlsx_bytes([["a"]])[:-22],  # end of the zip directory missing
        corrupted_sheet(),
    ],
    ids=["truncated", "fake zip header", "not a zip", "no end record", "corrupt sheet"],
)
def test_a_truncated_or_invalid_workbook_is_refused_with_one_clear_error(data: bytes) -> None:
    with pytest.raises(TableError) as error, read(data, "broken.xlsx") as table:
        list(table.rows)
    assert_bilingual(error.value, "无法读取Excel文件", "damaged or not an .xlsx file")
    with pytest.raises(TableError, match="无法读取Excel文件"):
        tables.read_sheets(data)


def test_read_sheets_returns_every_sheet_with_blank_rows_kept_and_headers_cleaned() -> None:
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "测评"
    for row in (["\ufeff单位编码\u3000", "月份"], ["police", "2026-11"], [None, None], ["x", 1]):
        first.append(row)
    second = book.create_sheet("整改")
    second.append(["单位编码", "整改情况"])
    out = io.BytesIO()
    book.save(out)
    sheets = excel.read_sheets(out.getvalue())
    assert list(sheets) == ["测评", "整改"]
    assert sheets["测评"] == [
        ("单位编码", "月份"),
        ("police", "2026-11"),
        (None, None),
        ("x", 1),
    ]
    assert sheets["整改"] == [("单位编码", "整改情况")]


def test_read_dicts_gives_the_header_and_rows_as_dicts() -> None:
    header, rows = tables.read_dicts("a,b,c\n1,2\n3,4,5\n".encode("gbk"), "t.csv")
    assert header == ["a", "b", "c"]
    assert rows == [{"a": "1", "b": "2"}, {"a": "3", "b": "4", "c": "5"}]


# --- every importer agrees --------------------------------------------------------------------

# One GBK table that every importer's layout can read: alarm columns, holiday columns and
# the Teddy Cup complaint columns side by side.
AGREED_HEADER = [
    "编号",
    "站点",
    "影响区域",
    "开始时间",
    "date",
    "is_workday",
    "name",
    "留言编号",
    "留言主题",
    "留言详情",
    "一级标签",
]
AGREED_ROWS = [
    [
        "A-1",
        "一号站",
        "A1区、A2区",
        "2026-11-30 08:00",
        "2027-01-01",
        "休",
        "元旦",
        "101",
        "路灯不亮",
        "小区路灯坏了一个月无人维修",
        "城乡建设",
    ],
    [
        "A-2",
        "二号站",
        "A3区",
        "2026-11-30 08:30",
        "2027-02-07",
        "班",
        "春节调休",
        "102",
        "手机没信号",
        "家里手机一格信号都没有",
        "交通运输",
    ],
]
AGREED_TEXT = "\r\n".join(",".join(r) for r in [AGREED_HEADER, *AGREED_ROWS]) + "\r\n"


@pytest.fixture
def gbk_file(tmp_path: Path) -> Path:
    path = tmp_path / "同一张表.csv"
    path.write_bytes(AGREED_TEXT.encode("gbk"))
    return path


@pytest.fixture
def uow() -> Iterator[SqlUnitOfWork]:
    from complaintdesk.db.engine import make_engine, make_session_factory
    from complaintdesk.db.schema import metadata

    engine = make_engine("sqlite://")
    metadata.create_all(engine)
    yield SqlUnitOfWork(make_session_factory(engine))
    engine.dispose()


def test_a_gbk_alarm_file_imports(gbk_file: Path, uow: SqlUnitOfWork) -> None:
    from complaintdesk.telecom.tables import TelecomAlarmRow

    data = gbk_file.read_bytes()
    with uow:
        result = knowledge.import_file(
            uow, None, "alarms", data, "alarms.csv", NOW, root_code="tc-province"
        )
        assert (result.created, result.updated) == (2, 0)
        uow.commit()
    with uow:
        stored = {r.external_id: r for r in uow.session.scalars(select(TelecomAlarmRow))}
        assert sorted(stored) == ["A-1", "A-2"]
        assert stored["A-1"].site == "一号站" and list(stored["A-1"].areas) == ["A1区", "A2区"]
        assert stored["A-2"].started_at is not None


def test_the_same_gbk_rows_are_accepted_by_every_importer(gbk_file: Path) -> None:
    data = gbk_file.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # really GBK

    # telecom alarms (the parse path of knowledge.import_file)
    alarms = importers.parse_all(importers.read_rows(data, gbk_file.name), importers.alarm_from_row)
    assert [(i, a.site, a.areas) for i, a in alarms] == [
        ("A-1", "一号站", ("A1区", "A2区")),
        ("A-2", "二号站", ("A3区",)),
    ]
    assert alarms[1][1].started_at == datetime(2026, 11, 30, 8, 30, tzinfo=SHANGHAI)

    # complaint bulk import: the file (path and upload bytes) and every row accepted
    for source in (gbk_file, data):
        table = importer.read_table(source, gbk_file.name)
        assert table.encoding == "gb18030" and table.header == AGREED_HEADER
        columns = importer.resolve_columns(table.header, {})
        prepared = [importer.prepare(n, v, columns, "import", NOW) for n, v in table.rows]
        assert [(p.number, p.ref, p.title, p.label) for p in prepared] == [
            (2, "import:101", "路灯不亮", "城乡建设"),
            (3, "import:102", "手机没信号", "交通运输"),
        ]

    # holiday tables
    assert read_holiday_file(gbk_file) == [
        HolidayEntry(date(2027, 1, 1), False, "元旦"),
        HolidayEntry(date(2027, 2, 7), True, "春节调休"),
    ]

    # the triage archive (`complaintdesk model …`)
    table = archive.read_table(gbk_file)
    assert table.columns == AGREED_HEADER
    assert table.labels("一级标签") == ["城乡建设", "交通运输"]
    assert table.texts(["留言主题", "留言详情"])[0].startswith("路灯不亮")


def test_a_gbk_delphi_score_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "评分.csv"
    path.write_bytes("专家,沟通能力,反思能力\n张三,5,3\n李四,4,2\n".encode("gbk"))
    matrix = competency_cli.read_likert_matrix(path)
    assert matrix.indicators == ("沟通能力", "反思能力")
    assert matrix.rows == ((5, 3), (4, 2))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_other_encodings_reach_every_importer_too(encoding: str, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(AGREED_TEXT.encode(encoding))
    assert len(importers.read_rows(path.read_bytes(), "t.csv")) == 2
    assert importer.read_table(path).header == AGREED_HEADER
    assert len(read_holiday_file(path)) == 2
    assert len(archive.read_table(path).rows) == 2


def test_every_importer_refuses_an_unreadable_file_with_the_same_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    data = b"text,label\n\xff\xfe\xff\xff,A\n"
    path.write_bytes(data)
    reason = "无法识别文件编码"
    with pytest.raises(TableError, match=reason):
        importers.read_rows(data, "bad.csv")
    with pytest.raises(TableError, match=reason):
        importer.read_table(path)
    with pytest.raises(InvalidInput, match=reason):
        read_holiday_file(path)
    with pytest.raises(archive.DataError, match=reason) as archived:
        archive.read_table(path)
    assert "encoding" in archived.value.en
    with pytest.raises(competency_cli.BadScoreFile, match=reason):
        competency_cli.read_likert_matrix(path)
