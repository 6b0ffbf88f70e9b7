"""Publication of closed cases (SPEC §5): the result is public; the complainant's name or
unit only with their consent. Phone and ID numbers in the published text are masked, and
without consent the complainant's name and unit are blacked out of it as well."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from complaintdesk.complaints.tables import ComplainantRow, ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import Action, Status
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.org.tables import UnitRow

PUBLISHED_STATUSES = (Status.CLOSED.value, Status.ARCHIVED.value)
REDACTED = "＊＊＊"
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{3})\d{11}(\d{3}[0-9Xx])(?![0-9A-Za-z])")


@dataclass(frozen=True)
class PublishedCase:
    id: int
    tracking_no: str
    title: str
    category: str | None
    unit_name: str | None
    received_at: datetime
    closed_at: datetime | None
    result: str
    complainant: str
    organisation: str | None


def redact(text: str, secrets: list[str]) -> str:
    text = _ID_NUMBER.sub(r"\1***********\2", text)
    text = _PHONE.sub(r"\1****\2", text)
    for secret in sorted({s for s in secrets if s and len(s) >= 2}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def published_cases(
    uow: SqlUnitOfWork, *, limit: int = 20, before_id: int | None = None
) -> list[PublishedCase]:
    """Closed cases, newest first, keyset-paginated on id."""
    stmt = select(ComplaintRow).where(ComplaintRow.status.in_(PUBLISHED_STATUSES))
    if before_id is not None:
        stmt = stmt.where(ComplaintRow.id < before_id)
    rows = list(uow.session.scalars(stmt.order_by(ComplaintRow.id.desc()).limit(limit)))
    if not rows:
        return []
    ids = [r.id for r in rows]
    people = {
        p.id: p
        for p in uow.session.scalars(
            select(ComplainantRow).where(
                ComplainantRow.id.in_([r.complainant_id for r in rows if r.complainant_id])
            )
        )
    }
    # (A Result has keys(), so dict(result) would treat it as a mapping: build it by hand.)
    units = {
        uid: name
        for uid, name in uow.session.execute(
            select(UnitRow.id, UnitRow.name).where(
                UnitRow.id.in_({r.handling_unit_id or r.owner_unit_id for r in rows})
            )
        )
    }
    replies: dict[int, str] = {}
    for complaint_id, reason in uow.session.execute(
        select(ComplaintEventRow.complaint_id, ComplaintEventRow.reason)
        .where(
            ComplaintEventRow.complaint_id.in_(ids),
            ComplaintEventRow.action.in_(
                [Action.REPLY.value, Action.RESOLVE_AT_INTAKE.value, Action.REJECT.value]
            ),
        )
        .order_by(ComplaintEventRow.id)
    ):
        replies[complaint_id] = reason  # the last answer wins
    out = []
    for row in rows:
        person = people.get(row.complainant_id) if row.complainant_id else None
        consent = row.consent_publish and person is not None and not person.anonymous
        hidden = [] if consent or person is None else [person.name or "", person.organisation or ""]
        name = (person.name if consent and person and person.name else None) or REDACTED
        organisation = person.organisation if consent and person else None
        out.append(
            PublishedCase(
                id=row.id,
                tracking_no=row.tracking_no,
                title=redact(row.title or "", hidden),
                category=row.department_label or row.category,
                unit_name=units.get(row.handling_unit_id or row.owner_unit_id),
                received_at=row.received_at,
                closed_at=row.closed_at,
                result=redact(replies.get(row.id, ""), hidden),
                complainant=name,
                organisation=organisation,
            )
        )
    return out
