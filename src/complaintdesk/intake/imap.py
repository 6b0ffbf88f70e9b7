"""An IMAP mailbox: fetch unseen messages without marking them, mark them once filed.

Messages are fetched with ``BODY.PEEK[]`` so a crash before the database commit leaves
them unseen for the next poll; the Message-ID table makes a second take a no-op. Each comes
with its ``INTERNALDATE``: when our server took it, the receipt time that starts the
statutory clock (the sender's ``Date:`` header is only a claim).
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl as ssl_lib
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import NamedTuple

_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


class Fetched(NamedTuple):
    uid: str
    raw: bytes
    arrived_at: datetime | None  # the server's INTERNALDATE, aware UTC


def internaldate(response: bytes) -> datetime | None:
    """``INTERNALDATE "02-Dec-2026 14:58:00 +0800"`` of a FETCH response, as UTC."""
    match = _INTERNALDATE.search(response)
    if match is None:
        return None
    try:
        value = datetime.strptime(match.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return None
    return value.astimezone(UTC)


class MailboxError(Exception):
    """The mail server could not be reached or refused us; the message says which."""


class ImapMailbox:
    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        *,
        mailbox: str = "INBOX",
        ssl: bool = True,
        timeout: float = 30.0,
    ) -> None:
        self.host, self.port, self.user, self.password = host, port, user, password
        self.mailbox, self.ssl, self.timeout = mailbox, ssl, timeout
        self.conn: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapMailbox:
        try:
            if self.ssl:
                context = ssl_lib.create_default_context()
                self.conn = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=context, timeout=self.timeout
                )
            else:
                self.conn = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        except (TimeoutError, OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(
                f"无法连接邮件服务器 {self.host}:{self.port} / cannot reach the IMAP server"
                f" {self.host}:{self.port}: {exc}"
            ) from exc
        try:
            self.conn.login(self.user, self.password)
        except imaplib.IMAP4.error as exc:
            self._close()
            raise MailboxError(f"邮箱登录失败 / IMAP login failed for {self.user}: {exc}") from exc
        status, _ = self.conn.select(self.mailbox)
        if status != "OK":
            self._close()
            raise MailboxError(f"邮箱文件夹不存在 / no mailbox {self.mailbox!r}")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close()

    def _close(self) -> None:
        if self.conn is None:
            return
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self.conn.logout()
        self.conn = None

    def _require(self) -> imaplib.IMAP4:
        if self.conn is None:
            raise MailboxError("邮箱未连接 / the mailbox is not open")
        return self.conn

    def unseen(self) -> Iterator[Fetched]:
        """Every unseen message with its arrival time, oldest first."""
        conn = self._require()
        status, data = conn.uid("SEARCH", "UNSEEN")
        if status != "OK":
            raise MailboxError(f"邮件检索失败 / IMAP search failed: {data!r}")
        uids = (data[0] or b"").split()
        for raw_uid in uids:
            uid = raw_uid.decode() if isinstance(raw_uid, bytes) else str(raw_uid)
            status, parts = conn.uid("FETCH", uid, "(INTERNALDATE BODY.PEEK[])")
            if status != "OK":
                raise MailboxError(f"邮件读取失败 / IMAP fetch failed for uid {uid!r}")
            envelope = next((p for p in parts if isinstance(p, tuple)), None)
            if envelope is None or not isinstance(envelope[1], bytes):
                continue
            # The server may answer INTERNALDATE before or after the literal: look in both.
            tail = b" ".join(p for p in parts if isinstance(p, bytes))
            yield Fetched(uid, envelope[1], internaldate(envelope[0] + b" " + tail))

    def mark_seen(self, uid: str) -> None:
        self._require().uid("STORE", uid, "+FLAGS", "(\\Seen)")
