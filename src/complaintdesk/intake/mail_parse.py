"""Parse an e-mail into what intake needs: sender, subject, text, attachments, thread ids."""

from __future__ import annotations

import hashlib
import mailbox
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

_MSGID = re.compile(r"<([^<>\s]+)>")
# Where a reply's plus-address (complaints+<token>@…) shows up: the headers the client
# writes, and those the receiving server adds for the envelope recipient.
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    thread_ids: tuple[str, ...]  # In-Reply-To first, then References, newest first
    sender_name: str | None
    sender_email: str | None
    subject: str
    date: datetime | None  # what the sender claims (Date:); never the receipt time
    body: str
    attachments: list[MailAttachment] = field(default_factory=list)
    recipients: tuple[str, ...] = ()  # To, Cc and the delivery headers our server adds


class _TextOfHtml(HTMLParser):
    """Visible text of an HTML body; scripts and styles dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _content(part: EmailMessage) -> str:
    try:
        value = part.get_content()
    except (LookupError, UnicodeDecodeError, AssertionError):
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        for encoding in (part.get_content_charset() or "utf-8", "gb18030", "utf-8"):
            try:
                return data.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
        return data.decode("utf-8", errors="replace")
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _ids(value: str | None) -> list[str]:
    return _MSGID.findall(str(value or ""))


def parse_message(raw: bytes) -> ParsedMail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    ids = _ids(message.get("Message-ID"))
    message_id = ids[0] if ids else f"sha256:{hashlib.sha256(raw).hexdigest()}@complaintdesk"
    references = list(reversed(_ids(message.get("References"))))
    thread = [i for i in _ids(message.get("In-Reply-To")) + references if i != message_id]
    addresses = getaddresses([str(message.get("From") or "")])
    name, email = addresses[0] if addresses else ("", "")
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        assert isinstance(body_part, EmailMessage)
        body = _content(body_part)
        if body_part.get_content_subtype() == "html":
            body = html_to_text(body)
    date = None
    try:
        date = parsedate_to_datetime(str(message.get("Date"))) if message.get("Date") else None
    except (TypeError, ValueError):
        date = None
    if date is not None and date.tzinfo is None:
        date = date.replace(tzinfo=UTC)
    attachments = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        attachments.append(
            MailAttachment(
                filename=part.get_filename() or "attachment",
                content_type=part.get_content_type(),
                data=payload,
            )
        )
    recipients = getaddresses(
        [str(v) for h in RECIPIENT_HEADERS for v in (message.get_all(h) or [])]
    )
    return ParsedMail(
        message_id=message_id[:300],
        thread_ids=tuple(dict.fromkeys(thread)),
        sender_name=(name or "").strip() or None,
        sender_email=(email or "").strip().lower() or None,
        subject=str(message.get("Subject") or "").strip(),
        date=date,
        body=body,
        attachments=attachments,
        recipients=tuple(a.lower() for _, a in recipients if a),
    )


def iter_mbox(path: Path) -> Iterator[bytes]:
    """The raw bytes of every message of an mbox file, in order."""
    box = mailbox.mbox(str(path), create=False)
    try:
        for key in box.iterkeys():
            yield box.get_bytes(key)
    finally:
        box.close()
