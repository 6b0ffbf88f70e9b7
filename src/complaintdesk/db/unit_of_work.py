"""Unit of work: one transaction, the repositories bound to it. Only services commit."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from complaintdesk.complaints.repository import ComplaintRepository
from complaintdesk.org.repository import UnitRepository, UserRepository


class SqlUnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self.session_factory()
        self.complaints = ComplaintRepository(self.session)
        self.units = UnitRepository(self.session)
        self.users = UserRepository(self.session)
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Anything not committed explicitly is rolled back: nothing is half-stored.
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
