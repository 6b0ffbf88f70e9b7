"""The search page and the keyboard in headless Chromium: find by words with the match
highlighted, `/` to the search box, `j`/`k` through the rows, Enter to open, `?` for help."""

from __future__ import annotations

from typing import Any

import pytest

from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.vocabulary import Action
from complaintdesk.org import auth
from tests.browser.conftest import Site, screenshot_dir

pytestmark = pytest.mark.browser

TITLES = [
    "幸福小区物业公司不作为",
    "阳光花园物业乱收停车费",
    "翠湖苑物业维修拖延不办",
    "建设路物业服务中心推诿扯皮",
]


@pytest.fixture(scope="module")
def property_cases(site: Site) -> list[int]:
    """Four more complaints whose titles share a word (物业) with one of the seed's."""
    container = site.container
    now = container.clock.now()
    ids = []
    with container.uow() as uow:
        operator = auth.actor_for(uow, uow.users.by_username("operator"))  # type: ignore[arg-type]
        for title in TITLES:
            filed = svc.file_complaint(
                uow,
                svc.FileComplaint(
                    title=title,
                    content=f"{title}，业主多次反映无果，请中心督促处理。",
                    complainant=svc.NewComplainant(name="李红", phone="13900001111"),
                ),
                actor=operator,
                now=now,
                calendar=container.calendar,
            )
            svc.perform(
                uow, operator, filed.id, command_for(Action.ACCEPT, {}), now=now,
                calendar=container.calendar,
            )  # fmt: skip
            ids.append(filed.id)
    return ids


def open_search(page: Any, site: Site, username: str) -> None:
    page.goto(f"{site.url}/staff/search")
    assert "/staff/login" in page.url
    page.fill("#username", username)
    page.fill("#password", "demo12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/staff/search")


def current_row(page: Any) -> int:
    index: int = page.evaluate(
        "Array.from(document.querySelectorAll('table.list tbody tr'))"
        ".findIndex(r => r.classList.contains('current'))"
    )
    return index


def test_words_are_found_highlighted_and_the_keys_move_and_open(
    page: Any, site: Site, property_cases: list[int]
) -> None:
    open_search(page, site, "dispatcher")
    page.fill("#q", "物业")
    page.press("#q", "Enter")
    page.wait_for_url("**/staff/search?q=*")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 5  # with the seed's 物业维修基金申请拖延
    assert rows.first.inner_text().startswith("TS")
    assert page.locator("#results mark").first.inner_text() == "物业"
    assert "建设路物业服务中心" in rows.first.inner_text()  # newest first

    page.locator("h1").click()  # out of the search field
    page.keyboard.press("j")
    assert current_row(page) == 0
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert current_row(page) == 2
    page.keyboard.press("k")
    assert current_row(page) == 1

    page.keyboard.press("?")
    assert page.locator("#keys-help").is_visible()
    assert "下一行" in page.inner_text("#keys-help")
    page.keyboard.press("Escape")
    assert not page.locator("#keys-help").is_visible()

    page.keyboard.press("/")
    focused = page.evaluate("document.activeElement.getAttribute('type')")
    assert focused == "search"
    page.keyboard.type("j")  # typing in the field is typing, not moving
    assert current_row(page) == 1
    assert page.evaluate("document.activeElement.value").endswith("j")

    for width, name in ((1280, "search_1280.png"), (390, "search_390.png")):
        page.set_viewport_size({"width": width, "height": 860})
        page.screenshot(path=str(screenshot_dir() / name), full_page=True)

    page.locator("h1").click()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.url}/staff/complaints/{property_cases[2]}")


def test_a_tracking_number_goes_straight_to_the_complaint_and_a_unit_finds_no_phone(
    page: Any, site: Site
) -> None:
    with site.container.uow() as uow:
        from complaintdesk.complaints.tables import ComplaintRow

        tracking_no = uow.session.get(ComplaintRow, site.complaint_id).tracking_no  # type: ignore[union-attr]
    open_search(page, site, "handler-housing")
    page.fill("#q", tracking_no)
    page.press("#q", "Enter")
    page.wait_for_url(f"{site.url}/staff/complaints/{site.complaint_id}")
    page.goto(f"{site.url}/staff/search?q=13812345670")
    assert page.locator("#results").count() == 0
    assert "只在登记投诉的受理方检索" in page.inner_text("#phone-note")
