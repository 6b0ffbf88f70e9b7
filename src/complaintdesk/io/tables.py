"""The one reader of .csv and .xlsx tables: every importer reads its files through here.

* Text tables (``.csv``, ``.txt``; ``.tsv`` is tab-separated, the others comma-separated) in
  UTF-8, UTF-8 with BOM, GB18030 (a superset of GBK and GB2312: what Excel writes on a
  Chinese desktop) or UTF-16/UTF-32 with a BOM. The encoding is told from the BOM, else from
  the first non-ASCII megabyte; the file is then *streamed*, never read whole.
* ``.xlsx``/``.xlsm`` (the first sheet; :func:`read_sheets` for all of them) through openpyxl
  in read-only mode, after :func:`check_xlsx` has looked at the zip directory: too large a
  file, too much data once unpacked or an absurd compression ratio (a zip bomb) is refused
  before openpyxl parses anything. A damaged or truncated workbook is one clear error, also
  when the damage only shows halfway through the rows.
* The header is the first non-blank row, cleaned by :func:`clean_name` (the same rule for
  every caller); blank rows (every cell empty or white space) are skipped; row numbers are
  those a spreadsheet shows.

Every refusal is a :class:`TableError` (an ``InvalidInput``: HTTP answers 422) whose message
is Chinese first, then English. Only the standard library, openpyxl and the kernel are used.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from complaintdesk.kernel.errors import InvalidInput

MB = 1024 * 1024
SAMPLE_BYTES = 1 << 20  # what the encoding is told from
CSV_FIELD_LIMIT = 64 * MB  # a 1 MB text becomes the importer's row error, not a crash
csv.field_size_limit(CSV_FIELD_LIMIT)

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
DELIMITERS = {".csv": ",", ".txt": ",", ".tsv": "\t"}

Source = bytes | str | Path


class TableError(InvalidInput):
    """A table that cannot be read. ``str()`` is ``"<Chinese> / <English>"``."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Limits:
    """What a file may be. The defaults let a bulk import of ~400,000 rows through."""

    max_bytes: int | None = None  # any file; None: no limit (text is streamed)
    max_xlsx_bytes: int = 256 * MB  # the .xlsx file itself
    max_unzipped_bytes: int = 1024 * MB  # all of the .xlsx's zip members, unpacked
    max_ratio: float = 200.0  # unpacked / packed size of one member …
    ratio_floor_bytes: int = 1 * MB  # … once it unpacks to more than this
    max_members: int = 10_000
    # Text lines are read at most this long, so a file that is one endless line is refused
    # after this many characters instead of being read whole (a header is short; a row may
    # hold a long letter, which the importer then refuses as a row error).
    max_header_chars: int = 64 * 1024
    max_line_chars: int = 16 * MB


LIMITS = Limits()


# --- header and blank rows ----------------------------------------------------------

# Invisible characters that end up in headers (BOM, zero-width space/joiners, word joiner,
# soft hyphen) are removed; the other spaces (NBSP, full-width U+3000, …) become a plain
# space; white space at either end goes.
_HEADER_CHARS = {
    **dict.fromkeys(map(ord, "\ufeff\u200b\u200c\u200d\u2060\u180e\u00ad"), None),
    **{c: " " for c in (0xA0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000)},
}


