"""SMS through an HTTP gateway: POST JSON ``{"to", "text", "ref"}`` to the gateway URL.

Any 2xx answer is a delivery; anything else, or no answer, raises :class:`DeliveryError`
so the outbox retries. ``ref`` is the outbox dedup key: a gateway that honours it drops
the duplicate of a retry whose first answer was lost.
"""

from __future__ import annotations

import httpx

from complaintdesk.notify.base import DeliveryError, Message


class HttpSmsGateway:
    def __init__(self, url: str, *, timeout: float = 10.0, token: str | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.token = token

    def send(self, message: Message) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        payload = {"to": message.recipient, "text": message.body, "ref": message.reference}
        try:
            response = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"SMS gateway {self.url}: {exc}") from exc
        if not response.is_success:
            raise DeliveryError(
                f"SMS gateway {self.url}: HTTP {response.status_code} {response.text[:200]}"
            )
