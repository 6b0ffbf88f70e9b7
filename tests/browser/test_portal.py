"""A citizen arrives at the root of the site and finds their way; staff find the sign-in."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Site, screenshot_dir

pytestmark = pytest.mark.browser


def test_the_root_is_a_portal_that_leads_to_filing_progress_cases_and_sign_in(
    page: Any, site: Site
) -> None:
    reply = page.goto(f"{site.url}/")
    assert reply.status == 200
    assert page.inner_text("#portal-title") == "西州机关效能投诉中心"
    for link, target in [
        ("#go-file", "/public/complaint"),
        ("#go-status", "/public/status"),
        ("#go-cases", "/public/cases"),
        ("#go-staff", "/staff/login"),
    ]:
        assert page.get_attribute(link, "href") == target
    assert "10 个工作日" in page.inner_text("main")
    page.screenshot(path=str(screenshot_dir() / "portal_1280.png"), full_page=True)

    page.click("#go-file")
    page.wait_for_selector("#content")
    page.go_back()
    page.click("#go-staff")
    page.wait_for_selector("input[name=username]")

    # English, and a phone-sized screen: the four ways in stack, nothing runs off the side.
    page.goto(f"{site.url}/?lang=en")
    assert "File a complaint" in page.inner_text("#go-file")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site.url}/")
    boxes = [page.locator(s).bounding_box() for s in ("#go-file", "#go-status")]
    assert boxes[0]["y"] + boxes[0]["height"] <= boxes[1]["y"]  # one under the other
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir() / "portal_390_en.png"), full_page=True)
