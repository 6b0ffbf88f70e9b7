"""E-mail intake (SPEC §1): a message becomes a complaint, or threads into one.

- The sender becomes the complainant; the subject the title; the text the complaint;
  attachments are kept (those of an accepted type and size).
- A reply threads into a case only when it carries that case's secret reply token
  (``reply_tokens``: the Reply-To plus-address or the subject marker of an e-mail we sent).
  A sender address can be forged and a tracking number or Message-ID can be copied, so a
  message that names a case without its token is filed as a new complaint, and its note
  says why. In-Reply-To/References only ever confirm the token: naming a message we sent
  or took in for another case stops the threading.
- Receipt time is when our server got the message (IMAP INTERNALDATE; the time of import
  for .eml/.mbox), never the sender's ``Date:``, which is kept on the event as a claim.
- At most one acknowledgement per sender address per hour, counted from the outbox, so a
  forged sender cannot use us to mail-bomb an address; the complaint is filed regardless.
- Every message is remembered by Message-ID, so polling twice or importing an mbox twice
  files nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select, update

from complaintdesk.bootstrap import Container
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.complaints.tables import ComplaintEventRow
from complaintdesk.complaints.vocabulary import Action, Channel, Event, Status
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.intake import attachments, mail_threading, reply_tokens
from complaintdesk.intake import service as intake
from complaintdesk.intake.imap import Fetched
from complaintdesk.intake.mail_parse import ParsedMail, iter_mbox, parse_message
from complaintdesk.intake.tables import MailMessageRow
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.kernel.text import clean_text
from complaintdesk.notify import outbox

ACK_KEY = "mail-ack:"
ACK_WINDOW = timedelta(hours=1)
ACK_SUPPRESSED = (
    "确认邮件未发送：该地址一小时内已收到过确认邮件"
    " / acknowledgement suppressed: this address was sent one within the last hour"
)


class Mailbox(Protocol):
    def unseen(self) -> Iterator[Fetched]: ...

    def mark_seen(self, uid: str) -> None: ...


@dataclass(frozen=True)
class MailResult:
    outcome: str  # filed / threaded / duplicate / refused
    message_id: str
    tracking_no: str | None = None
    complaint_id: int | None = None
    detail: str = ""
    acknowledged: bool = False  # an acknowledgement with a reply token was queued


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


def take_in(container: Container, raw: bytes, *, arrived_at: datetime | None = None) -> MailResult:
    """File or thread one raw message, in one transaction.

    ``arrived_at`` is when our server received it (IMAP INTERNALDATE); without it, now.
    """
    try:
        mail = parse_message(raw)
    except (ValueError, TypeError, IndexError) as exc:
        return MailResult("refused", "", detail=f"无法解析邮件 / unparsable message: {exc}")
    now = container.clock.now()
    # A server clock ahead of ours must not file a complaint "in the future".
    received = min(arrived_at, now) if arrived_at is not None else now
    with container.uow() as uow:
        if uow.session.scalar(
            select(MailMessageRow.id).where(MailMessageRow.message_id == mail.message_id)
        ):
            return MailResult("duplicate", mail.message_id, detail="已处理 / already taken in")
        uploads, refused = _uploads(mail)
        note = f"未保存的附件 / attachments not kept: {', '.join(refused)}" if refused else ""
        days = container.settings.reply_token_days_after_close
        target = mail_threading.target(
            uow.session,
            mail,
            now=now,
            token_after_close=timedelta(days=days) if days is not None else None,
        )
        try:
            if target.complaint_id is not None:
                return _thread(uow, container, mail, target.complaint_id, uploads, note, received)
            return _file(uow, container, mail, uploads, note, received, target.why)
        except InvalidInput as exc:
            uow.rollback()
            return MailResult("refused", mail.message_id, detail=str(exc))
    raise AssertionError("unreachable")  # pragma: no cover


def _local(value: datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _mail_data(mail: ParsedMail, received: datetime) -> dict[str, Any]:
    """What the event keeps about the message: our receipt time, and the sender's claim."""
    return {
        "message_id": mail.message_id,
        "received_at": received.isoformat(),
        "claimed_sent_at": mail.date.isoformat() if mail.date is not None else None,
    }


def _claim_note(mail: ParsedMail) -> str:
    if mail.date is None:
        return ""
    return (
        f"邮件自称发送于 {_local(mail.date)}（北京时间），以本系统收到邮件的时间为准"
        f" / the message claims it was sent at {_local(mail.date)} (Beijing time);"
        " the time our server received it counts"
    )


