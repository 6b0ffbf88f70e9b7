"""The role homes (``/staff/home``): each role's queues, counts and most urgent rows.

``/staff`` and ``/staff/`` lead here, and so does signing in. A user holding several roles
sees one section per role. The queues are defined once, in :mod:`.queues`; a queue's link
opens ``/staff/queue?q=<key>``, which lists exactly the rows counted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from complaintdesk.bootstrap import Container
from complaintdesk.complaints.queries import ComplaintQueries
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.complaints.views import record_read, showed_personal_data
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.http.deps import ContainerDep
from complaintdesk.http.rendering import lang_of, render
from complaintdesk.http.session import UserDep
from complaintdesk.org.model import Actor
from complaintdesk.telecom import access, knowledge
from complaintdesk.workbench import queues as q

router = APIRouter(prefix="/staff", include_in_schema=False)

HOME = "/staff/home"


@router.get("")
def staff_root() -> Response:
    return RedirectResponse(HOME, status_code=303)


@router.get("/")
def staff_root_slash() -> Response:
    return RedirectResponse(HOME, status_code=303)


@dataclass(frozen=True)
class Link:
    href: str
    zh: str
    en: str


# Pages that exist for the roles without queues of their own (evaluation, KPIs and audit
# have an API, not pages yet: the API docs are the way in).
_API_DOCS = Link(
    "/docs", "接口文档（考评、指标、审计；需令牌）", "API docs (evaluation, KPIs, audit; token)"
)
ROLE_LINKS: dict[str, list[Link]] = {
    "dispatcher": [Link("/staff/returns", "退单统计", "Returns per unit")],
    "leader": [Link("/staff/extensions", "延期审批", "Extension requests")],
    "supervisor": [Link("/staff/returns", "退单统计", "Returns per unit")],
    "evaluator": [
        Link("/staff/returns", "退单统计", "Returns per unit"),
        Link("/public/cases", "办结公示", "Closed cases"),
        _API_DOCS,
    ],
    "admin": [
        Link("/staff/returns", "退单统计", "Returns per unit"),
        Link("/public/cases", "办结公示", "Closed cases"),
        _API_DOCS,
    ],
}


def telecom_staff(uow: SqlUnitOfWork, container: Container, actor: Actor) -> bool:
    """Telecom pre-processing is for the telecom organisation (telecom.access)."""
    root = knowledge.telecom_root(uow, container.settings.telecom_root_unit)
    return access.standing(actor, root) is not access.Standing.OUTSIDE


@router.get("/home")
def home(request: Request, container: ContainerDep, user: UserDep) -> Response:
    actor = user.actor
    now = container.clock.now()
    moment = q.Moment.at(now, container.calendar)
    lang = lang_of(request)
    with container.uow() as uow:
        q.tune(uow.session)
        sections = q.sections_for(actor, telecom_staff=telecom_staff(uow, container, actor))
        counted: dict[str, int] = {}
        for section in sections:
            defs = [q.QUEUES[k] for k in section.queues if k not in counted]
            counted.update(q.counts(uow.session, actor, defs, moment))
        # Only a queue with something in it costs a second query; all rows share one views().
        tops: dict[str, list[ComplaintRow]] = {
            key: q.top(uow.session, actor, q.QUEUES[key], moment) if n else []
            for key, n in counted.items()
        }
        unique = {r.id: r for rows in tops.values() for r in rows}
        queries = ComplaintQueries(uow.session)
        views = {v["id"]: v for v in queries.views(actor, list(unique.values()), now=now)}
        shown = [i for i, v in views.items() if showed_personal_data(v)]
        record_read(uow.session, actor, "list_complaints", shown, at=now, path=HOME)
        uow.commit()
    rendered: list[dict[str, Any]] = []
    for section in sections:
        cards = []
        for key in section.queues:
            queue = q.QUEUES[key]
            cards.append(
                {
                    "key": key,
                    "label": queue.label(lang),
                    "count": counted[key],
                    "urgent": queue.urgent and counted[key] > 0,
                    "rows": [{**views[r.id], "href": queue.href(r.id)} for r in tops[key]],
                }
            )
        links = [
            {"href": link.href, "label": link.en if lang == "en" else link.zh}
            for link in ROLE_LINKS.get(section.key, [])
        ]
        rendered.append(
            {"key": section.key, "label": section.label(lang), "cards": cards, "links": links}
        )
    return render(
        request,
        "staff_home.html",
        {"sections": rendered},
    )
