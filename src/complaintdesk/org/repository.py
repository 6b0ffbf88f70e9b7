"""Units and users: the only code that turns their rows into org objects and back."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from complaintdesk.kernel.errors import InvalidInput, NotFound
from complaintdesk.org.model import EvaluationCategory, Unit, UnitKind, UnitLevel
from complaintdesk.org.tables import UnitRow, UserRow


def subtree_range(path: str) -> tuple[str, str]:
    """Bounds of every path under ``path`` ("/1/4/" → ["/1/4/", "/1/40")): '0' follows '/'."""
    return path, path[:-1] + "0"


def unit_from_row(row: UnitRow) -> Unit:
    return Unit(
        id=row.id,
        code=row.code,
        name=row.name,
        level=UnitLevel(row.level),
        kind=UnitKind(row.kind),
        parent_id=row.parent_id,
        path=row.path,
        category=EvaluationCategory(row.category) if row.category else None,
    )


class UnitRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, unit_id: int) -> Unit:
        row = self.session.get(UnitRow, unit_id)
        if row is None:
            raise NotFound(f"单位 {unit_id} 不存在 / unit {unit_id} does not exist")
        return unit_from_row(row)

    def default_centre(self, kind: UnitKind = UnitKind.CENTRE) -> Unit:
        """The top-level unit of ``kind`` that receives what no one routed: public filings,
        e-mail, imports without a unit (the first created when there are several)."""
        row = self.session.scalar(
            select(UnitRow)
            .where(UnitRow.parent_id.is_(None), UnitRow.kind == kind.value)
            .order_by(UnitRow.id)
        )
        if row is None:
            raise InvalidInput("系统尚未配置受理中心 / no complaint centre is configured")
        return unit_from_row(row)

    def by_code(self, code: str) -> Unit | None:
        row = self.session.scalar(select(UnitRow).where(UnitRow.code == code))
        return unit_from_row(row) if row else None

    def add(
        self,
        *,
        code: str,
        name: str,
        level: UnitLevel,
        kind: UnitKind,
        parent: Unit | None = None,
        category: EvaluationCategory | None = None,
    ) -> Unit:
        row = UnitRow(
            code=code,
            name=name,
            level=level.value,
            kind=kind.value,
            category=category.value if category else None,
            parent_id=parent.id if parent else None,
            path="/",
        )
        self.session.add(row)
        self.session.flush()
        row.path = f"{parent.path if parent else '/'}{row.id}/"
        self.session.flush()
        return unit_from_row(row)

    def all(self) -> list[Unit]:
        rows = self.session.scalars(select(UnitRow).order_by(UnitRow.path))
        return [unit_from_row(r) for r in rows]

    def subtree(self, unit: Unit) -> list[Unit]:
        lo, hi = subtree_range(unit.path)
        rows = self.session.scalars(
            select(UnitRow).where(UnitRow.path >= lo, UnitRow.path < hi).order_by(UnitRow.path)
        )
        return [unit_from_row(r) for r in rows]


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_username(self, username: str) -> UserRow | None:
        return self.session.scalar(select(UserRow).where(UserRow.username == username))

    def get(self, user_id: int) -> UserRow | None:
        return self.session.get(UserRow, user_id)