def _file(
    uow: SqlUnitOfWork,
    container: Container,
    mail: ParsedMail,
    uploads: list[attachments.Upload],
    note: str,
    received: datetime,
    not_threaded: str,
) -> MailResult:
    now = container.clock.now()
    if not mail.sender_email:
        raise InvalidInput("邮件没有发件人地址 / the message has no sender address")
    content = mail.body if mail.body.strip() else mail.subject
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
    _note_on_filing(uow, result.id, mail, received, not_threaded)
    acknowledged = _acknowledge(uow, container, mail, result, now)
    detail = "; ".join(
        filter(
            None,
            [
                not_threaded,
                "重复投诉 / repeat" if result.repeat_of else "",
                note,
                "" if acknowledged else ACK_SUPPRESSED,
            ],
        )
    )
    uow.session.add(
        MailMessageRow(
            message_id=mail.message_id,
            complaint_id=result.id,
            kind="new",
            sender=mail.sender_email[:300],
            subject=mail.subject[:300],
            received_at=received,
            note=detail[:500],
        )
    )
    uow.commit()
    return MailResult("filed", mail.message_id, result.tracking_no, result.id, detail, acknowledged)


def _note_on_filing(
    uow: SqlUnitOfWork, complaint_id: int, mail: ParsedMail, received: datetime, why: str
) -> None:
    """Put the message's claimed date (and why it was not threaded) on the filing event.

    The event was inserted a moment ago in this same transaction, so this completes it
    rather than rewriting history. A Core UPDATE, not an ORM change: the audit chain hashes
    events in ``before_commit``, which runs before the ORM would flush.
    """
    data = uow.session.scalar(
        select(ComplaintEventRow.data).where(
            ComplaintEventRow.complaint_id == complaint_id,
            ComplaintEventRow.action == Action.FILE.value,
        )
    )
    reason = "; ".join(filter(None, [_claim_note(mail), why]))
    uow.session.execute(
        update(ComplaintEventRow)
        .where(
            ComplaintEventRow.complaint_id == complaint_id,
            ComplaintEventRow.action == Action.FILE.value,
        )
        .values(reason=reason, data={**(data or {}), "mail": _mail_data(mail, received)})
    )


def _acknowledge(
    uow: SqlUnitOfWork,
    container: Container,
    mail: ParsedMail,
    result: intake.Registered,
    now: datetime,
) -> bool:
    """Queue the acknowledgement with a fresh reply token, unless this address already got
    one within the hour (counted from the outbox: it holds across processes and restarts)."""
    assert mail.sender_email is not None
    if outbox.queued_since(
        uow.session, recipient=mail.sender_email, key_prefix=ACK_KEY, since=now - ACK_WINDOW
    ):
        return False
    token = reply_tokens.issue(uow.session, result.id, now)
    sender = container.settings.smtp_sender
    domain = parseaddr(sender)[1].partition("@")[2] or "complaintdesk"
    # The query code and the reply token wait in the outbox sealed; they are opened only
    # when the mail is sent, so the outbox (and its admin list) never shows them.
    code = outbox.sealed(container.settings.secret_key, result.query_code)
    kept_token = outbox.sealed(container.settings.secret_key, token)
    mark = reply_tokens.subject_mark(result.tracking_no, kept_token)
    outbox.enqueue(
        uow.session,
        channel="email",
        recipient=mail.sender_email,
        # the marker goes last but must survive the 300-character limit of the subject
        subject=f"Re: {mail.subject[: 290 - len(mark)]} {mark}",
        body=(
            f"您的投诉已登记。受理编号：{result.tracking_no}；查询码：{code}。\n"
            "直接回复本邮件即可补充材料，请保留邮件主题中的 [受理编号 #回复码]："
            "只有带回复码的邮件才会并入本案，其他邮件将作为新投诉登记。\n\n"
            f"Your complaint is registered. Tracking number: {result.tracking_no};"
            f" query code: {code}.\n"
            "Reply to this e-mail to add material, keeping [tracking number #reply code] in"
            " the subject: only a message with the reply code is added to this case; any"
            " other is filed as a new complaint."
        ),
        dedup_key=f"{ACK_KEY}{mail.message_id}",
        now=now,
        complaint_id=result.id,
        reply_to=reply_tokens.reply_address(sender, kept_token) or None,
        message_id=make_msgid(domain=domain),
    )
    return True


def _thread(
    uow: SqlUnitOfWork,
    container: Container,
    mail: ParsedMail,
    complaint_id: int,
    uploads: list[attachments.Upload],
    note: str,
    received: datetime,
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
    reason = "投诉人发来补充邮件 / the complainant sent a follow-up e-mail"
    uow.complaints.append_events(
        complaint_id,
        [
            Event(
                action=Action.RECEIVE_MESSAGE,
                at=now,
                actor_id=None,
                from_status=Status(row.status),
                to_status=Status(row.status),
                reason="; ".join(filter(None, [reason, _claim_note(mail)])),
                data={
                    **_mail_data(mail, received),
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
            received_at=received,
            note="回复码有效 / reply token valid",
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
    for fetched in box.unseen():
        result = take_in(container, fetched.raw, arrived_at=fetched.arrived_at)
        results.append(result)
        box.mark_seen(fetched.uid)
    return results
