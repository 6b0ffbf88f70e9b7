"""Nothing leaked: what a handling unit, a supervisor's e-mail, the public and a copy of the
database get to see of a complainant, and that every read of their data is in the audit log.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import select

from complaintdesk.audit import service as audit
from complaintdesk.audit.tables import AuditEntryRow
from complaintdesk.bootstrap import Container
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.clock.sweep import sweep
from complaintdesk.complaints.service import hash_query_code
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.complaints.vocabulary import Action, Event, Status
from complaintdesk.db.schema import metadata
from complaintdesk.intake import mail
from complaintdesk.kernel.time import FixedClock
from complaintdesk.notify import outbox
from complaintdesk.notify.base import Message
from complaintdesk.notify.registry import NotifierRegistry
from complaintdesk.notify.tables import OutboxRow
from tests.conftest import START, Api
from tests.e2e.test_lifecycle_api import act
from tests.integration.test_sweep import give_contacts

PERSON = {
    "name": "王小明",
    "phone": "13812345678",
    "id_number": "350102199003071234",
    "email": "xiaoming@example.cn",
    "proxy": {"name": "王大明", "phone": "13900001111", "relation": "兄弟"},
}
# What the complainant typed into title, appeal reason and callback, in the forms people use.
TITLE = "王小明反映乱收费，电话138-1234-5678，身份证350102199003071234"
SECRETS = ["王小明", "王大明", "1234-5678", "13812345678", "199003071234", "87654321", "12号"]


def dispatch_to(api: Api, cid: int, unit_id: int, summary: str = "反映收费问题") -> None:
    act(api, "operator", cid, "accept")
    act(api, "dispatcher", cid, "dispatch", unit_id=unit_id, mode="transfer", summary=summary)


def leaked(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_a_handling_unit_reads_title_summary_and_appeal_reason_masked(
    api: Api, org: dict[str, Any]
) -> None:
    filed = api.post(
        "operator-dongcheng",
        "/api/v1/complaints",
        json={"title": TITLE, "content": "县教育局乱收费。", "complainant": PERSON},
    ).json()
    act(
        api,
        "operator-dongcheng",
        filed["id"],
        "reject",
        explanation="不属于受理范围",
        competent_authority="东城县信访局",
    )
    appealed = api.client.post(
        "/api/v1/public/appeal",
        json={
            "tracking_no": filed["tracking_no"],
            "query_code": filed["query_code"],
            "reason": "我王小明不服，请回电0591-87654321，代理人王大明，住五四路12号",
        },
    )
    assert appealed.status_code == 201, appealed.text
    new_no = appealed.json()["tracking_no"]
    [new_case] = api.get("operator", "/api/v1/complaints", params={"tracking_no": new_no}).json()[
        "items"
    ]
    # The dispatcher pasted the citizen's words into the summary.
    dispatch_to(api, new_case["id"], org["housing"].id, summary="王小明称电话13812345678打不通")

    seen = api.get("handler-housing", f"/api/v1/complaints/{new_case['id']}")
    timeline = api.get("handler-housing", f"/api/v1/complaints/{new_case['id']}/events")
    listed = api.get("handler-housing", "/api/v1/complaints")
    for response in (seen, timeline, listed):
        assert response.status_code == 200, response.text
        assert leaked(response.text) == []
    view = seen.json()
    assert view["title"] == "申诉：＊＊＊反映乱收费，电话138****5678，身份证350***********1234"
    assert view["summary"] == "＊＊＊称电话138****5678打不通"
    assert view["content"] is None and view["complainant"] is None
    appeal_reason = next(e for e in timeline.json() if e["action"] == "file_appeal")["reason"]
    assert appeal_reason == "我＊＊＊不服，请回电0591-****4321，代理人＊＊＊，住五四路＊＊＊"
    # The owning centre still reads what the complainant wrote.
    owner_view = api.get("operator", f"/api/v1/complaints/{new_case['id']}").json()
    assert owner_view["title"] == f"申诉：{TITLE}"


def test_the_owner_side_timeline_masks_the_complainants_contact_details(
    api: Api, container: Container
) -> None:
    cid = api.post(
        "operator", "/api/v1/complaints", json={"content": "窗口推诿。", "complainant": PERSON}
    ).json()["id"]
    with container.uow() as uow:
        uow.complaints.append_events(
            cid,
            [
                Event(
                    action=Action.RECEIVE_MESSAGE,
                    at=container.clock.now(),
                    actor_id=None,
                    from_status=Status.REGISTERED,
                    to_status=Status.REGISTERED,
                    reason="投诉人发来补充邮件 / the complainant sent a follow-up e-mail",
                    data={
                        "complainant": {
                            "from": "xiaoming@example.cn",
                            "phone": "13812345678",
                            "text": "补充材料见附件",
                        }
                    },
                )
            ],
        )
        uow.commit()
    events = api.get("operator", f"/api/v1/complaints/{cid}/events")
    assert "xiaoming@example.cn" not in events.text and "13812345678" not in events.text
    message = events.json()[-1]["data"]["complainant"]
    assert message == {"from": "x***@example.cn", "phone": "138****5678", "text": "补充材料见附件"}


def _entries(container: Container, after: int) -> list[AuditEntryRow]:
    with container.session_factory() as session:
        return list(
            session.scalars(
                select(AuditEntryRow).where(AuditEntryRow.id > after).order_by(AuditEntryRow.id)
            )
        )


def _last_entry_id(container: Container) -> int:
    entries = _entries(container, 0)
    return entries[-1].id if entries else 0


def test_every_api_read_of_personal_data_is_audited_once_per_request(
    api: Api, org: dict[str, Any], container: Container
) -> None:
    ids = [
        api.post(
            "operator", "/api/v1/complaints", json={"content": f"第{i}件", "complainant": PERSON}
        ).json()["id"]
        for i in range(3)
    ]
    operator = api.get("operator", "/api/v1/me").json()["id"]
    start = _last_entry_id(container)

    assert api.get("operator", "/api/v1/complaints", params={"limit": 50}).status_code == 200
    assert api.get("operator", f"/api/v1/complaints/{ids[0]}").status_code == 200
    assert api.get("operator", f"/api/v1/complaints/{ids[1]}/events").status_code == 200

    entries = _entries(container, start)
    assert [(e.kind, e.actor_id, e.complaint_id) for e in entries] == [
        ("list_complaints", operator, None),
        ("read_complaint", operator, ids[0]),
        ("read_timeline", operator, ids[1]),
    ]
    assert entries[0].detail["complaint_ids"] == sorted(ids)
    assert entries[0].detail["path"] == "/api/v1/complaints"
    assert entries[2].detail["path"] == f"/api/v1/complaints/{ids[1]}/events"
    # A complaint nobody may see leaves no trace of a read, and the chain still verifies.
    assert api.get("handler-housing", f"/api/v1/complaints/{ids[0]}").status_code == 404
    assert len(_entries(container, start)) == 3
    with container.uow() as uow:
        verdict = audit.verify(uow)
    assert verdict.ok, verdict.message


def test_a_supervision_email_carries_the_title_masked(
    api: Api, org: dict[str, Any], container: Container
) -> None:
    cid = api.post(
        "operator",
        "/api/v1/complaints",
        json={"title": TITLE, "content": "工地夜间施工。", "complainant": PERSON},
    ).json()["id"]
    dispatch_to(api, cid, org["housing"].id)
    act(api, "handler-housing", cid, "receive")
    give_contacts(container)
    report = sweep(
        container.session_factory,
        container.calendar,
        datetime(2026, 12, 15, 9, 0, tzinfo=SHANGHAI),
        reminder_working_days=2,
    )
    assert cid in report.complaint_ids
    with container.session_factory() as session:
        queued = list(session.scalars(select(OutboxRow).where(OutboxRow.complaint_id == cid)))
    emails = [r for r in queued if r.channel == "email"]
    assert emails, "the sweep queued no e-mail"
    for row in queued:
        assert leaked(row.subject + row.body) == []
    assert all("＊＊＊反映乱收费，电话138****5678" in r.body for r in emails)


def _every_stored_value(container: Container) -> str:
    """Every column of every row of every table, as the database holds it."""
    with container.engine.connect() as conn:
        return "\n".join(
            repr(tuple(row))
            for table in metadata.sorted_tables
            for row in conn.execute(table.select())
        )


def test_an_idempotent_filing_keeps_no_plaintext_query_code(api: Api, container: Container) -> None:
    body = {"content": "窗口工作人员态度恶劣", "channel": "phone", "complainant": PERSON}
    headers = {**api.headers("operator"), "Idempotency-Key": "call-20261130-0042"}
    first = api.client.post("/api/v1/complaints", json=body, headers=headers)
    again = api.client.post("/api/v1/complaints", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    code = first.json()["query_code"]
    assert again.json()["query_code"] == code  # the retry still gets it
    assert code not in _every_stored_value(container)


@dataclass
class Inbox:
    """An e-mail channel that keeps what it is given (the SMTP adapter's test double)."""

    sent: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        self.sent.append(message)


def test_an_acknowledgement_waits_in_the_outbox_with_its_query_code_sealed(
    api: Api, container: Container, clock: FixedClock
) -> None:
    raw = EmailMessage()
    raw["From"] = "王小明 <xiaoming@example.cn>"
    raw["To"] = "complaints@centre.example"
    raw["Subject"] = "路灯不亮"
    raw["Message-ID"] = "<lamp-1@example.cn>"
    raw["Date"] = format_datetime(START)
    raw.set_content("小区门口路灯坏了一个月。")
    result = mail.take_in(container, bytes(raw))
    assert result.outcome == "filed", result.detail
    inbox = Inbox()
    registry = NotifierRegistry({"email": inbox})

    # Without the secret key the sealed code cannot be opened: a failed attempt, not a
    # message with a garbled code in it.
    report = outbox.deliver(container.session_factory, registry, clock.now())
    assert (report.sent, report.retried) == (0, 1) and inbox.sent == []
    clock.advance(minutes=5)
    secret = container.settings.secret_key
    assert outbox.deliver(container.session_factory, registry, clock.now(), secret_key=secret).sent
    [ack] = inbox.sent
    found = re.search(r"查询码：([A-Z0-9]{8})。", ack.body)
    assert found is not None, ack.body
    code = found.group(1)
    with container.session_factory() as session:
        row = session.scalar(select(ComplaintRow).where(ComplaintRow.id == result.complaint_id))
        assert row is not None
        assert row.query_code_hash == hash_query_code(row.tracking_no, code)  # the real one
    assert code not in _every_stored_value(container)
    status = api.client.post(
        "/api/v1/public/status", json={"tracking_no": row.tracking_no, "query_code": code}
    )
    assert status.status_code == 200, status.text


def test_publication_redacts_proxies_and_representatives_even_with_consent(
    api: Api, org: dict[str, Any]
) -> None:
    reps = [{"name": "李建国", "phone": "13700000001"}, {"name": "赵卫东"}]
    response = api.client.post(
        "/api/v1/intake/complaints",
        json={
            "content": "小区旁工地夜间施工噪音扰民。",
            "channel": "walk_in",
            "consent_publish": True,
            "complainant": {"name": "王小明", "proxy": {"name": "王大明"}},
            "group": {"member_count": 40, "representatives": reps},
        },
        headers=api.headers("operator"),
    )
    assert response.status_code == 201, response.text
    cid = response.json()["id"]
    act(api, "operator", cid, "accept")
    act(api, "dispatcher", cid, "dispatch", unit_id=org["housing"].id, mode="transfer", summary="s")
    reply = "王小明及代理人王大明、代表李建国赵卫东：已约谈李女士，张某某已整改，咨询0591-87654321"
    for user, path, body in [
        ("handler-housing", "receive", {}),
        ("handler-housing", "start-handling", {}),
        ("handler-housing", "reply", {"reply": reply, "channel": "phone"}),
        ("callback", "start-callback", {}),
        ("callback", "callback", {"outcome": "satisfied"}),
    ]:
        assert api.post(user, f"/api/v1/complaints/{cid}/{path}", json=body).status_code == 200
    cases = {c["id"]: c for c in api.client.get("/api/v1/public/cases").json()["items"]}
    published = cases[cid]
    assert published["complainant"] == "王小明"  # consent covers their own name
    assert published["result"] == (
        "王小明及代理人＊＊＊、代表＊＊＊＊＊＊：已约谈＊＊＊，＊＊＊已整改，咨询0591-****4321"
    )
