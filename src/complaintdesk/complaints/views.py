"""Complaint endpoints: file, list, read, timeline, and one endpoint per action."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from complaintdesk.audit import chain as audit_chain
from complaintdesk.complaints import schemas as s
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.model import Complaint
from complaintdesk.complaints.queries import ComplaintQueries
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.kernel.errors import NotFound
from complaintdesk.org.model import Actor


def complainant_from(body: s.ComplainantIn | None) -> NewComplainant | None:
    if body is None:
        return None
    return NewComplainant(
        name=None if body.anonymous else body.name,
        phone=body.phone,
        email=str(body.email) if body.email else None,
        id_number=None if body.anonymous else body.id_number,
        organisation=None if body.anonymous else body.organisation,
        address=body.address,
        anonymous=body.anonymous,
        proxy=body.proxy.model_dump() if body.proxy else None,
    )


def file_command(body: s.ComplaintIn) -> svc.FileComplaint:
    """What staff filing (here and in operator registration) knows about a complaint."""
    return svc.FileComplaint(
        content=body.content,
        title=body.title,
        channel=body.channel,
        complained_unit_name=body.complained_unit_name,
        complained_person=body.complained_person,
        complainant=complainant_from(body.complainant),
        consent_publish=body.consent_publish,
        received_at=body.received_at,
        owner_unit_id=body.owner_unit_id,
        importance=body.importance,
    )


def record_read(
    session: Session,
    actor: Actor,
    kind: str,
    complaint_ids: Iterable[int],
    *,
    at: datetime,
    path: str,
) -> None:
    """SPEC §5: a read of personal data is logged — one audit entry per request, naming
    every complaint it showed (a page of fifty costs one entry, not fifty). Chained when
    the caller commits."""
    ids = sorted(set(complaint_ids))
    if not ids:
        return
    audit_chain.stage(
        session,
        kind=kind,
        at=at,
        actor_id=actor.user_id,
        complaint_id=ids[0] if len(ids) == 1 else None,
        detail={"complaint_ids": ids, "path": path},
    )


def showed_personal_data(view: dict[str, Any]) -> bool:
    """The view carries the letter or the (masked) complainant: the owner side's view."""
    return view.get("content") is not None or view.get("complainant") is not None


def _view(uow: Any, container: Any, actor: Actor, complaint_id: int) -> s.ComplaintOut:
    queries = ComplaintQueries(uow.session)
    row = queries.get_row(actor, complaint_id)
    return s.ComplaintOut(**queries.view(actor, row, now=container.clock.now()))


def _view_if_visible(
    uow: Any, container: Any, actor: Actor, complaint_id: int
) -> s.ComplaintOut | None:
    """After an action the complaint may have left the actor's jurisdiction (a return,
    an appeal one level up): then the answer says so instead of showing it."""
    try:
        return _view(uow, container, actor, complaint_id)
    except NotFound:
        return None


def action_out(uow: Any, container: Any, actor: Actor, complaint: Complaint) -> s.ActionOut:
    """The answer to an action: the new status and version, and the complaint as the actor
    may now see it (None when it left the actor's jurisdiction)."""
    assert complaint.id is not None
    return s.ActionOut(
        id=complaint.id,
        status=complaint.status.value,
        version=complaint.version,
        complaint=_view_if_visible(uow, container, actor, complaint.id),
    )
