"""Publication of closed cases (SPEC §5): the result is public; the complainant's name or
unit only with their consent.

The published title and result go through :func:`redact`: everything
:func:`~complaintdesk.kernel.privacy.mask_text` masks for a handling unit (e-mail
addresses, ID numbers, mobiles and landlines, house numbers and flats), the names the record
holds of the proxy and the representatives always, the complainant's name and unit without
consent, and forms of address that point at a private person (王先生, 李女士, 张某某)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from complaintdesk.complaints.queries import private_names
from complaintdesk.complaints.tables import ComplainantRow, ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import Action, Status
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.privacy import REDACTED, mask_text
from complaintdesk.org.tables import UnitRow
from complaintdesk.triage.entities import _SURNAMES

PUBLISHED_STATUSES = (Status.CLOSED.value, Status.ARCHIVED.value)
# A surname with a form of address or 某: a private person, whoever it is (the surname list
# is the entity extractor's). 某 followed by 些/种/个… is "some", not a name: "关于某些".
_PRIVATE_PERSON = re.compile(
    rf"(?:{'|'.join(_SURNAMES)})(?:先生|女士|小姐|某某|某(?![些种个天日月年时处地次项类件]))"
)


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
    """Published text: :func:`mask_text` with ``secrets`` (names to black out), then every
    private person's form of address."""
    return _PRIVATE_PERSON.sub(REDACTED, mask_text(text, secrets))


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
    names = private_names(uow.session, rows, people)
    out = []
    for row in rows:
        person = people.get(row.complainant_id) if row.complainant_id else None
        consent = row.consent_publish and person is not None and not person.anonymous
        # Consent is the complainant's, for their own name and unit: a proxy's or a
        # representative's name is never published.
        own = {person.name, person.organisation} if consent and person else set()
        hidden = [n for n in names.get(row.id, []) if n not in own]
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
