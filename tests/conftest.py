"""Shared fixtures. Integration and end-to-end tests run on SQLite and on PostgreSQL.

Each test run gets its own PostgreSQL database (created from the `test` database and
dropped at the end), so parallel runs never see each other. The schema is built by the
Alembic migrations, and every test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from complaintdesk.bootstrap import Container, bootstrap
from complaintdesk.clock.calendar import ChineseWorkingCalendar
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.config import Settings
from complaintdesk.db import migrate
from complaintdesk.db.engine import make_engine
from complaintdesk.db.schema import metadata
from complaintdesk.kernel.time import FixedClock
from complaintdesk.org import auth

# argon2 with the production parameters costs 0.1–0.4 s a hash on a 2-core machine, and almost
# every test signs demo users in. A hash carries its own parameters, so lighter ones here
# change nothing the tests look at (the lock-out timing test compares like with like).
auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

PG_ADMIN_URL = os.environ.get(
    "COMPLAINTDESK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
# Monday 30 November 2026, 09:00 in Shanghai: an ordinary working day.
START = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)


def _create_pg_database() -> tuple[str, str]:
    name = f"cd_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return name, url


def _drop_pg_database(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def pg_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database for as long as the block runs."""
    name, url = _create_pg_database()
    try:
        migrate.upgrade(url)
        yield url
    finally:
        _drop_pg_database(name)


@pytest.fixture(scope="session", params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "test.db"
        url = f"sqlite:///{path}"
        migrate.upgrade(url)
        yield url
        return
    with pg_database() as url:
        yield url


@pytest.fixture(scope="session")
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _empty_tables(engine: Engine) -> None:
    # DELETE, not TRUNCATE: a test leaves a few rows, and TRUNCATE's new relation files cost
    # ~0.15 s of fsync per test on PostgreSQL; the sequences restart as TRUNCATE's would.
    names = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        for name in names:
            conn.execute(text(f"DELETE FROM {name}"))
        if engine.dialect.name == "postgresql":
            sequences = conn.scalars(
                text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            ).all()
            for sequence in sequences:
                conn.execute(text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def container(
    db_engine: Engine, db_url: str, clock: FixedClock, tmp_path: Path
) -> Iterator[Container]:
    settings = Settings(
        database_url=db_url,
        demo_mode=True,
        attachments_dir=tmp_path / "attachments",
    )
    yield bootstrap(settings, engine=db_engine, clock=clock, calendar=ChineseWorkingCalendar())
    _empty_tables(db_engine)


@pytest.fixture
def org(container: Container) -> dict[str, Any]:
    """The demo org tree and users (password ``demo12345``), no complaints."""
    from complaintdesk.demo.hotline import build_org, build_users

    with container.uow() as uow:
        units = build_org(uow)
        build_users(uow, units)
        uow.commit()
    return units


class Api:
    """A TestClient that signs in as demo users and remembers their tokens."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def headers(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            response = self.client.post(
                "/api/v1/auth/token", json={"username": username, "password": "demo12345"}
            )
            assert response.status_code == 200, response.text
            self.tokens[username] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def get(self, username: str, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, headers=self.headers(username), **kwargs)

    def post(self, username: str, url: str, **kwargs: Any) -> Any:
        return self.client.post(url, headers=self.headers(username), **kwargs)


@pytest.fixture
def api(container: Container, org: dict[str, Any]) -> Iterator[Api]:
    from complaintdesk.http.app import create_app

    with TestClient(create_app(container)) as client:
        yield Api(client)
