"""Intake from every channel (SPEC §1): one use case that files a complaint with its group,
representatives, attachments, repeat link and idempotency key in one transaction.

The operator's phone/walk-in/letter registration, the public web form, the API and e-mail
all come through :func:`register`; bulk import has its own batched path (``importer``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from complaintdesk.bootstrap import Container
from complaintdesk.clock import deadlines as sla
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.vocabulary import MAX_REPRESENTATIVES
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.intake import attachments, repeats
from complaintdesk.intake.tables import ComplaintGroupRow, IdempotencyKeyRow, RepresentativeRow
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.kernel.sealing import SealBroken, seal, unseal
from complaintdesk.kernel.text import clean_text
from complaintdesk.org.model import Actor
from complaintdesk.triage.facade import Triage

IDEMPOTENCY_TTL = timedelta(hours=24)
# What the query code kept for a retry is sealed for (kernel.sealing): never plaintext.
QUERY_CODE_SEAL = "idempotent-query-code"


@dataclass(frozen=True)
class Representative:
    """A representative elected by a group visit (推选代表)."""

    name: str
    phone: str | None = None
    id_number: str | None = None


@dataclass(frozen=True)
class Group:
    """群体投诉: how many people complain together, and their representatives (≤ 3)."""

    member_count: int
    representatives: tuple[Representative, ...]


@dataclass(frozen=True)
class Intake:
    complaint: svc.FileComplaint
    group: Group | None = None
    uploads: tuple[attachments.Upload, ...] = ()
    attachment_source: str = "upload"


@dataclass(frozen=True)
class IdempotencyKey:
    scope: str  # "user:<id>" or "public"
    key: str
    request_hash: str

    @staticmethod
    def of(scope: str, key: str | None, payload: Any) -> IdempotencyKey | None:
        if key is None:
            return None
        key = key.strip()
        if not key or len(key) > 200 or not key.isprintable():
            raise InvalidInput(
                "Idempotency-Key 须为1至200个可打印字符"
                " / Idempotency-Key must be 1 to 200 printable characters"
            )
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return IdempotencyKey(scope, key, hashlib.sha256(canonical.encode()).hexdigest())


@dataclass(frozen=True)
class Registered:
    id: int
    tracking_no: str
    query_code: str
    repeat_of: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tracking_no": self.tracking_no,
            "query_code": self.query_code,
            "repeat_of": self.repeat_of,
            "attachments": self.attachments,
        }

    def stored(self, secret_key: str) -> dict[str, Any]:
        """The answer as kept for a retry: the query code sealed, never in plaintext."""
        kept = self.as_dict()
        kept["query_code_sealed"] = seal(secret_key, QUERY_CODE_SEAL, kept.pop("query_code"))
        return kept


def check_group(group: Group) -> list[Representative]:
    """SPEC §1: a group elects at most 3 representatives; the 4th is refused, by name."""
    reps = list(group.representatives)
    if len(reps) > MAX_REPRESENTATIVES:
        raise InvalidInput(
            f"群体投诉最多推选{MAX_REPRESENTATIVES}名代表，本次填写了{len(reps)}名，"
            f"请删去多出的代表 / a group complaint may elect at most {MAX_REPRESENTATIVES}"
            f" representatives; {len(reps)} were given — remove the extra ones"
        )
    if not reps:
        raise InvalidInput(
            "群体投诉须至少推选1名代表 / a group complaint needs at least one representative"
        )
    if group.member_count < 2 or group.member_count < len(reps):
        raise InvalidInput(
            "群体投诉人数至少为2人且不少于代表人数"
            " / a group has at least 2 members and no fewer than its representatives"
        )
    cleaned = []
    for rep in reps:
        name = clean_text(
            rep.name, what_zh="代表姓名", what_en="representative name", max_chars=120
        )
        cleaned.append(dataclasses.replace(rep, name=name))
    return cleaned


def _replay(uow: SqlUnitOfWork, key: IdempotencyKey, secret_key: str) -> Registered | None:
    row = uow.session.scalar(
        select(IdempotencyKeyRow).where(
            IdempotencyKeyRow.scope == key.scope, IdempotencyKeyRow.key == key.key
        )
    )
    if row is None:
        return None
    if row.request_hash != key.request_hash:
        raise InvalidInput(
            "该 Idempotency-Key 已用于另一份不同的投诉，请换一个新的 Key"
            " / this Idempotency-Key was already used for a different request; use a new key"
        )
    if row.response is None:  # the first request has not committed: it rolled back or runs
        return None
    stored = dict(row.response)
    try:
        code = unseal(secret_key, QUERY_CODE_SEAL, str(stored.get("query_code_sealed") or ""))
    except SealBroken as exc:
        # Sealed under another secret key (it was rotated): the code cannot be said again.
        raise InvalidInput(
            "无法重放该请求：密钥已更换，请用投诉时收到的查询码，或换一个新的 Idempotency-Key"
            " / this request cannot be replayed (the secret key changed); use the query code"
            " you were given, or a new Idempotency-Key"
        ) from exc
    return Registered(
        id=stored["id"],
        tracking_no=stored["tracking_no"],
        query_code=code,
        repeat_of=stored.get("repeat_of"),
        attachments=list(stored.get("attachments") or []),
        replayed=True,
    )


def register(
    uow: SqlUnitOfWork,
    intake: Intake,
    *,
    actor: Actor | None,
    now: datetime,
    calendar: sla.WorkingCalendar,
    attachments_dir: Path,
    idempotency: IdempotencyKey | None = None,
    default_unit_id: int | None = None,
    commit: bool = True,
    triage: Triage | None = None,
    secret_key: str | None = None,
) -> Registered:
    """File one complaint with everything that came with it; all or nothing.

    ``secret_key`` seals the query code kept with an idempotency key; required with one.
    """
    reps = check_group(intake.group) if intake.group is not None else []
    content_types = attachments.check_all(list(intake.uploads))
    if idempotency is not None:
        if not secret_key:
            raise ValueError("an idempotent filing needs the secret key to seal its answer")
        earlier = _replay(uow, idempotency, secret_key)
        if earlier is not None:
            return earlier
        uow.session.execute(
            delete(IdempotencyKeyRow).where(IdempotencyKeyRow.created_at < now - IDEMPOTENCY_TTL)
        )
        claim = IdempotencyKeyRow(
            scope=idempotency.scope,
            key=idempotency.key,
            request_hash=idempotency.request_hash,
            created_at=now,
        )
        uow.session.add(claim)
        try:
            # A concurrent request with the same key waits here on the unique index and
            # fails when the first one commits; its caller retries and gets the replay.
            uow.session.flush()
        except IntegrityError:
            uow.rollback()
            earlier = _replay(uow, idempotency, secret_key)
            if earlier is not None:
                return earlier
            raise
    command = intake.complaint
    received_at = command.received_at or now
    match = repeats.find_repeat(
        uow.session, repeats.contact_of(command.complainant), command.content, received_at
    )
    if match is not None:
        command = dataclasses.replace(
            command, extra={**command.extra, "repeat_of_id": match.original_id}
        )
    filed = svc.file_complaint(
        uow,
        command,
        actor=actor,
        now=now,
        calendar=calendar,
        default_unit_id=default_unit_id,
        commit=False,
        triage=triage,
    )
    actor_id = actor.user_id if actor else None
    if match is not None:
        uow.complaints.append_events(filed.id, [repeats.link_event(match, now, actor_id)])
    if intake.group is not None:
        uow.session.add(
            ComplaintGroupRow(complaint_id=filed.id, member_count=intake.group.member_count)
        )
        for ordinal, rep in enumerate(reps, start=1):
            uow.session.add(
                RepresentativeRow(
                    complaint_id=filed.id,
                    ordinal=ordinal,
                    name=rep.name,
                    phone=rep.phone,
                    id_number=rep.id_number,
                )
            )
    stored = [
        attachments.store(
            uow.session,
            attachments_dir,
            filed.id,
            upload,
            content_type=content_type,
            source=intake.attachment_source,
            uploaded_by=actor_id,
            now=now,
        )
        for upload, content_type in zip(intake.uploads, content_types, strict=True)
    ]
    result = Registered(
        id=filed.id,
        tracking_no=filed.tracking_no,
        query_code=filed.query_code,
        repeat_of=match.as_dict() if match else None,
        attachments=[
            {"id": a.id, "filename": a.filename, "size": a.size, "sha256": a.sha256} for a in stored
        ],
    )
    if idempotency is not None:
        assert secret_key is not None
        claim.complaint_id = filed.id
        # Kept so that a retry, which never saw the first answer, gets the query code too,
        # sealed; rows older than IDEMPOTENCY_TTL are deleted.
        claim.response = result.stored(secret_key)
    uow.session.flush()
    if commit:
        uow.commit()
    return result


def register_in(
    container: Container,
    uow: SqlUnitOfWork,
    intake: Intake,
    *,
    actor: Actor | None,
    now: datetime | None = None,
    idempotency: IdempotencyKey | None = None,
    default_unit_id: int | None = None,
    commit: bool = True,
) -> Registered:
    """:func:`register` with the container's clock, calendar, attachment store and triage:
    the one way every channel (API, web form, e-mail) files a complaint."""
    return register(
        uow,
        intake,
        actor=actor,
        now=now or container.clock.now(),
        calendar=container.calendar,
        attachments_dir=container.settings.attachments_dir,
        idempotency=idempotency,
        default_unit_id=default_unit_id,
        commit=commit,
        triage=container.triage,
        secret_key=container.settings.secret_key,
    )


def group_of(uow: SqlUnitOfWork, complaint_id: int) -> dict[str, Any] | None:
    """The group and its representatives, for the operator (identity stays masked)."""
    from complaintdesk.kernel.privacy import mask_name, mask_phone

    group = uow.session.get(ComplaintGroupRow, complaint_id)
    if group is None:
        return None
    reps = uow.session.scalars(
        select(RepresentativeRow)
        .where(RepresentativeRow.complaint_id == complaint_id)
        .order_by(RepresentativeRow.ordinal)
    )
    return {
        "member_count": group.member_count,
        "representatives": [
            {"ordinal": r.ordinal, "name": mask_name(r.name), "phone": mask_phone(r.phone)}
            for r in reps
        ],
    }
