"""E-mail over real SMTP (smtplib). UTF-8 subject and body: the templates are Chinese."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from complaintdesk.notify.base import DeliveryError, Message


class SmtpNotifier:
    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        timeout: float = 10.0,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout
        self.starttls = starttls
        self.username = username
        self.password = password

    def send(self, message: Message) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = message.message_id or make_msgid(domain="complaintdesk")
        if message.reply_to:
            email["Reply-To"] = message.reply_to
        if message.reference:
            email["X-Complaintdesk-Ref"] = message.reference
        email.set_content(message.body, charset="utf-8")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from exc
