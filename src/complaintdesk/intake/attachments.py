"""Attachments: checked for size and type, kept outside the database, named by SHA-256.

The type is decided by the file's first bytes, not by the name or the declared type a
browser or mail client sends. Files are content-addressed (``<dir>/ab/abcdef…``), so the
same photo sent twice is stored once, and a file written before a failed transaction is
harmless: no row points at it.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaintdesk.intake.tables import AttachmentRow
from complaintdesk.kernel.errors import InvalidInput

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 10

_ALLOWED_NAMES = "PDF, JPG, PNG, GIF, TXT, DOC(X), XLS(X), MP3, WAV, EML"
# How much of a text file the type check reads: decoding 10 MB whole cost 60 ms of CPU.
TEXT_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes
    declared_type: str | None = None


def safe_filename(name: str | None) -> str:
    """The last path component, without control characters, at most 255 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    return base[:255] or "attachment"


def sniff(data: bytes, filename: str) -> str | None:
    """The content type the bytes really are, among the allowed ones; None otherwise."""
    ext = os.path.splitext(filename.lower())[1]
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"PK\x03\x04"):
        return {
            ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }.get(ext)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return {".doc": "application/msword", ".xls": "application/vnd.ms-excel"}.get(ext)
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "audio/wav"
    if ext in (".txt", ".text", ".csv", ".eml") and _is_text(data):
        return "message/rfc822" if ext == ".eml" else "text/plain"
    return None


def _is_text(data: bytes) -> bool:
    """Whether the head of the file is UTF-8 or GB18030 text without NUL bytes.

    Only the first ``TEXT_SNIFF_BYTES`` are read; a character cut at that point is fine.
    """
    head = data[:TEXT_SNIFF_BYTES]
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(head, final=len(data) <= TEXT_SNIFF_BYTES)
        except UnicodeDecodeError:
            continue
        return True
    return False


def megabytes(size: int) -> str:
    """A size limit in words: ``10``, ``2``, ``1.5``, ``0.25``."""
    value = size / (1024 * 1024)
    if value >= 10 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def check_size(filename: str | None, size: int, max_bytes: int = MAX_ATTACHMENT_BYTES) -> None:
    """Refuse a file above ``max_bytes`` (the public form's limit is smaller than staff's)."""
    if size > max_bytes:
        name = safe_filename(filename)
        limit = megabytes(max_bytes)
        raise InvalidInput(
            f"附件“{name}”超过{limit}MB上限 / attachment {name!r} exceeds the {limit} MB limit"
        )


def check(upload: Upload) -> str:
    """Refuse what is too big, empty or not an allowed type; return the real content type."""
    name = safe_filename(upload.filename)
    if not upload.data:
        raise InvalidInput(f"附件“{name}”是空文件 / attachment {name!r} is empty")
    check_size(name, len(upload.data))
    content_type = sniff(upload.data, name)
    if content_type is None:
        raise InvalidInput(
            f"附件“{name}”的类型不被接受（仅限 {_ALLOWED_NAMES}）"
            f" / attachment {name!r} is not an accepted type ({_ALLOWED_NAMES} only)"
        )
    return content_type


def check_count(count: int, limit: int = MAX_ATTACHMENTS) -> None:
    """Refuse too many files; called before any file's content is read."""
    if count > limit:
        if limit == 0:
            raise InvalidInput("此处不接受附件 / attachments are not accepted here")
        raise InvalidInput(f"附件最多{limit}个 / at most {limit} attachments per complaint")


def check_all(uploads: list[Upload]) -> list[str]:
    check_count(len(uploads))
    return [check(u) for u in uploads]


def blob_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def store(
    session: Session,
    root: Path,
    complaint_id: int,
    upload: Upload,
    *,
    content_type: str,
    source: str,
    uploaded_by: int | None,
    now: datetime,
) -> AttachmentRow:
    """Write the file (atomically, once per content) and add its row to the transaction."""
    digest = hashlib.sha256(upload.data).hexdigest()
    target = blob_path(root, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(upload.data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    row = AttachmentRow(
        complaint_id=complaint_id,
        filename=safe_filename(upload.filename),
        content_type=content_type,
        size=len(upload.data),
        sha256=digest,
        source=source,
        uploaded_by=uploaded_by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def for_complaint(session: Session, complaint_id: int) -> list[AttachmentRow]:
    return list(
        session.scalars(
            select(AttachmentRow)
            .where(AttachmentRow.complaint_id == complaint_id)
            .order_by(AttachmentRow.id)
        )
    )


def read(root: Path, row: AttachmentRow) -> bytes:
    """The stored bytes, verified against the checksum recorded when they came in."""
    data = blob_path(root, row.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise OSError(f"attachment {row.id} does not match its checksum")
    return data
