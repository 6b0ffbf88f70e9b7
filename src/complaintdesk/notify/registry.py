"""Which notifier serves which outbox channel, chosen from settings in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

from complaintdesk.config import Settings
from complaintdesk.notify.base import DeliveryError, Message, Notifier
from complaintdesk.notify.sms import HttpSmsGateway
from complaintdesk.notify.smtp import SmtpNotifier

EMAIL = "email"
SMS = "sms"


class UnconfiguredChannel:
    """A channel nobody configured: every delivery fails visibly (and is retried, so
    configuring it later still delivers)."""

    def __init__(self, channel: str, hint: str) -> None:
        self.channel = channel
        self.hint = hint

    def send(self, message: Message) -> None:
        raise DeliveryError(
            f"渠道 {self.channel} 未配置 / channel {self.channel} not configured: {self.hint}"
        )


@dataclass
class NotifierRegistry:
    notifiers: dict[str, Notifier] = field(default_factory=dict)

    def send(self, message: Message) -> None:
        notifier = self.notifiers.get(message.channel)
        if notifier is None:
            raise DeliveryError(f"未知渠道 / unknown channel: {message.channel}")
        notifier.send(message)


def build_registry(settings: Settings) -> NotifierRegistry:
    sms: Notifier
    if settings.sms_gateway_url:
        sms = HttpSmsGateway(settings.sms_gateway_url)
    else:
        sms = UnconfiguredChannel(SMS, "set COMPLAINTDESK_SMS_GATEWAY_URL")
    return NotifierRegistry(
        {
            EMAIL: SmtpNotifier(settings.smtp_host, settings.smtp_port, settings.smtp_sender),
            SMS: sms,
        }
    )
