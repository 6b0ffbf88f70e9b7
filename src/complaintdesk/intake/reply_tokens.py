"""Secret reply tokens (回复令牌): what lets an e-mail write into an existing case.

A sender address can be forged and a tracking number is printed on letters and quoted in
conversations, so neither proves that a message comes from the complainant. Every e-mail we
send to a complainant carries a fresh token of 128 random bits, in two places a mail client
carries back on reply: the Reply-To plus-address (``complaints+<token>@centre``) and the
subject marker ``[TS20261130-000001 #<token>]``. Only the token's SHA-256 is stored; the
token is lower-case base32, so a server that lower-cases local parts does not break it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.intake.tables import MailReplyTokenRow

TOKEN_CHARS = 26  # 16 bytes in unpadded base32
_IN_SUBJECT = re.compile(r"#([A-Za-z2-7]{26})(?![A-Za-z2-7])")
_IN_ADDRESS = re.compile(r"\+([A-Za-z2-7]{26})@")


def new_token() -> str:
    return base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=").lower()


def digest(token: str) -> str:
    # The token is random, not a password: an unsalted SHA-256 cannot be brute-forced.
    return hashlib.sha256(token.lower().encode()).hexdigest()


def issue(session: Session, complaint_id: int, now: datetime) -> str:
    """A new token for one e-mail to the complainant; the caller puts it in that e-mail."""
    token = new_token()
    session.add(
        MailReplyTokenRow(complaint_id=complaint_id, token_hash=digest(token), created_at=now)
    )
    return token


def reply_address(sender: str, token: str) -> str:
    """The sender's address with the token as plus-address: ``complaints+<token>@x.cn``.

    A bare address, no display name: ``token`` may stand sealed until the outbox sends it."""
    local, at, domain = parseaddr(sender)[1].partition("@")
    if not at:
        return ""
    return f"{local.split('+', 1)[0]}+{token}@{domain}"


def subject_mark(tracking_no: str, token: str) -> str:
    return f"[{tracking_no} #{token}]"


def found_in(subject: str, recipients: Iterable[str]) -> set[str]:
    """Every token-shaped string in the subject marker or a recipient's plus-address."""
    found = {m.lower() for m in _IN_SUBJECT.findall(subject)}
    for address in recipients:
        found.update(m.lower() for m in _IN_ADDRESS.findall(address))
    return found


def complaints_of(
    session: Session,
    tokens: set[str],
    *,
    now: datetime | None = None,
    after_close: timedelta | None = None,
) -> set[int]:
    """The complaints these tokens were issued for; unknown tokens name nothing.

    With ``after_close``, a token of a case closed longer ago than that (at ``now``) has
    expired and names nothing either: the reply is filed as a new complaint.
    """
    if not tokens:
        return set()
    stmt = select(MailReplyTokenRow.complaint_id).where(
        MailReplyTokenRow.token_hash.in_([digest(t) for t in tokens])
    )
    if after_close is not None and now is not None:
        stmt = stmt.join(ComplaintRow, ComplaintRow.id == MailReplyTokenRow.complaint_id).where(
            (ComplaintRow.closed_at.is_(None)) | (ComplaintRow.closed_at > now - after_close)
        )
    return {int(r) for r in session.scalars(stmt)}
