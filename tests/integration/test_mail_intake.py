"""E-mail intake against a real IMAP server (Debian's dovecot on loopback), and .eml/.mbox.

The fixture starts dovecot with a throw-away configuration on a free 127.0.0.1 port;
``make mail-deps`` installs it. Without dovecot the IMAP tests are skipped, never faked.
"""

from __future__ import annotations

import imaplib
import mailbox
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from complaintdesk.audit import service as audit
from complaintdesk.bootstrap import Container, bootstrap
from complaintdesk.complaints.tables import ComplainantRow, ComplaintEventRow, ComplaintRow
from complaintdesk.intake import mail
from complaintdesk.intake.imap import ImapMailbox
from complaintdesk.intake.tables import AttachmentRow, MailMessageRow, MailReplyTokenRow
from complaintdesk.kernel.time import FixedClock
from complaintdesk.notify import outbox
from complaintdesk.notify.tables import OutboxRow
from tests.conftest import START
from tests.integration.test_outbox import SmtpServer, registry_for, smtp_server  # noqa: F401

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def imap_server() -> Iterator[dict[str, Any]]:
    if DOVECOT is None:
        pytest.skip("dovecot is not installed (make mail-deps)")
    # Dovecot never stores mail as root: the mailbox belongs to its own system user, in a
    # directory that user can reach (pytest's tmp directory is private to root).
    owner = pwd.getpwnam("dovecot")
    root = Path(tempfile.mkdtemp(prefix="cd-dovecot-"))
    root.chmod(0o755)
    (root / "mail").mkdir()
    os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    (root / "run").mkdir()
    port = free_port()
    (root / "users").write_text("complaints:{PLAIN}s3cret-pass\n")
    conf = root / "dovecot.conf"
    conf.write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/run
