"""Free text is cleaned and bounded; personal data is masked."""

from __future__ import annotations

import pytest

from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.kernel.privacy import mask_email, mask_id_number, mask_name, mask_phone
from complaintdesk.kernel.text import MAX_TEXT_CHARS, clean_text


def clean(value: str | None, **kwargs: object) -> str:
    return clean_text(value, what_zh="投诉内容", what_en="complaint text", **kwargs)  # type: ignore[arg-type]


def test_it_refuses_empty_text_in_both_languages() -> None:
    with pytest.raises(InvalidInput, match="投诉内容不能为空 / complaint text must not be empty"):
        clean(" \u3000\n\t ")


def test_it_refuses_text_over_the_limit() -> None:
    with pytest.raises(InvalidInput, match="过长"):
        clean("投" * (MAX_TEXT_CHARS + 1))


def test_it_refuses_binary_garbage() -> None:
    with pytest.raises(InvalidInput, match="binary"):
        clean("abc\x00def")
    with pytest.raises(InvalidInput, match="二进制"):
        clean("".join(chr(c) for c in range(1, 32)) * 5)


def test_it_keeps_html_and_sql_as_the_person_wrote_them() -> None:
    text = "<script>alert(1)</script>'; DROP TABLE complaints; --"
    assert clean(text) == text


def test_it_normalises_line_breaks_and_padding() -> None:
    assert clean("\r\n\t\t第一行  \r\n\u3000第二行\n") == "第一行\n第二行"


def test_optional_text_may_be_empty() -> None:
    assert clean("", required=False) == ""


@pytest.mark.parametrize(
    ("value", "masked"),
    [("王小明", "王**"), ("李", "李*"), (None, None)],
)
def test_it_masks_names(value: str | None, masked: str | None) -> None:
    assert mask_name(value) == masked


def test_it_masks_phones_ids_and_emails() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("1234567") == "*****67"
    assert mask_id_number("110101199003071234") == "110***********1234"
    assert mask_email("wang.xm@example.cn") == "w***@example.cn"
