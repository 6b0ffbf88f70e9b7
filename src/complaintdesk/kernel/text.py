"""Free text from the public: cleaned, bounded, and refused when it is not text at all."""

from __future__ import annotations

import unicodedata

from complaintdesk.kernel.errors import InvalidInput

MAX_TEXT_CHARS = 20_000


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
    controls = sum(
        1
        for ch in text
        if unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"} and ch not in "\n\t"
    )
    if "\x00" in text or controls > max(3, len(text) // 100):
        raise InvalidInput(
            f"{what_zh}含有无法识别的二进制内容 / {what_en} contains binary data, not text"
        )
    return text
