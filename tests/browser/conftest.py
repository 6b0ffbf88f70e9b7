"""A real server for the browser tests: uvicorn on 127.0.0.1 in a background thread,
a temporary SQLite file with the demo org tree, headless Chromium from Debian."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from complaintdesk.bootstrap import Container, bootstrap
from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.vocabulary import Action, DispatchMode
from complaintdesk.config import Settings
from complaintdesk.db import migrate
from complaintdesk.demo.hotline import build_org, build_users
from complaintdesk.http.app import create_app
from complaintdesk.org import auth

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Site:
    url: str
    container: Container
    complaint_id: int


def _seed(container: Container) -> int:
    """One complaint transferred to the housing bureau, and a few more for the queue."""
    now = container.clock.now()
    with container.uow() as uow:
        units = build_org(uow)
        build_users(uow, units)
        uow.commit()
        operator = auth.actor_for(uow, uow.users.by_username("operator"))  # type: ignore[arg-type]
        leader = auth.actor_for(uow, uow.users.by_username("leader"))  # type: ignore[arg-type]
        ids = []
        for n, title in enumerate(
            ["小区旁工地夜间施工噪音扰民", "住建局窗口推诿扯皮", "物业维修基金申请拖延"]
        ):
            filed = svc.file_complaint(
                uow,
                svc.FileComplaint(
                    title=title,
                    content=f"本人王小明，电话1381234567{n}，{title}，多次反映无果。",
                    complainant=svc.NewComplainant(name="王小明", phone=f"1381234567{n}"),
                ),
                actor=operator,
                now=now,
                calendar=container.calendar,
            )
            svc.perform(
                uow,
                operator,
                filed.id,
                command_for(Action.ACCEPT, {}),
                now=now,
                calendar=container.calendar,
            )
            ids.append(filed.id)
        target = ids[0]
        handling.sign_off(
            uow,
            leader,
            target,
            mode=DispatchMode.TRANSFER,
            unit_id=units["housing"].id,
            opinion="同意转办",
            now=now,
            calendar=container.calendar,
        )
        svc.perform(
            uow,
            leader,
            target,
            command_for(
                Action.DISPATCH,
                {
                    "unit_id": units["housing"].id,
                    "mode": "transfer",
                    "summary": "群众反映工地夜间施工噪音，请核查处理。",
                },
            ),
            now=now,
            calendar=container.calendar,
        )
    return target


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed: `make browser-deps`")
    path = tmp_path_factory.mktemp("browser") / "site.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    container = bootstrap(Settings(database_url=url, demo_mode=True, secret_key="browser-test-key"))
    complaint_id = _seed(container)
    app = create_app(container)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # listening before the thread starts: no waiting for readiness
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{port}", container, complaint_id)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        container.engine.dispose()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def screenshot_dir() -> Path:
    out = Path("var/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out


__all__ = ["Site", "screenshot_dir"]
