"""Excel in and out with openpyxl. Tables become sheets with a bold, frozen header row.
Workbooks are read by the one table reader, :mod:`complaintdesk.io.tables`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from complaintdesk.io.cells import safe_cell
from complaintdesk.io.tables import Limits, TableError
from complaintdesk.io.tables import read_sheets as _read_sheets

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
UPLOAD_LIMITS = Limits(max_bytes=MAX_UPLOAD_BYTES)
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
# Characters Excel refuses in sheet titles.
_BAD_TITLE = str.maketrans({c: "_" for c in "[]:*?/\\"})


# The upload is not a readable .xlsx workbook (message is Chinese / English): the reader's
# one error type, under the name callers of read_sheets know.
BadWorkbook = TableError


@dataclass
class Sheet:
    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str | None = None  # a first line above the table, e.g. the report's title
    widths: dict[int, int] = field(default_factory=dict)


def read_sheets(content: bytes) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's rows as tuples of cell values (formulas as their cached values)."""
    return _read_sheets(content, limits=UPLOAD_LIMITS)


def _cell_value(value: Any) -> Any:
    if isinstance(value, str):
        return safe_cell(value)
    if isinstance(value, Decimal | int | float) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def write_workbook(sheets: Sequence[Sheet]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        ws = book.create_sheet(sheet.title.translate(_BAD_TITLE)[:31])
        first = 1
        if sheet.caption:
            ws.cell(row=1, column=1, value=safe_cell(sheet.caption)).font = Font(bold=True, size=13)
            first = 3
        for col, header in enumerate(sheet.headers, start=1):
            cell = ws.cell(row=first, column=col, value=safe_cell(header))
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for r, row in enumerate(sheet.rows, start=first + 1):
            for col, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=col, value=_cell_value(value))
                if isinstance(value, Decimal):
                    cell.number_format = "0.00"
        ws.freeze_panes = ws.cell(row=first + 1, column=1)
        for col, header in enumerate(sheet.headers, start=1):
            width = sheet.widths.get(col) or max(10, min(40, len(str(header)) * 2))
            ws.column_dimensions[get_column_letter(col)].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()
