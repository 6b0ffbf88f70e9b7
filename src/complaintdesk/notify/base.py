"""What a notification channel is: something that delivers one message or raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    channel: str  # "email" / "sms"
    recipient: str
    subject: str
    body: str
    reference: str = ""  # the outbox row's dedup key, passed to gateways for idempotency
    reply_to: str = ""  # e-mail only: where a reply goes (intake's plus-address with a token)
    message_id: str = ""  # e-mail only: fixed when queued, so a retry sends the same one


class DeliveryError(Exception):
    """The channel could not deliver; the outbox retries with backoff."""


class Notifier(Protocol):
    def send(self, message: Message) -> None: ...