def clean_name(value: Any) -> str:
    """One header cell as a column name: ``"\\ufeff 留言详情\\u3000"`` → ``"留言详情"``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).translate(_HEADER_CHARS).strip()


def clean_header(values: Iterable[Any]) -> list[str]:
    return [clean_name(v) for v in values]


def is_blank(values: Iterable[Any]) -> bool:
    """True when every cell is empty: ``None`` or a string of white space."""
    for value in values:
        if value is None:
            continue
        if isinstance(value, str) and not value.strip():
            continue
        return False
    return True


# --- the table ------------------------------------------------------------------------


@dataclass
class Table:
    """Rows of a file: a header and (spreadsheet row number, values) pairs, streamed.

    ``rows`` can be iterated once. ``done()`` counts ``total``'s units read so far (bytes of
    a text file, rows of a sheet), for a progress bar. Use it as a context manager, or
    iterate ``rows`` to the end, so that the file is closed.
    """

    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    kind: str  # csv / xlsx
    encoding: str | None
    total: int
    done: Callable[[], int]
    closer: Callable[[], None] = field(default=lambda: None, repr=False)

    def values(self) -> Iterator[list[Any]]:
        """The rows' values without their numbers."""
        for _number, values in self.rows:
            yield values

    def dicts(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Rows as {column: value}; a short row lacks the keys of its missing cells."""
        header = self.header
        for number, values in self.rows:
            yield number, dict(zip(header, values, strict=False))

    def close(self) -> None:
        self.closer()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def read_table(source: Source, filename: str | None = None, *, limits: Limits = LIMITS) -> Table:
    """Open a .csv/.txt/.tsv or .xlsx/.xlsm file (a path, or an upload's bytes)."""
    source = _as_source(source)
    name = (filename or (source.name if isinstance(source, Path) else "")).lower()
    suffix = Path(name).suffix
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(source, limits)
    if suffix in DELIMITERS:
        return _read_text(source, DELIMITERS[suffix], limits)
    if suffix == ".xls":
        raise TableError(
            "不支持旧版 .xls，请另存为 .xlsx 或 .csv",
            "old .xls is not supported; save it as .xlsx or .csv",
        )
    raise TableError(
        f"不支持的文件类型“{suffix or name or '(无)'}”（支持 .xlsx、.csv）",
        f"unsupported file type {suffix or name or '(none)'!r} (.xlsx and .csv are supported)",
    )


def read_dicts(
    source: Source, filename: str | None = None, *, limits: Limits = LIMITS
) -> tuple[list[str], list[dict[str, Any]]]:
    """The header and every row as {column: value} (read whole: for small tables)."""
    with read_table(source, filename, limits=limits) as table:
        return table.header, [row for _number, row in table.dicts()]


def read_sheets(source: Source, *, limits: Limits = LIMITS) -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet of an .xlsx: its title → all its rows (blank ones too, so that positions
    are row numbers), formulas as their cached values. Each first row is a header and is
    cleaned like every header."""
    source = _as_source(source)
    book = _open_workbook(source, limits)
    try:
        sheets: dict[str, list[tuple[Any, ...]]] = {}
        for sheet in book.worksheets:
            rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
            if rows:
                rows[0] = tuple(clean_header(rows[0]))
            sheets[sheet.title] = rows
        return sheets
    except TableError:
        raise
    except Exception as exc:  # openpyxl, zipfile, zlib and XML parsers all raise their own
        raise _damaged() from exc
    finally:
        book.close()


def _as_source(source: Source) -> bytes | Path:
    if isinstance(source, str):
        source = Path(source)
    if isinstance(source, Path) and not source.is_file():
        raise TableError(f"文件不存在：{source}", f"file not found: {source}")
    return source


def _size(source: bytes | Path) -> int:
    return source.stat().st_size if isinstance(source, Path) else len(source)


def _check_size(size: int, limit: int | None) -> None:
    if limit is not None and size > limit:
        shown = f"{limit // MB}" if limit % MB == 0 else f"{limit / MB:.1f}"
        raise TableError(f"文件超过 {shown} MB", f"the file is larger than {shown} MB")


def _empty() -> TableError:
    return TableError("文件为空", "the file is empty")


def copy_upload(stream: IO[bytes], target: IO[bytes], limit: int) -> int:
    """Copy an upload to ``target`` in 1 MB chunks; refuse it once it passes ``limit``
    bytes, having held at most one chunk in memory. Returns the size."""
    size = 0
    while chunk := stream.read(SAMPLE_BYTES):
        size += len(chunk)
        _check_size(size, limit)
        target.write(chunk)
    return size


def read_upload(stream: IO[bytes], limit: int) -> bytes:
    """An upload's bytes, refused past ``limit`` without reading more than ``limit + 1``."""
    data = stream.read(limit + 1)
    _check_size(len(data), limit)
    return data


# --- text -------------------------------------------------------------------------------


class _Counting(io.RawIOBase):
    """Counts bytes read, so the progress bar can follow a file being streamed."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: FF FE 00 00 starts like FF FE
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def detect_encoding(sample: bytes) -> str:
    """The encoding of a text table from its first bytes: the BOM's (UTF-8, UTF-16,
    UTF-32), else UTF-8 if they decode as UTF-8, else GB18030 (a superset of GBK)."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    if sample.count(b"\x00") > max(8, len(sample) // 100):
        raise TableError("文件不是文本表格（含二进制内容）", "the file is binary, not a text table")
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise TableError(
        "无法识别文件编码（支持 UTF-8、GBK/GB18030、UTF-16）",
        "cannot tell the file's encoding (UTF-8, GBK/GB18030 and UTF-16 are supported)",
    )


def _sniff(raw: IO[bytes]) -> str:
    """:func:`detect_encoding` on the first megabyte that has a non-ASCII byte in it (a long
    ASCII start says nothing about the rest); leaves ``raw`` at its start."""
    head = raw.read(SAMPLE_BYTES)
    if not head.strip():
        raise _empty()
    encoding = detect_encoding(head)  # BOMs and binary content show in the head
    if encoding in ("utf-8", "gb18030") and head.isascii():
        while chunk := raw.read(SAMPLE_BYTES):
            found = _NON_ASCII.search(chunk)
            if found is not None:
                # everything before is ASCII, so decoding from here starts on a character
                encoding = detect_encoding(chunk[found.start() :] + raw.read(SAMPLE_BYTES))
                break
    raw.seek(0)
    return encoding


def _open_raw(source: bytes | Path) -> IO[bytes]:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    try:
        return source.open("rb")
    except OSError as exc:
        raise TableError(
            f"无法打开文件：{source}", f"cannot open {source}: {exc.strerror}"
        ) from exc


class _LineTooLong(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


def _bounded_lines(text: IO[str], limit: list[int]) -> Iterator[str]:
    """The lines ``csv.reader`` parses, each read at most ``limit[0]`` characters long:
    ``readline(n)`` never holds more than ``n`` characters of one endless line."""
    while line := text.readline(limit[0] + 1):
        if len(line) > limit[0]:
            raise _LineTooLong(limit[0])
        yield line


def _read_text(source: bytes | Path, delimiter: str, limits: Limits) -> Table:
    total = _size(source)
    _check_size(total, limits.max_bytes)
    raw = _open_raw(source)
    try:
        encoding = _sniff(raw)
    except BaseException:
        raw.close()
        raise
    counting = _Counting(raw)
    text = io.TextIOWrapper(
        io.BufferedReader(counting, 1 << 20), encoding=encoding, newline="", errors="strict"
    )
    limit = [limits.max_header_chars]  # the header's limit, then the rows'
    reader = csv.reader(_bounded_lines(text, limit), delimiter=delimiter)
    header: list[str] | None = None
    number = 0  # records read: a quoted cell may span lines, as in a spreadsheet's row
    try:
        for values in reader:
            number += 1
            if not is_blank(values):
                header = clean_header(values)
                break
    except _LineTooLong as exc:
        text.close()
        raise TableError(
            f"表头行超过 {exc.limit} 个字符，已拒绝",
            f"the header row is longer than {exc.limit} characters; refused",
        ) from None
    except (csv.Error, UnicodeDecodeError) as exc:
        text.close()
        raise TableError("无法读取表头", f"cannot read the header row: {exc}") from exc
    if header is None:
        text.close()
        raise _empty()
    limit[0] = limits.max_line_chars

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # The hot loop of a bulk import: kept to the few operations it needs.
        done = number
        try:
            for values in reader:
                done += 1
                if any(values) and (values[0].strip() or not is_blank(values)):
                    yield done, values
        except _LineTooLong as exc:
            raise TableError(
                f"第{done + 1}行超过 {exc.limit} 个字符，已拒绝",
                f"row {done + 1} is longer than {exc.limit} characters; refused",
            ) from None
        except UnicodeDecodeError as exc:
            raise TableError(
                f"第{done + 1}行附近编码错误，文件不是一致的 {encoding} 编码",
                f"row {done + 1}: the file is not consistently {encoding}",
            ) from exc
        except csv.Error as exc:
            raise TableError(
                f"第{done + 1}行格式错误", f"row {done + 1} is malformed: {exc}"
            ) from exc
        finally:
            text.close()

    return Table(header, rows(), "csv", encoding, total, lambda: counting.count, text.close)


# --- xlsx -------------------------------------------------------------------------------


def _damaged() -> TableError:
    return TableError(
        "无法读取Excel文件：文件已损坏或不是 .xlsx 格式",
        "cannot read the spreadsheet: it is damaged or not an .xlsx file",
    )


def check_xlsx(source: bytes | Path, limits: Limits = LIMITS) -> None:
    """Refuse an .xlsx that is too large, or would unpack to too much (a zip bomb), from
    its zip directory alone. ``zipfile`` stops reading a member at its declared size, so
    a directory that lies about sizes fails its CRC check rather than unpack further."""
    sizes = [limits.max_xlsx_bytes, limits.max_bytes]
    _check_size(_size(source), min(s for s in sizes if s is not None))
    try:
        with zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source)) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged() from exc
    if len(members) > limits.max_members:
        raise TableError(
            f"Excel文件包含的部件过多（{len(members)}个），已拒绝",
            f"the spreadsheet has too many parts ({len(members)}); refused",
        )
    unpacked = 0
    for member in members:
        unpacked += member.file_size
        if member.file_size > limits.ratio_floor_bytes and member.file_size > (
            limits.max_ratio * max(member.compress_size, 1)
        ):
            ratio = member.file_size // max(member.compress_size, 1)
            raise TableError(
                f"Excel文件压缩比异常（{ratio}:1，疑似压缩炸弹），已拒绝",
                f"the spreadsheet's compression ratio is absurd ({ratio}:1, a zip bomb?); refused",
            )
    if unpacked > limits.max_unzipped_bytes:
        shown = limits.max_unzipped_bytes // MB
        raise TableError(
            f"Excel文件解压后超过 {shown} MB，已拒绝",
            f"the spreadsheet would unpack to more than {shown} MB; refused",
        )


