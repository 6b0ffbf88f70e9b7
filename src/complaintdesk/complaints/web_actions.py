"""Running one staff action from a page: the one dispatch of a parsed form body to its use
case (sign-off and take-over have their own; every other action is a command through
``service.perform``), and the HTTP status a refusal shows with. Shared by the complaint
page and the dispatch pages, so both act exactly as the API does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.vocabulary import Action
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.errors import DomainError
from complaintdesk.org.model import Actor


def run_action(
    uow: SqlUnitOfWork,
    container: Container,
    actor: Actor,
    complaint_id: int,
    action: Action,
    body: Any,
    now: datetime,
) -> None:
    """Take ``action`` with a body parsed by :func:`complaintdesk.complaints.forms.parse`;
    the use case commits."""
    expected = getattr(body, "expected_version", None)
    if action is Action.SIGN_OFF:
        handling.sign_off(
            uow,
            actor,
            complaint_id,
            mode=body.mode,
            unit_id=body.unit_id,
            opinion=body.opinion,
            now=now,
            calendar=container.calendar,
            expected_version=expected,
        )
    elif action is Action.TAKE_OVER:
        handling.take_over(
            uow,
            actor,
            complaint_id,
            reason=body.reason,
            now=now,
            calendar=container.calendar,
            expected_version=expected,
        )
    else:
        svc.perform(
            uow,
            actor,
            complaint_id,
            command_for(action, body.model_dump(exclude={"expected_version"}, mode="json")),
            now=now,
            calendar=container.calendar,
            expected_version=expected,
        )


def status_of(exc: DomainError) -> int:
    """The status code the API answers ``exc`` with (one table: ``http.errors``)."""
    from complaintdesk.http.errors import STATUS_BY_ERROR

    for kind, code, _name in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return code
    return 400
