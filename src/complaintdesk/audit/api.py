"""Verification of the audit chain over HTTP: admins and evaluators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from complaintdesk.audit import service as audit
from complaintdesk.http.deps import ActorDep, UowDep
from complaintdesk.org.auth import require_role
from complaintdesk.org.model import Role

router = APIRouter(prefix="/api/v1/admin", tags=["admin 管理"])


@router.get("/audit/verify", summary="校验审计链 / verify the audit chain")
def verify(actor: ActorDep, uow: UowDep) -> dict[str, Any]:
    require_role(actor, Role.EVALUATOR)
    verdict = audit.verify(uow)
    return verdict.__dict__
