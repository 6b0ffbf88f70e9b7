"""Which case an incoming e-mail writes into: only the one whose reply token it carries.

Everything else a message can say about a case (a tracking number in the subject, an
In-Reply-To naming a message we sent or took in) can be copied or forged; it only ever stops
a threading (when it points at another case) and explains why a message was filed new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.intake import reply_tokens
from complaintdesk.intake.mail_parse import ParsedMail
from complaintdesk.intake.tables import MailMessageRow
from complaintdesk.notify.tables import OutboxRow

TRACKING_NO = re.compile(r"TS\d{8}-\d{6,}")


@dataclass(frozen=True)
class Target:
    complaint_id: int | None  # the case to thread into, or None: file a new complaint
    why: str = ""  # why a message that names a case is not threaded into it


def named_cases(session: Session, mail: ParsedMail) -> dict[int, str]:
    """Cases the message points at by what anyone can copy: tracking numbers in the subject,
    and In-Reply-To/References naming a message we sent or took in for the case."""
    named: dict[int, str] = {}
    numbers = set(TRACKING_NO.findall(mail.subject))
    if numbers:
        rows = session.execute(
            select(ComplaintRow.id, ComplaintRow.tracking_no).where(
                ComplaintRow.tracking_no.in_(numbers)
            )
        )
        named.update({int(r.id): r.tracking_no for r in rows})
    if mail.thread_ids:
        ids = list(mail.thread_ids)
        sent = select(OutboxRow.complaint_id).where(
            OutboxRow.message_id.in_([f"<{i}>" for i in ids]), OutboxRow.complaint_id.is_not(None)
        )
        taken = select(MailMessageRow.complaint_id).where(MailMessageRow.message_id.in_(ids))
        found = {int(c) for c in session.scalars(sent.union(taken)) if c is not None}
        if found - named.keys():
            rows = session.execute(
                select(ComplaintRow.id, ComplaintRow.tracking_no).where(
                    ComplaintRow.id.in_(found - named.keys())
                )
            )
            named.update({int(r.id): r.tracking_no for r in rows})
    return named


def target(
    session: Session,
    mail: ParsedMail,
    *,
    now: datetime | None = None,
    token_after_close: timedelta | None = None,
) -> Target:
    """``token_after_close``: how long after its case closed a reply token still threads."""
    tokens = reply_tokens.found_in(mail.subject, mail.recipients)
    by_token = reply_tokens.complaints_of(session, tokens, now=now, after_close=token_after_close)
    named = named_cases(session, mail)
    if len(by_token) == 1:
        [case] = by_token
        others = sorted(no for cid, no in named.items() if cid != case)
        if not others:
            return Target(case)
        return Target(
            None,
            f"邮件同时指向其他案件 {', '.join(others)}，未并入任何案件，已作为新投诉登记"
            f" / the message also points at {', '.join(others)}: not threaded into any case,"
            " filed as a new complaint",
        )
    if len(by_token) > 1:
        return Target(
            None,
            "邮件带有多个案件的回复码，已作为新投诉登记"
            " / the message carries reply tokens of several cases; filed as a new complaint",
        )
    if not named:
        return Target(None)
    numbers = ", ".join(sorted(named.values()))
    missing = "回复码无效或已过期" if tokens else "未附该案的回复码"
    missing_en = "an unknown or expired reply token" if tokens else "no reply token of that case"
    return Target(
        None,
        f"邮件提及 {numbers}，但{missing}，未并入该案，已作为新投诉登记"
        f" / the message names {numbers} but carries {missing_en}: not added to it,"
        " filed as a new complaint",
    )
