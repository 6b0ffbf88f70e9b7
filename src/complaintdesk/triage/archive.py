"""Reading and writing the archive tables the CLI works on: .csv (UTF-8, UTF-8 with BOM or
GB18030, detected) and .xlsx (first sheet, first row is the header)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from complaintdesk.triage.text import join_fields

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


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


def _decode(raw: bytes, path: Path) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(
        f"无法识别文件编码（支持 UTF-8、UTF-8-BOM、GB18030）：{path}",
        f"unreadable encoding (UTF-8, UTF-8-BOM or GB18030 expected): {path}",
    )


def read_table(path: str | Path) -> Table:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"文件不存在：{path}", f"file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        table = _read_xlsx(path)
    elif suffix in (".csv", ".txt"):
        table = _read_csv(path)
    else:
        raise DataError(
            f"不支持的文件类型 {suffix}（请使用 .csv 或 .xlsx）",
            f"unsupported file type {suffix} (use .csv or .xlsx)",
        )
    if not table.rows:
        raise DataError(f"文件没有数据行：{path}", f"the file has no data rows: {path}")
    return table


def _read_csv(path: Path) -> Table:
    text = _decode(path.read_bytes(), path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    rows = []
    for raw_row in reader:
        row = {(k or "").strip(): (v if isinstance(v, str) else "") for k, v in raw_row.items()}
        if any(v.strip() for v in row.values()):
            rows.append(row)
    return Table(columns, rows)


def _read_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for broken files
        raise DataError(
            f"无法读取 Excel 文件：{path}（{exc}）", f"cannot read Excel file: {path} ({exc})"
        ) from exc
    try:
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header = next(values, None)
        if header is None:
            return Table([], [])
        columns = [str(h).strip() if h is not None else "" for h in header]
        rows = []
        for value_row in values:
            cells = ["" if v is None else str(v) for v in value_row]
            if any(c.strip() for c in cells):
                rows.append(dict(zip(columns, cells, strict=False)))
        return Table(columns, rows)
    finally:
        book.close()


def write_table(path: str | Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    """Write rows as .xlsx or as UTF-8-BOM CSV (opens cleanly in Excel)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c, "") for c in columns])
        book.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