def _open_workbook(source: bytes | Path, limits: Limits) -> Any:
    check_xlsx(source, limits)
    from openpyxl import load_workbook  # here: most commands never read a workbook

    try:
        return load_workbook(
            source if isinstance(source, Path) else io.BytesIO(source),
            read_only=True,
            data_only=True,
        )
    except Exception as exc:  # openpyxl raises many unrelated types for a broken file
        raise _damaged() from exc


def _read_xlsx(source: bytes | Path, limits: Limits) -> Table:
    book = _open_workbook(source, limits)
    try:
        if not book.worksheets:
            raise TableError("工作簿中没有工作表", "the workbook has no sheet")
        sheet = book.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        header: list[str] | None = None
        number = 0
        for values in iterator:
            number += 1
            if not is_blank(values):
                header = clean_header(values)
                break
        if header is None:
            raise _empty()
        total = max(sheet.max_row or 1, 1)
    except TableError:
        book.close()
        raise
    except Exception as exc:  # damage found while reading the first rows
        book.close()
        raise _damaged() from exc
    state = {"done": number}

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for done, values in enumerate(iterator, start=number + 1):
                state["done"] = done
                if not is_blank(values):
                    yield done, list(values)
        except Exception as exc:  # a truncated member, bad XML …: found only now
            raise _damaged() from exc
        finally:
            book.close()

    return Table(header, rows(), "xlsx", None, total, lambda: state["done"], book.close)


__all__ = [
    "LIMITS",
    "Limits",
    "Table",
    "TableError",
    "check_xlsx",
    "clean_header",
    "clean_name",
    "copy_upload",
    "detect_encoding",
    "is_blank",
    "read_dicts",
    "read_sheets",
    "read_table",
    "read_upload",
]
