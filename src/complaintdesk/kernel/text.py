"""Free text from the public: cleaned, bounded, and refused when it is not text at all."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from complaintdesk.kernel.errors import InvalidInput

MAX_TEXT_CHARS = 20_000
_NOT_TEXT = {"Cc", "Cs", "Co", "Cn"}  # controls, surrogates, private use, unassigned


@cache
def _ordinary() -> re.Pattern[str]:
    """Runs of characters that are certainly text — tab, line feed and, in the blocks
    letters are written in (Latin, punctuation, CJK symbols and ideographs, full-width
    forms), every character not in ``_NOT_TEXT`` — as one regex character class. Built on
    first use (walking ~30,000 code points), not at import: most commands never clean text."""
    blocks = [(0x20, 0x24F), (0x2000, 0x206F), (0x3000, 0x303F), (0x3400, 0x4DBF)]
    blocks += [(0x4E00, 0x9FFF), (0xFF00, 0xFFEF)]
    runs = ["\t\n"]
    for lo, hi in blocks:
        start = None
        for code in range(lo, hi + 2):
            ok = code <= hi and unicodedata.category(chr(code)) not in _NOT_TEXT
            if ok and start is None:
                start = code
            elif not ok and start is not None:
                runs.append(f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
                start = None
    return re.compile(f"[{''.join(runs)}]+")


def clean_text(
    value: str | None,
    *,
    what_zh: str,
    what_en: str,
    required: bool = True,
    max_chars: int = MAX_TEXT_CHARS,
) -> str:
    """Normalise line breaks and white space; refuse empty, oversized or binary input.

    HTML and SQL-looking text are kept as the person wrote them: they are data, escaped
    when shown and bound as parameters when stored.
    """
    text = (value or "").replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
    text = "\n".join(line.strip() for line in text.split("\n")).strip()
    if not text:
        if required:
            raise InvalidInput(f"{what_zh}不能为空 / {what_en} must not be empty")
        return ""
    if len(text) > max_chars:
        raise InvalidInput(
            f"{what_zh}过长（{len(text)}字，上限{max_chars}字）"
            f" / {what_en} is too long ({len(text)} characters, limit {max_chars})"
        )
    # Only characters outside the ordinary ranges need a look at their category: a Python
    # loop over all 20,000 characters of a letter cost more than the rest of the filing.
    rare = _ordinary().sub("", text)
    controls = sum(1 for ch in rare if unicodedata.category(ch) in _NOT_TEXT)
    if "\x00" in text or controls > max(3, len(text) // 100):
        raise InvalidInput(
            f"{what_zh}含有无法识别的二进制内容 / {what_en} contains binary data, not text"
        )
    return text
