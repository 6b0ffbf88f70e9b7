"""Reading and writing the archive tables the CLI works on: .csv and .xlsx (first sheet,
first non-blank row is the header), read by the one table reader (complaintdesk.io.tables:
UTF-8, UTF-8 with BOM, GB18030/GBK or UTF-16, detected)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from complaintdesk.io import tables
from complaintdesk.io.cells import safe_row
from complaintdesk.triage.text import join_fields


class DataError(ValueError):
    """Bad input file, reported to the user in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[dict[str, str]]

    def texts(self, columns: Sequence[str]) -> list[str]:
        self.require(columns)
        return [join_fields(row.get(c, "") for c in columns) for row in self.rows]

    def labels(self, column: str) -> list[str]:
        self.require([column])
        return [(row.get(column) or "").strip() for row in self.rows]

    def require(self, columns: Sequence[str]) -> None:
        missing = [c for c in columns if c not in self.columns]
        if missing:
            have = ", ".join(self.columns)
            raise DataError(
                f"缺少列：{', '.join(missing)}（现有列：{have}）",
                f"missing column(s): {', '.join(missing)} (available: {have})",
            )


def read_table(path: str | Path) -> Table:
    """Every non-blank row of a .csv or .xlsx archive, cells as text."""
    path = Path(path)
    try:
        columns, records = tables.read_dicts(path)
    except tables.TableError as exc:
        raise DataError(exc.zh, exc.en) from exc
    rows = [{k: "" if v is None else str(v) for k, v in r.items()} for r in records]
    if not rows:
        raise DataError(f"文件没有数据行：{path}", f"the file has no data rows: {path}")
    return Table(columns, rows)


def write_table(path: str | Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    """Write rows as .xlsx or as UTF-8-BOM CSV (opens cleanly in Excel)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(safe_row(columns))
        for row in rows:
            sheet.append(safe_row(row.get(c, "") for c in columns))
        book.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(safe_row(columns))
        writer.writerows(safe_row(row.get(c, "") for c in columns) for row in rows)
