"""The staff pages in headless Chromium: sign in, the queue, act on a complaint, sign out;
the handling unit never sees who complained."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site, screenshot_dir

pytestmark = pytest.mark.browser


def sign_in(page: Any, site: Site, username: str) -> None:
    page.goto(f"{site.url}/staff/queue")
    assert "/staff/login" in page.url
    page.fill("#username", username)
    page.fill("#password", "demo12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}/staff/queue")


def test_a_handler_signs_in_finds_the_complaint_signs_for_it_and_signs_out(
    page: Any, site: Site
) -> None:
    sign_in(page, site, "handler-housing")
    rows = page.locator("#queue tbody tr")
    assert rows.count() == 1
    assert "工地夜间施工噪音" in rows.first.inner_text()
    rows.first.locator("a").first.click()
    page.wait_for_url(f"{site.url}/staff/complaints/{site.complaint_id}")

    page.click("details.action:has(form[data-action=receive]) summary")
    page.click("form[data-action=receive] button[type=submit]")
    page.wait_for_url(f"**/staff/complaints/{site.complaint_id}?done=receive")
    assert "已完成：签收" in page.inner_text("main")
    assert "已签收" in page.inner_text("h1")
    assert "签收" in page.inner_text("#timeline")

    page.click("button:has-text('退出')")
    page.wait_for_url(f"{site.url}/staff/login")
    page.goto(f"{site.url}/staff/queue")
    assert "/staff/login" in page.url


def test_the_handling_units_page_never_shows_the_complainants_name(page: Any, site: Site) -> None:
    sign_in(page, site, "head-housing")
    page.goto(f"{site.url}/staff/complaints/{site.complaint_id}")
    text = page.inner_text("body")
    assert "群众反映工地夜间施工噪音" in text
    assert "王小明" not in text and "王**" not in text and "13812345670" not in text
    assert "依规保密" in page.inner_text("#complainant")
    page.screenshot(path=str(screenshot_dir() / "staff_complaint_unit.png"), full_page=True)


def test_the_centre_sees_the_masked_complainant_and_can_switch_to_english(
    page: Any, site: Site
) -> None:
    sign_in(page, site, "dispatcher")
    assert page.locator("#queue tbody tr").count() == 3
    page.goto(f"{site.url}/staff/complaints/{site.complaint_id}")
    assert "王**" in page.inner_text("#complainant")
    page.click("a.lang")
    assert "Timeline" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir() / "staff_complaint_centre_en.png"), full_page=True)
    page.goto(f"{site.url}/staff/queue")
    assert "Queue" in page.inner_text("h1")  # the language is remembered
