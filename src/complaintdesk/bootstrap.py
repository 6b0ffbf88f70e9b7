"""Composition root: settings in, wired adapters out. The only place that chooses them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TypedDict

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from complaintdesk.audit.chain import bind_key
from complaintdesk.audit.keys import load_key
from complaintdesk.clock.calendar import ChineseWorkingCalendar, OverrideLoader
from complaintdesk.clock.deadlines import WorkingCalendar
from complaintdesk.config import Settings, get_settings
from complaintdesk.db.engine import make_engine, make_session_factory
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.time import Clock, SystemClock
from complaintdesk.triage.facade import Triage, build_triage


class Timing(TypedDict):
    """The present moment and the working calendar, as every use case takes them."""

    now: datetime
    calendar: WorkingCalendar


@dataclass
class Container:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    calendar: WorkingCalendar = field(default_factory=ChineseWorkingCalendar)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.session_factory)

    def timing(self) -> Timing:
        """`now` and `calendar` for a use case: `perform(..., **container.timing())`."""
        return {"now": self.clock.now(), "calendar": self.calendar}

    @cached_property
    def triage(self) -> Triage:
        """Routing model + rule layers, loaded on first use (commands that file nothing
        never pay for loading a model)."""
        settings = self.settings
        return build_triage(
            settings.triage_model, settings.triage_threshold, settings.triage_model_sha256
        )


def bootstrap(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    calendar: WorkingCalendar | None = None,
) -> Container:
    settings = settings or get_settings()
    # First, so an unusable key file stops start-up before anything is opened.
    audit_key = load_key(settings.audit_key_file, settings.secret_key)
    engine = engine or make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    bind_key(session_factory, audit_key)
    return Container(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        clock=clock or SystemClock(),
        calendar=calendar or ChineseWorkingCalendar(loader=holiday_loader(session_factory)),
    )


def holiday_loader(session_factory: sessionmaker[Session]) -> OverrideLoader:
    """Admin-loaded holiday tables, read once on first use (``calendar load`` and the
    worker refresh them). A database without the table yet means no overrides, not a crash."""

    def load() -> dict[date, bool]:
        from sqlalchemy.exc import SQLAlchemyError

        from complaintdesk.clock.tables import read_overrides

        try:
            with session_factory() as session:
                return read_overrides(session)
        except SQLAlchemyError as exc:
            logging.getLogger(__name__).warning("holiday tables not loaded: %s", exc)
            return {}

    return load
