"""A reply token stops threading a configurable time after its case closed
(``COMPLAINTDESK_REPLY_TOKEN_DAYS_AFTER_CLOSE``, docs/reliability.md, "E-mail intake")."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

from complaintdesk.bootstrap import Container
from complaintdesk.complaints.tables import ComplaintRow
from tests.integration.test_mail_intake import (
    ack_for,
    case_state,
    import_eml,
    message,
    reply_to_ack,
)


def close(container: Container, complaint_id: int | None, days_ago: int) -> None:
    closed = container.clock.now() - timedelta(days=days_ago)
    with container.uow() as uow:
        uow.session.execute(
            update(ComplaintRow).where(ComplaintRow.id == complaint_id).values(closed_at=closed)
        )
        uow.commit()


def test_a_token_threads_until_the_days_after_closing_are_over(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    assert container.settings.reply_token_days_after_close == 90  # the documented default
    first = import_eml(container, tmp_path, message("路灯不亮", "小区路灯坏了。", msg_id="e1@x"))
    ack = ack_for(container, first.complaint_id)
    close(container, first.complaint_id, days_ago=89)
    recent = import_eml(container, tmp_path, reply_to_ack(ack, "又坏了。", msg_id="e2@x"))
    assert recent.outcome == "threaded" and recent.complaint_id == first.complaint_id
    close(container, first.complaint_id, days_ago=91)
    late = import_eml(container, tmp_path, reply_to_ack(ack, "还是坏的。", msg_id="e3@x"))
    assert late.outcome == "filed" and late.complaint_id != first.complaint_id
    assert "已过期" in late.detail and "expired" in late.detail
    assert case_state(container, first.complaint_id)[0] == ["file", "receive_message"]


def test_without_the_setting_tokens_never_expire(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    forever = dataclasses.replace(
        container,
        settings=container.settings.model_copy(update={"reply_token_days_after_close": None}),
    )
    first = import_eml(forever, tmp_path, message("占道经营", "门口占道。", msg_id="f1@x"))
    close(forever, first.complaint_id, days_ago=3650)
    reply = import_eml(
        forever,
        tmp_path,
        reply_to_ack(ack_for(forever, first.complaint_id), "仍在占道。", msg_id="f2@x"),
    )
    assert reply.outcome == "threaded" and reply.complaint_id == first.complaint_id
