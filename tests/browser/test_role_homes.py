"""Each role signs in and lands on its own home: its queues, their counts, the most urgent
rows with their deadline badges, a link to each full list; the nav fits a phone."""

from __future__ import annotations

from typing import Any

import pytest

from complaintdesk.complaints import service as svc
from complaintdesk.org import auth
from tests.browser.conftest import Site, screenshot_dir

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def registered(site: Site) -> int:
    """One phone call registered and not yet accepted (the seed accepted all the others)."""
    container = site.container
    with container.uow() as uow:
        operator = auth.actor_for(uow, uow.users.by_username("operator"))  # type: ignore[arg-type]
        filed = svc.file_complaint(
            uow,
            svc.FileComplaint(
                title="街道办事处窗口态度粗暴",
                content="本人李四，电话13900001111，在街道办窗口被工作人员呵斥。",
                complainant=svc.NewComplainant(name="李四", phone="13900001111"),
            ),
            actor=operator,
            now=container.clock.now(),
            calendar=container.calendar,
        )
    return filed.id


def sign_in(page: Any, site: Site, username: str) -> None:
    page.goto(f"{site.url}/staff/login")
    page.fill("#username", username)
    page.fill("#password", "demo12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/staff/home")


def count(page: Any, queue: str) -> int:
    return int(page.inner_text(f"#queue-{queue} .queue-count"))


def shoot(page: Any, role: str) -> None:
    out = screenshot_dir()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(out / f"home_{role}_1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    # Nothing runs off a phone's screen: the bar wraps, the search box and links stay.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#global-search").is_visible()
    assert page.locator("nav.nav a[href='/staff/home']").is_visible()
    for link in page.locator("nav.nav a").all():
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.screenshot(path=str(out / f"home_{role}_390.png"), full_page=True)


def test_the_operator_lands_on_the_calls_to_accept(page: Any, site: Site, registered: int) -> None:
    sign_in(page, site, "operator")
    assert page.locator("section.home-section").count() == 1
    assert count(page, "to_accept") == 1
    card = page.locator("#queue-to_accept")
    assert "街道办事处窗口态度粗暴" in card.inner_text()
    assert card.locator(".due").count() == 1  # the deadline badge from the statutory clock
    assert page.locator("nav.nav a[href='/staff/register']").count() == 1
    assert page.locator("nav.nav a[href='/staff/handling']").count() == 0
    shoot(page, "operator")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#queue-to_accept .queue-count")
    page.wait_for_url(f"{site.url}/staff/queue?q=to_accept")
    assert page.locator("#queue tbody tr").count() == 1
    assert page.inner_text("#queue-total") == "共 1 件"


def test_the_dispatcher_sees_what_waits_for_the_leader(
    page: Any, site: Site, registered: int
) -> None:
    sign_in(page, site, "dispatcher")
    assert count(page, "waiting_leader") == 2  # accepted, not signed off yet
    assert count(page, "to_dispatch") == 0
    assert "暂无" in page.inner_text("#queue-to_dispatch")
    assert page.locator("nav.nav a[href='/staff/dispatch']").count() == 1
    shoot(page, "dispatcher")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#queue-waiting_leader .queue-title")
    page.wait_for_url(f"{site.url}/staff/queue?q=waiting_leader")
    assert page.locator("#queue tbody tr").count() == 2


def test_the_housing_bureau_sees_its_dispatch_to_sign_for_and_not_who_complained(
    page: Any, site: Site, registered: int
) -> None:
    sign_in(page, site, "handler-housing")
    assert count(page, "to_sign_for") == 1
    card = page.locator("#queue-to_sign_for")
    assert "工地夜间施工噪音" in card.inner_text()
    text = page.inner_text("main")
    assert "王小明" not in text and "李四" not in text and "住建局窗口推诿扯皮" not in text
    assert count(page, "overdue_unit") == 0
    shoot(page, "handler")
    page.set_viewport_size({"width": 1280, "height": 900})
    card.locator(".row-link").first.click()
    # The row opens the unit's handling page, not the centre's complaint page.
    page.wait_for_url(f"{site.url}/staff/complaints/{site.complaint_id}/handle")
    assert "王小明" not in page.inner_text("main")


def test_the_leader_sees_what_to_sign_off(page: Any, site: Site, registered: int) -> None:
    sign_in(page, site, "leader")
    assert count(page, "to_sign_off") == 2
    assert count(page, "to_instruct") == 0
    shoot(page, "leader")


def test_the_callback_auditor_sees_an_empty_callback_queue(
    page: Any, site: Site, registered: int
) -> None:
    sign_in(page, site, "callback")
    assert count(page, "to_call_back") == 0
    assert page.locator("nav.nav a[href='/staff/callbacks']").count() == 1
    page.goto(f"{site.url}/staff")
    page.wait_for_url(f"{site.url}/staff/home")
    shoot(page, "callback")
