"""Reply tokens and the IMAP arrival time: the pieces e-mail threading trusts."""

from __future__ import annotations

from datetime import UTC, datetime

from complaintdesk.intake import reply_tokens
from complaintdesk.intake.imap import internaldate
from complaintdesk.intake.mail_parse import parse_message


def test_it_issues_distinct_lower_case_tokens_of_128_bits() -> None:
    tokens = {reply_tokens.new_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) == reply_tokens.TOKEN_CHARS and t == t.lower() for t in tokens)


def test_it_finds_the_token_in_the_subject_marker_and_the_plus_address() -> None:
    token = reply_tokens.new_token()
    mark = reply_tokens.subject_mark("TS20261130-000001", token)
    assert reply_tokens.found_in(f"Re: Re: 路灯 {mark.upper()}", []) == {token}
    address = reply_tokens.reply_address("投诉中心 <complaints@centre.cn>", token)
    assert address == f"complaints+{token}@centre.cn"
    assert reply_tokens.found_in("Re: 路灯", [address]) == {token}


def test_it_ignores_strings_that_only_look_like_a_token() -> None:
    assert (
        reply_tokens.found_in("#" + "a" * 25 + " #" + "b" * 27, ["x+" + "c" * 25 + "@y"]) == set()
    )


def test_a_reply_carries_its_token_in_to_or_the_delivery_headers() -> None:
    token = reply_tokens.new_token()
    raw = (
        f"From: a@b.cn\r\nTo: 投诉中心 <complaints+{token}@centre.cn>\r\n"
        f"Delivered-To: complaints+{token}@centre.cn\r\nSubject: Re: hi\r\n\r\ntext\r\n"
    ).encode()
    mail = parse_message(raw)
    assert reply_tokens.found_in(mail.subject, mail.recipients) == {token}


def test_the_arrival_time_is_the_servers_internaldate_in_utc() -> None:
    head = b'1 (UID 7 INTERNALDATE " 2-Dec-2026 14:58:09 +0800" BODY[] {120}'
    assert internaldate(head) == datetime(2026, 12, 2, 6, 58, 9, tzinfo=UTC)
    assert internaldate(b"1 (UID 7 BODY[] {120}") is None
    assert internaldate(b'1 (INTERNALDATE "yesterday")') is None
