"""What a complainant sees of their own case on the status page and API (SPEC §1, §5):
the public steps only, and only the words meant for them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.complaints.vocabulary import ACTION_LABELS, STATUS_LABELS, Action, Status
from complaintdesk.db.unit_of_work import SqlUnitOfWork

# Steps a complainant sees; internal notes, returns and identity reveals stay inside.
PUBLIC_ACTIONS = frozenset(
    {
        Action.FILE,
        Action.ACCEPT,
        Action.REJECT,
        Action.HAND_OVER,
        Action.RESOLVE_AT_INTAKE,
        Action.DISPATCH,
        Action.RECEIVE,
        Action.APPROVE_EXTENSION,
        Action.REPLY,
        Action.RECORD_CALLBACK,
        Action.REOPEN,
        Action.CLOSE,
        Action.APPEAL,
        Action.FILE_APPEAL,
    }
)
# Whose words the complainant may read: the reply and the explanations meant for them.
PUBLIC_REASONS = frozenset(
    {Action.REJECT, Action.HAND_OVER, Action.RESOLVE_AT_INTAKE, Action.REPLY, Action.APPEAL}
)


def public_status(uow: SqlUnitOfWork, row: ComplaintRow) -> dict[str, Any]:
    events = uow.session.scalars(
        select(ComplaintEventRow)
        .where(ComplaintEventRow.complaint_id == row.id)
        .order_by(ComplaintEventRow.id)
    )
    steps = []
    for e in events:
        action = Action(e.action)
        if action not in PUBLIC_ACTIONS:
            continue
        steps.append(
            {
                "at": e.at,
                "action": action.value,
                "label": ACTION_LABELS[action],
                "message": e.reason if action in PUBLIC_REASONS else "",
            }
        )
    zh, en = STATUS_LABELS[Status(row.status)]
    return {
        "tracking_no": row.tracking_no,
        "status": row.status,
        "status_label": zh,
        "status_label_en": en,
        "title": row.title,
        "received_at": row.received_at,
        "due_at": row.due_at,
        "steps": steps,
    }
