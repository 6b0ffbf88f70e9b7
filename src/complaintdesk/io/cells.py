"""The one cell sanitiser of every .xlsx and .csv the project writes (OWASP "CSV injection").

Citizens' text reaches spreadsheets (error reports quote rows, archives carry letters): a cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, ``@SUM(...)``, DDE). Such text
gets a leading apostrophe, OWASP's advice, which every spreadsheet shows as text; openpyxl
would otherwise even store a string starting with ``=`` as a formula. Numbers stay numbers,
and so does text that is only a number ("-12.5"): it cannot be a formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as it may be written to a cell: formula-looking text made inert."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
