"""Verification of the audit chain over HTTP: admins and evaluators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from complaintdesk.audit import service as audit
from complaintdesk.http.deps import ActorDep, UowDep
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.org.auth import require_role
from complaintdesk.org.model import Role

router = APIRouter(prefix="/api/v1/admin", tags=["admin 管理"])


@router.get("/audit/verify", summary="校验审计链 / verify the audit chain")
def verify(
    actor: ActorDep,
    uow: UowDep,
    anchor_id: int | None = Query(None, description="锚点的 last_id / the anchor's last_id"),
    anchor_mac: str | None = Query(None, description="锚点的 mac / the anchor's mac"),
) -> dict[str, Any]:
    """Walk the chain as `complaintdesk audit verify [--anchor]` does; ``ok`` false names the
    first bad entry."""
    require_role(actor, Role.EVALUATOR)
    pinned = None
    if anchor_id is not None or anchor_mac is not None:
        try:
            pinned = audit.make_anchor(anchor_id, anchor_mac)
        except audit.BadAnchor as exc:
            raise InvalidInput(str(exc)) from None
    verdict = audit.verify(uow, pinned)
    return verdict.__dict__