instance_name = cd-test-{port}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {owner.pw_uid}
last_valid_uid = {owner.pw_uid}
mail_location = maildir:{root}/mail/%u
log_path = {root}/dovecot.log
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
# pytest's tmp directory is private to its user: the auth processes run as that user too
service auth {{
  user = root
}}
service auth-worker {{
  user = root
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    )
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                err = process.stderr.read().decode() if process.stderr else ""
                process.kill()
                pytest.fail(f"dovecot did not start: {err}\n{log}")
            time.sleep(0.1)
    try:
        yield {"host": "127.0.0.1", "port": port, "user": "complaints", "password": "s3cret-pass"}
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def message(
    subject: str,
    body: str,
    *,
    sender: str = "王小明 <xiaoming@example.cn>",
    to: str = "complaints@centre.example",
    msg_id: str,
    in_reply_to: str | None = None,
    date: datetime = START,
    attachment: tuple[str, bytes, str, str] | None = None,
) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = f"<{msg_id}>"
    m["Date"] = format_datetime(date)
    if in_reply_to:
        m["In-Reply-To"] = f"<{in_reply_to}>"
        m["References"] = f"<{in_reply_to}>"
    m.set_content(body)
    if attachment:
        name, data, maintype, subtype = attachment
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(m)


def reply_to_ack(ack: Ack, body: str, *, msg_id: str, **kwargs: Any) -> bytes:
    """What a mail client sends when the complainant presses "reply" on our acknowledgement."""
    return message(
        f"Re: {ack.subject}",
        body,
        to=ack.reply_to,
        msg_id=msg_id,
        in_reply_to=ack.message_id.strip("<>"),
        **kwargs,
    )


def deliver(server: dict[str, Any], *raw: bytes, arrived: datetime | None = None) -> None:
    conn = imaplib.IMAP4(server["host"], server["port"])
    conn.login(server["user"], server["password"])
    when = arrived.timestamp() if arrived is not None else time.time()
    for item in raw:
        conn.append("INBOX", "", imaplib.Time2Internaldate(when), item)
    conn.logout()


def poll(container: Container, server: dict[str, Any]) -> list[mail.MailResult]:
    with ImapMailbox(
        server["host"], server["port"], server["user"], server["password"], ssl=False
    ) as box:
        return mail.poll(container, box)


def import_eml(container: Container, tmp_path: Path, raw: bytes) -> mail.MailResult:
    path = tmp_path / f"{abs(hash(raw))}.eml"
    path.write_bytes(raw)
    [result] = mail.import_file(container, path)
    return result


@dataclass(frozen=True)
class Ack:
    recipient: str
    subject: str
    reply_to: str
    message_id: str

    @property
    def token(self) -> str:
        return self.reply_to.split("+", 1)[1].split("@", 1)[0]


def ack_for(container: Container, complaint_id: int | None) -> Ack:
    """The acknowledgement the outbox will send for a complaint, as its recipient sees it."""
    key = container.settings.secret_key
    with container.uow() as uow:
        row = uow.session.scalar(select(OutboxRow).where(OutboxRow.complaint_id == complaint_id))
        assert row is not None and row.reply_to and row.message_id
        ack = Ack(
            row.recipient,
            outbox.opened(row.subject, key),
            outbox.opened(row.reply_to, key),
            row.message_id,
        )
        # the token is in the outbox only sealed: a copy of the database does not show it
        assert ack.token not in row.subject + row.reply_to + row.body
        return ack


def case_state(container: Container, complaint_id: int | None) -> tuple[list[str], list[str]]:
    """A case's timeline actions and attachment names: what a forged message must not change."""
    with container.uow() as uow:
        actions = list(
            uow.session.scalars(
                select(ComplaintEventRow.action)
                .where(ComplaintEventRow.complaint_id == complaint_id)
                .order_by(ComplaintEventRow.id)
            )
        )
        names = list(
            uow.session.scalars(
                select(AttachmentRow.filename).where(AttachmentRow.complaint_id == complaint_id)
            )
        )
    return actions, names


def test_mail_polled_over_imap_threads_only_replies_that_carry_the_case_token(
    container: Container, org: dict[str, Any], imap_server: dict[str, Any]
) -> None:
    arrived = START - timedelta(minutes=10)
    first = message(
        "投诉：不动产登记窗口推诿",
        "我在不动产登记中心窗口办理过户，工作人员三次让我回去补材料。",
        msg_id="m1@example.cn",
        date=START - timedelta(days=40),  # backdated: would be overdue on arrival
        attachment=("回执.png", PNG, "image", "png"),
    )
    deliver(imap_server, first, arrived=arrived)
    [filed] = poll(container, imap_server)
    assert filed.outcome == "filed" and filed.tracking_no and filed.acknowledged
    ack = ack_for(container, filed.complaint_id)
    assert ack.recipient == "xiaoming@example.cn" and filed.tracking_no in ack.subject
    assert ack.reply_to.startswith("complaintdesk+") and len(ack.token) == 26
    assert ack.subject.endswith(f"[{filed.tracking_no} #{ack.token}]")

    reply = reply_to_ack(ack, "补充：今天又去了一次，仍未办理。", msg_id="m2@example.cn")
    # The attacker forges the complainant's own address, quotes the tracking number and
    # answers the complainant's first message, but has never seen the acknowledgement.
    forged = message(
        f"补充材料 {filed.tracking_no}",
        "我撤回投诉。",
        msg_id="m3@example.cn",
        in_reply_to="m1@example.cn",
        attachment=("撤回声明.png", PNG, "image", "png"),
    )
    stranger = message(
        f"关于 {filed.tracking_no}", "我也想说两句。", sender="other@example.cn", msg_id="m4@x"
    )
    deliver(imap_server, reply, forged, stranger)
    results = poll(container, imap_server)
    assert [r.outcome for r in results] == ["threaded", "filed", "filed"]
    assert results[0].complaint_id == filed.complaint_id
    assert filed.complaint_id not in {results[1].complaint_id, results[2].complaint_id}
    assert "未附该案的回复码" in results[1].detail and filed.tracking_no in results[1].detail
    # the complainant's address already got an acknowledgement this hour: no second one
    assert not results[1].acknowledged and mail.ACK_SUPPRESSED in results[1].detail
    assert results[2].acknowledged
    assert poll(container, imap_server) == []  # everything was marked seen

    assert case_state(container, filed.complaint_id) == (
        ["file", "receive_message"],
        ["回执.png"],
    )
    with container.uow() as uow:
        row = uow.session.get(ComplaintRow, filed.complaint_id)
        assert row is not None and row.channel == "email"
        assert row.title == "投诉：不动产登记窗口推诿"
        assert row.received_at == arrived  # IMAP INTERNALDATE, not the claimed Date:
        assert row.overdue_level == 0
        complainant = uow.session.get(ComplainantRow, row.complainant_id)
        assert complainant is not None and complainant.email == "xiaoming@example.cn"
        assert complainant.name == "王小明"
        filing = uow.session.scalar(
            select(ComplaintEventRow).where(
                ComplaintEventRow.complaint_id == filed.complaint_id,
                ComplaintEventRow.action == "file",
            )
        )
        assert filing is not None and "邮件自称发送于 2026-10-21 09:00" in (filing.reason or "")
        assert filing.data["mail"]["claimed_sent_at"].startswith("2026-10-21")
        notes = dict(
            uow.session.execute(select(MailMessageRow.message_id, MailMessageRow.note)).all()
        )
        assert "未附该案的回复码" in notes["m3@example.cn"]
        acks = list(uow.session.scalars(select(OutboxRow.recipient).order_by(OutboxRow.id)))
        assert acks == ["xiaoming@example.cn", "other@example.cn"]


def test_replying_to_the_acknowledgement_as_delivered_over_smtp_threads_into_the_case(
    container: Container,
    org: dict[str, Any],
    tmp_path: Path,
    smtp_server: SmtpServer,  # noqa: F811
) -> None:
    filed = import_eml(
        container, tmp_path, message("井盖缺失", "人民路口井盖丢了三天。", msg_id="w1@x")
    )
    report = outbox.deliver(
        container.session_factory,
        registry_for(smtp_server, None),
        container.clock.now(),
        secret_key=container.settings.secret_key,
    )
    assert report.sent == 1
    [sent] = smtp_server.messages
    assert sent["To"] == "xiaoming@example.cn"
    assert sent["Reply-To"].startswith("complaintdesk+") and "sealed" not in sent["Reply-To"]
    token = str(sent["Reply-To"]).split("+", 1)[1].split("@", 1)[0]
    assert sent["Subject"].endswith(f"[{filed.tracking_no} #{token}]")
    assert sent["Message-ID"] == ack_for(container, filed.complaint_id).message_id
    reply = message(
        f"Re: {sent['Subject']}",
        "补充：井盖位置在公交站旁。",
        to=str(sent["Reply-To"]),
        msg_id="w2@x",
        in_reply_to=str(sent["Message-ID"]).strip("<>"),
    )
    threaded = import_eml(container, tmp_path, reply)
    assert (threaded.outcome, threaded.complaint_id) == ("threaded", filed.complaint_id)
    assert case_state(container, filed.complaint_id)[0] == ["file", "receive_message"]


def test_a_forged_sender_with_the_tracking_number_files_a_new_complaint_and_leaves_the_case_alone(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    victim = import_eml(
        container, tmp_path, message("噪音扰民", "工地夜间施工到凌晨两点。", msg_id="v1@x.cn")
    )
    ack = ack_for(container, victim.complaint_id)
    before = case_state(container, victim.complaint_id)
    attempts = [
        # only the tracking number and the victim's address
        message(f"Re: 噪音扰民 [{victim.tracking_no}]", "已解决，请结案。", msg_id="f1@x.cn"),
        # the Message-ID of our acknowledgement, leaked or guessed, without the token
        message(
            f"Re: 噪音扰民 [{victim.tracking_no}]",
            "已解决，请结案。",
            msg_id="f2@x.cn",
            in_reply_to=ack.message_id.strip("<>"),
            attachment=("伪造.png", PNG, "image", "png"),
        ),
        # a made-up token, in the subject and in a plus-address
        message(
            f"Re: [{victim.tracking_no} #{'a' * 26}]",
            "已解决，请结案。",
            to=f"complaintdesk+{'b' * 26}@localhost",
            msg_id="f3@x.cn",
        ),
    ]
    results = [import_eml(container, tmp_path, raw) for raw in attempts]
    assert [r.outcome for r in results] == ["filed", "filed", "filed"]
    assert len({victim.complaint_id, *(r.complaint_id for r in results)}) == 4
    assert "未附该案的回复码" in results[0].detail and "未附该案的回复码" in results[1].detail
    assert "回复码无效" in results[2].detail
    assert case_state(container, victim.complaint_id) == before == (["file"], [])
    with container.uow() as uow:
        kept = dict(
            uow.session.execute(select(AttachmentRow.filename, AttachmentRow.complaint_id)).all()
        )
        assert kept == {"伪造.png": results[1].complaint_id}
        note = uow.session.scalar(
            select(MailMessageRow.note).where(MailMessageRow.message_id == "f2@x.cn")
        )
        assert note is not None and victim.tracking_no in note and "reply token" in note
        filing_reason = uow.session.scalar(
            select(ComplaintEventRow.reason).where(
                ComplaintEventRow.complaint_id == results[0].complaint_id,
                ComplaintEventRow.action == "file",
            )
        )
        assert filing_reason is not None and victim.tracking_no in filing_reason
        hashes = list(uow.session.scalars(select(MailReplyTokenRow.token_hash)))
    assert ack.token not in hashes and len(hashes) == 1  # stored hashed, one per e-mail sent


def test_a_reply_with_the_token_threads_by_reply_to_or_subject_but_not_across_cases(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    first = import_eml(
        container, tmp_path, message("路灯不亮", "小区路灯坏了一个月。", msg_id="a@x")
    )
    other = import_eml(
        container,
        tmp_path,
        message("占道经营", "菜市场门口占道。", sender="li@example.cn", msg_id="b@x"),
    )
    ack, other_ack = ack_for(container, first.complaint_id), ack_for(container, other.complaint_id)
    by_reply_to = reply_to_ack(
        ack, "补充：照片见附件。", msg_id="r1@x", attachment=("路灯.png", PNG, "image", "png")
    )
    # a client that drops Reply-To and threading headers still keeps the subject
    by_subject = message(f"Re: {ack.subject}", "还是不亮。", msg_id="r2@x")
    # the right token but answering another case's acknowledgement: which case is meant?
    crossed = reply_to_ack(ack, "两件事一起说。", msg_id="r3@x")
    crossed = crossed.replace(
        ack.message_id.strip("<>").encode(), other_ack.message_id.strip("<>").encode()
    )
    results = [import_eml(container, tmp_path, raw) for raw in (by_reply_to, by_subject, crossed)]
    assert [r.outcome for r in results] == ["threaded", "threaded", "filed"]
    assert results[0].complaint_id == results[1].complaint_id == first.complaint_id
    assert other.tracking_no in results[2].detail
    assert case_state(container, first.complaint_id) == (
        ["file", "receive_message", "receive_message"],
        ["路灯.png"],
    )
    assert case_state(container, other.complaint_id) == (["file"], [])


def test_a_backdated_date_header_is_received_at_import_time(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    claimed = START - timedelta(days=60)
    filed = import_eml(
        container,
        tmp_path,
        message("违规收费", "物业多收了停车费。", msg_id="old@x", date=claimed),
    )
    with container.uow() as uow:
        row = uow.session.get(ComplaintRow, filed.complaint_id)
        assert row is not None and row.received_at == START
        assert row.due_at is not None and row.due_at > START and row.overdue_level == 0
        data = uow.session.scalar(
            select(ComplaintEventRow.data).where(
                ComplaintEventRow.complaint_id == filed.complaint_id,
                ComplaintEventRow.action == "file",
            )
        )
        received = uow.session.scalar(select(MailMessageRow.received_at))
        # the claim is written into the filing event before its commit: the chain holds
        verdict = audit.verify(uow)
    assert data is not None and datetime.fromisoformat(data["mail"]["claimed_sent_at"]) == claimed
    assert received == START
    assert verdict.ok, verdict.message


def test_a_message_without_a_date_header_is_filed(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    raw = message("路灯不亮", "小区路灯坏了一个月。", msg_id="nodate@x")
    undated = b"\n".join(line for line in raw.split(b"\n") if not line.startswith(b"Date:"))
    filed = import_eml(container, tmp_path, undated)
    assert filed.outcome == "filed", filed
    with container.uow() as uow:
        row = uow.session.get(ComplaintRow, filed.complaint_id)
        assert row is not None and row.received_at == START


def test_five_messages_from_one_address_in_an_hour_get_one_acknowledgement(
    container: Container, org: dict[str, Any], clock: FixedClock, tmp_path: Path
) -> None:
    # A second process (its own container) shares nothing with the first but the database.
    second = bootstrap(
        container.settings, engine=container.engine, clock=clock, calendar=container.calendar
    )
    results = []
    for n in range(5):
        raw = message(
            f"投诉{n}", f"第{n}封：垃圾无人清运。", sender="victim@example.cn", msg_id=f"s{n}@x"
        )
        results.append(import_eml(container if n % 2 == 0 else second, tmp_path, raw))
        clock.advance(minutes=14)  # the fifth arrives 56 minutes after the first
    assert [r.outcome for r in results] == ["filed"] * 5
    assert [r.acknowledged for r in results] == [True, False, False, False, False]
    assert all(mail.ACK_SUPPRESSED in r.detail for r in results[1:])
    clock.advance(minutes=5)  # 75 minutes after the first acknowledgement
    later = import_eml(
        container,
        tmp_path,
        message("投诉5", "还是没人清运。", sender="victim@example.cn", msg_id="s5@x"),
    )
    assert later.acknowledged
    with container.uow() as uow:
        sent = list(
            uow.session.scalars(
                select(OutboxRow.complaint_id).where(OutboxRow.recipient == "victim@example.cn")
            )
        )
        assert sent == [results[0].complaint_id, later.complaint_id]
        assert len(list(uow.session.scalars(select(ComplaintRow.id)))) == 6


def test_an_mbox_imported_twice_files_each_message_once(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "archive.mbox"
    box = mailbox.mbox(str(path))
    box.add(message("路灯不亮", "小区路灯坏了一个月。", msg_id="a@x.cn"))
    box.add(message("", "", msg_id="empty@x.cn"))  # nothing to file: refused, not stored
    box.add(
        message(
            "Re: 路灯不亮",
            "还是不亮。",
            msg_id="b@x.cn",
            in_reply_to="a@x.cn",  # names a message, but no reply token: a new complaint
            attachment=("virus.exe", b"MZ\x90\x00" * 50, "application", "octet-stream"),
        )
    )
    box.flush()
    box.close()
    first = mail.import_file(container, path)
    assert [r.outcome for r in first] == ["filed", "refused", "filed"]
    assert "virus.exe" in first[2].detail and str(first[0].tracking_no) in first[2].detail
    again = mail.import_file(container, path)
    assert [r.outcome for r in again] == ["duplicate", "refused", "duplicate"]
    with container.uow() as uow:
        assert len(list(uow.session.scalars(select(ComplaintRow.id)))) == 2
        assert list(uow.session.scalars(select(AttachmentRow.id))) == []
