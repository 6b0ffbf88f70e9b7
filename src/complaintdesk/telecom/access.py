"""Who may read and keep the telecom knowledge base and its SMS templates (SPEC §7).

The knowledge belongs to the telecom organisation, whose root unit is named by the
``COMPLAINTDESK_TELECOM_ROOT_UNIT`` setting (the province customer-support centre, 省客户
支撑中心). A unit is in the telecom organisation when its path lies under the root's; the
hotline tree (12345 centres, bureaus) never does, whatever its roles. Pure rules: the root
comes in as a :class:`Unit` (``None`` when not configured: then only admins are staff).
"""

from __future__ import annotations

from enum import StrEnum

from complaintdesk.kernel.errors import PermissionDenied
from complaintdesk.org.model import Actor, Role, Unit

# The support centre's people who keep the knowledge and approve SMS templates.
KEEPERS = frozenset({Role.DISPATCHER, Role.LEADER})


class Standing(StrEnum):
    """Where an actor stands towards the telecom knowledge."""

    SUPPORT_CENTRE = "support_centre"  # the root unit's staff, and admins: everything
    BRANCH = "branch"  # a unit below the root: what concerns its own subtree
    OUTSIDE = "outside"  # the hotline tree and everyone else: nothing


def standing(actor: Actor, root: Unit | None) -> Standing:
    if actor.is_admin or (root is not None and actor.unit_id == root.id):
        return Standing.SUPPORT_CENTRE
    if root is not None and root.contains(actor.unit_path):
        return Standing.BRANCH
    return Standing.OUTSIDE


def require_reader(actor: Actor | None, root: Unit | None) -> Standing:
    """``actor=None`` is the local CLI (trusted)."""
    if actor is None:
        return Standing.SUPPORT_CENTRE
    seat = standing(actor, root)
    if seat is Standing.OUTSIDE:
        raise PermissionDenied(
            "电信知识库仅限电信单位人员查看 / the telecom knowledge base is for telecom staff only"
        )
    return seat


def may_keep(actor: Actor, root: Unit | None) -> bool:
    return actor.is_admin or (
        root is not None and actor.unit_id == root.id and bool(actor.roles & KEEPERS)
    )


def require_keeper(actor: Actor | None, root: Unit | None) -> None:
    """Editing the knowledge and approving templates: the support centre's dispatchers and
    leaders, and admins. ``actor=None`` is the local CLI (trusted)."""
    if actor is not None and not may_keep(actor, root):
        raise PermissionDenied(
            "仅省客户支撑中心派单员、负责人可维护电信知识库和审核短信模板 / only the telecom"
            " support centre's dispatchers and leaders may maintain the knowledge base and"
            " approve SMS templates"
        )
