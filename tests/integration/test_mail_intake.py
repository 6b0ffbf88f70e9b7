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
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from complaintdesk.bootstrap import Container
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.intake import mail
from complaintdesk.intake.imap import ImapMailbox
from complaintdesk.intake.tables import AttachmentRow
from complaintdesk.notify.tables import OutboxRow
from tests.conftest import START

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
    msg_id: str,
    in_reply_to: str | None = None,
    attachment: tuple[str, bytes, str, str] | None = None,
) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "complaints@centre.example"
    m["Subject"] = subject
    m["Message-ID"] = f"<{msg_id}>"
    m["Date"] = format_datetime(START)
    if in_reply_to:
        m["In-Reply-To"] = f"<{in_reply_to}>"
        m["References"] = f"<{in_reply_to}>"
    m.set_content(body)
    if attachment:
        name, data, maintype, subtype = attachment
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(m)


def deliver(server: dict[str, Any], *raw: bytes) -> None:
    conn = imaplib.IMAP4(server["host"], server["port"])
    conn.login(server["user"], server["password"])
    for item in raw:
        conn.append("INBOX", "", imaplib.Time2Internaldate(time.time()), item)
    conn.logout()


def poll(container: Container, server: dict[str, Any]) -> list[mail.MailResult]:
    with ImapMailbox(
        server["host"], server["port"], server["user"], server["password"], ssl=False
    ) as box:
        return mail.poll(container, box)


def test_mail_polled_over_imap_files_a_complaint_and_threads_the_replies(
    container: Container, org: dict[str, Any], imap_server: dict[str, Any]
) -> None:
    first = message(
        "投诉：不动产登记窗口推诿",
        "我在不动产登记中心窗口办理过户，工作人员三次让我回去补材料。",
        msg_id="m1@example.cn",
        attachment=("回执.png", PNG, "image", "png"),
    )
    deliver(imap_server, first)
    [filed] = poll(container, imap_server)
    assert filed.outcome == "filed" and filed.tracking_no
    reply = message(
        "Re: 投诉：不动产登记窗口推诿",
        "补充：今天又去了一次，仍未办理。",
        msg_id="m2@example.cn",
        in_reply_to="m1@example.cn",
    )
    by_subject = message(
        f"补充材料 {filed.tracking_no}", "附上窗口工作人员的工号：0231。", msg_id="m3@example.cn"
    )
    stranger = message(
        f"关于 {filed.tracking_no}",
        "我也想说两句。",
        sender="other@example.cn",
        msg_id="m4@example.cn",
    )
    deliver(imap_server, reply, by_subject, stranger)
    results = poll(container, imap_server)
    assert [r.outcome for r in results] == ["threaded", "threaded", "filed"]
    assert results[0].complaint_id == filed.complaint_id == results[1].complaint_id
    assert results[2].complaint_id != filed.complaint_id  # a stranger cannot write into it
    assert poll(container, imap_server) == []  # everything was marked seen
    with container.uow() as uow:
        row = uow.session.get(ComplaintRow, filed.complaint_id)
        assert row is not None and row.channel == "email"
        assert row.title == "投诉：不动产登记窗口推诿"
        person = uow.session.execute(
            select(ComplaintRow.complainant_id).where(ComplaintRow.id == filed.complaint_id)
        ).scalar_one()
        from complaintdesk.complaints.tables import ComplainantRow

        complainant = uow.session.get(ComplainantRow, person)
        assert complainant is not None and complainant.email == "xiaoming@example.cn"
        assert complainant.name == "王小明"
        actions = list(
            uow.session.scalars(
                select(ComplaintEventRow.action)
                .where(ComplaintEventRow.complaint_id == filed.complaint_id)
                .order_by(ComplaintEventRow.id)
            )
        )
        assert actions == ["file", "receive_message", "receive_message"]
        kept = list(uow.session.scalars(select(AttachmentRow)))
        assert [(a.filename, a.content_type, a.source) for a in kept] == [
            ("回执.png", "image/png", "email")
        ]
        ack = uow.session.scalar(
            select(OutboxRow).where(OutboxRow.recipient == "xiaoming@example.cn")
        )
        assert ack is not None and filed.tracking_no in ack.subject


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
            in_reply_to="a@x.cn",
            attachment=("virus.exe", b"MZ\x90\x00" * 50, "application", "octet-stream"),
        )
    )
    box.flush()
    box.close()
    first = mail.import_file(container, path)
    assert [r.outcome for r in first] == ["filed", "refused", "threaded"]
    assert "virus.exe" in first[2].detail
    again = mail.import_file(container, path)
    assert [r.outcome for r in again] == ["duplicate", "refused", "duplicate"]
    with container.uow() as uow:
        assert len(list(uow.session.scalars(select(ComplaintRow.id)))) == 1
        assert list(uow.session.scalars(select(AttachmentRow.id))) == []
