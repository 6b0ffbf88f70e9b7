"""E-mail intake (SPEC §1): a message becomes a complaint, or threads into one.

- The sender becomes the complainant; the subject the title; the text the complaint;
  attachments are kept (those of an accepted type and size).
- A reply threads into its complaint when In-Reply-To/References name a message we took
  in, or when the subject carries the tracking number and comes from the complainant's own
  address (a stranger cannot write into somebody else's case by copying its number).
- Every message is remembered by Message-ID, so polling twice or importing an mbox twice
  files nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.complaints.tables import ComplainantRow, ComplaintRow
from complaintdesk.complaints.vocabulary import Action, Channel, Event, Status
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.intake import attachments
from complaintdesk.intake import service as intake
from complaintdesk.intake.mail_parse import ParsedMail, iter_mbox, parse_message
from complaintdesk.intake.tables import MailMessageRow
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.kernel.text import clean_text
from complaintdesk.notify import outbox

TRACKING_NO = re.compile(r"TS\d{8}-\d{6,}")


class Mailbox(Protocol):
    def unseen(self) -> Iterator[tuple[str, bytes]]: ...

    def mark_seen(self, uid: str) -> None: ...


@dataclass(frozen=True)
class MailResult:
    outcome: str  # filed / threaded / duplicate / refused
    message_id: str
    tracking_no: str | None = None
    complaint_id: int | None = None
    detail: str = ""


def _thread_target(uow: SqlUnitOfWork, mail: ParsedMail) -> int | None:
    if mail.thread_ids:
        found = uow.session.scalar(
            select(MailMessageRow.complaint_id)
            .where(MailMessageRow.message_id.in_(list(mail.thread_ids)))
            .order_by(MailMessageRow.id.desc())
            .limit(1)
        )
        if found is not None:
            return int(found)
    match = TRACKING_NO.search(mail.subject)
    if match is None or not mail.sender_email:
        return None
    found = uow.session.scalar(
        select(ComplaintRow.id)
        .join(ComplainantRow, ComplainantRow.id == ComplaintRow.complainant_id)
        .where(
            ComplaintRow.tracking_no == match.group(0),
            func.lower(ComplainantRow.email) == mail.sender_email,
        )
    )
    return int(found) if found is not None else None


def _uploads(mail: ParsedMail) -> tuple[list[attachments.Upload], list[str]]:
    """Attachments of an accepted type and size, and the names of those refused."""
    kept, refused = [], []
    for a in mail.attachments:
        upload = attachments.Upload(a.filename, a.data, a.content_type)
        try:
            attachments.check(upload)
        except InvalidInput:
            refused.append(attachments.safe_filename(a.filename))
            continue
        kept.append(upload)
    return kept[: attachments.MAX_ATTACHMENTS], refused


def take_in(container: Container, raw: bytes) -> MailResult:
    """File or thread one raw message, in one transaction."""
    try:
        mail = parse_message(raw)
    except (ValueError, TypeError, IndexError) as exc:
        return MailResult("refused", "", detail=f"无法解析邮件 / unparsable message: {exc}")
    with container.uow() as uow:
        if uow.session.scalar(
            select(MailMessageRow.id).where(MailMessageRow.message_id == mail.message_id)
        ):
            return MailResult("duplicate", mail.message_id, detail="已处理 / already taken in")
        uploads, refused = _uploads(mail)
        note = f"未保存的附件 / attachments not kept: {', '.join(refused)}" if refused else ""
        target = _thread_target(uow, mail)
        try:
            if target is not None:
                return _thread(uow, container, mail, target, uploads, note)
            return _file(uow, container, mail, uploads, note)
        except InvalidInput as exc:
            uow.rollback()
            return MailResult("refused", mail.message_id, detail=str(exc))
    raise AssertionError("unreachable")  # pragma: no cover


def _file(
    uow: SqlUnitOfWork,
    container: Container,
    mail: ParsedMail,
    uploads: list[attachments.Upload],
    note: str,
) -> MailResult:
    now = container.clock.now()
    if not mail.sender_email:
        raise InvalidInput("邮件没有发件人地址 / the message has no sender address")
    content = mail.body if mail.body.strip() else mail.subject
    received = mail.date if mail.date is not None and mail.date <= now else now
    result = intake.register_in(
        container,
        uow,
        intake.Intake(
            complaint=svc.FileComplaint(
                content=content,
                title=clean_text(
                    mail.subject, what_zh="标题", what_en="title", required=False, max_chars=300
                ),
                channel=Channel.EMAIL,
                complainant=NewComplainant(name=mail.sender_name, email=mail.sender_email),
                received_at=received,
            ),
            uploads=tuple(uploads),
            attachment_source="email",
        ),
        actor=None,
        now=now,
        default_unit_id=uow.units.default_centre().id,
        commit=False,
    )
    uow.session.add(
        MailMessageRow(
            message_id=mail.message_id,
            complaint_id=result.id,
            kind="new",
            sender=mail.sender_email[:300],
            subject=mail.subject[:300],
            received_at=now,
        )
    )
    outbox.enqueue(
        uow.session,
        channel="email",
        recipient=mail.sender_email,
        subject=f"Re: {mail.subject} [{result.tracking_no}]"[:300],
        body=(
            f"您的投诉已登记。受理编号：{result.tracking_no}；查询码：{result.query_code}。\n"
            "回复本邮件即可补充材料，请保留邮件主题中的受理编号。\n\n"
            f"Your complaint is registered. Tracking number: {result.tracking_no};"
            f" query code: {result.query_code}.\n"
            "Reply to this e-mail to add material; keep the tracking number in the subject."
        ),
        dedup_key=f"mail-ack:{mail.message_id}",
        now=now,
        complaint_id=result.id,
    )
    uow.commit()
    detail = "重复投诉 / repeat" if result.repeat_of else ""
    return MailResult(
        "filed",
        mail.message_id,
        result.tracking_no,
        result.id,
        "; ".join(filter(None, [detail, note])),
    )


def _thread(
    uow: SqlUnitOfWork,
    container: Container,
    mail: ParsedMail,
    complaint_id: int,
    uploads: list[attachments.Upload],
    note: str,
) -> MailResult:
    now = container.clock.now()
    row = uow.complaints.row(complaint_id)
    text = clean_text(
        mail.body or mail.subject, what_zh="邮件内容", what_en="message text", required=False
    )
    stored = [
        attachments.store(
            uow.session,
            container.settings.attachments_dir,
            complaint_id,
            upload,
            content_type=attachments.check(upload),
            source="email",
            uploaded_by=None,
            now=now,
        )
        for upload in uploads
    ]
    # A message is no state change: no version bump, so it cannot make an action conflict.
    # The text goes under "complainant", which handling units never see (SPEC §5).
    uow.complaints.append_events(
        complaint_id,
        [
            Event(
                action=Action.RECEIVE_MESSAGE,
                at=now,
                actor_id=None,
                from_status=Status(row.status),
                to_status=Status(row.status),
                reason="投诉人发来补充邮件 / the complainant sent a follow-up e-mail",
                data={
                    "message_id": mail.message_id,
                    "attachment_ids": [a.id for a in stored],
                    "complainant": {
                        "from": mail.sender_email,
                        "subject": mail.subject[:300],
                        "text": text,
                    },
                },
            )
        ],
    )
    uow.session.add(
        MailMessageRow(
            message_id=mail.message_id,
            complaint_id=complaint_id,
            kind="reply",
            sender=(mail.sender_email or "")[:300],
            subject=mail.subject[:300],
            received_at=now,
        )
    )
    uow.commit()
    return MailResult("threaded", mail.message_id, row.tracking_no, complaint_id, note)


def _centre_id(uow: SqlUnitOfWork) -> int:
    from complaintdesk.org.tables import UnitRow

    found = uow.session.scalar(
        select(UnitRow.id)
        .where(UnitRow.parent_id.is_(None), UnitRow.kind == "centre")
        .order_by(UnitRow.id)
    )
    if found is None:
        raise InvalidInput("系统尚未配置受理中心 / no complaint centre is configured")
    return int(found)


def take_in_all(container: Container, messages: Iterable[bytes]) -> list[MailResult]:
    return [take_in(container, raw) for raw in messages]


def import_file(container: Container, path: Path) -> list[MailResult]:
    """A single .eml, or every message of an .mbox file."""
    if path.suffix.lower() == ".eml":
        return [take_in(container, path.read_bytes())]
    if path.suffix.lower() == ".mbox":
        return take_in_all(container, iter_mbox(path))
    raise InvalidInput(f"不支持的邮件文件 / not an .eml or .mbox file: {path.name}")


def poll(container: Container, box: Mailbox) -> list[MailResult]:
    """Take in every unseen message; mark each seen only after its transaction commits."""
    results = []
    for uid, raw in box.unseen():
        result = take_in(container, raw)
        results.append(result)
        box.mark_seen(uid)
    return results
