"""The dispatch pages in headless Chromium: the dispatcher picks a unit in the tree by
typing, edits the summary and dispatches; bulk-dispatches two; the leader signs off on the
dispatch page itself."""

from __future__ import annotations

from typing import Any

import pytest

from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.vocabulary import Action, DispatchMode
from complaintdesk.org import auth
from complaintdesk.triage.facade import FakeTriage
from tests.browser.conftest import Site, screenshot_dir

pytestmark = pytest.mark.browser


# Suggestions as a routing model would make them (the browser site has no model file).
TRIAGE = FakeTriage(
    routes={"不动产": "城乡建设", "窗口": "商贸旅游", "学校": "教育文体", "社保": "劳动和社会保障"},
    confidence=0.82,
)


def sign_in(page: Any, site: Site, username: str, target: str) -> None:
    page.goto(f"{site.url}/staff/login?next={target}")
    page.fill("#username", username)
    page.fill("#password", "demo12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}{target}")


def accepted(site: Site, title: str, *, signed_off: bool) -> int:
    """A phone complaint accepted at the centre, signed off for a transfer or not yet."""
    container = site.container
    now = container.clock.now()
    with container.uow() as uow:
        operator = auth.actor_for(uow, uow.users.by_username("operator"))  # type: ignore[arg-type]
        leader = auth.actor_for(uow, uow.users.by_username("leader"))  # type: ignore[arg-type]
        filed = svc.file_complaint(
            uow,
            svc.FileComplaint(
                title=title,
                content=f"我是李建国，电话13900001111，{title}，窗口工作人员一再推诿。",
                complainant=svc.NewComplainant(name="李建国", phone="13900001111"),
            ),
            actor=operator,
            now=now,
            calendar=container.calendar,
            triage=TRIAGE,
        )
        svc.perform(
            uow,
            operator,
            filed.id,
            command_for(Action.ACCEPT, {}),
            now=now,
            calendar=container.calendar,
        )
        if signed_off:
            handling.sign_off(
                uow,
                leader,
                filed.id,
                mode=DispatchMode.TRANSFER,
                unit_id=None,
                opinion="同意转办",
                now=now,
                calendar=container.calendar,
            )
    return filed.id


def unit_id(site: Site, code: str) -> int:
    with site.container.uow() as uow:
        unit = uow.units.by_code(code)
        assert unit is not None
        return unit.id


def test_the_dispatcher_picks_a_unit_by_typing_edits_the_summary_and_dispatches(
    page: Any, site: Site
) -> None:
    cid = accepted(site, "不动产登记窗口推诿扯皮", signed_off=True)
    housing, resources = unit_id(site, "housing"), unit_id(site, "resources")
    target = f"/staff/complaints/{cid}/dispatch"
    sign_in(page, site, "dispatcher", target)
    assert "已签批" in page.inner_text("#decision")
    assert "城乡建设" in page.inner_text("#triage") and "82%" in page.inner_text("#triage")
    summary = page.input_value("#dispatch-summary")
    assert "不动产登记窗口推诿扯皮" in summary
    assert "李建国" not in summary and "13900001111" not in summary
    # The form starts at the suggested bureau; the dispatcher knows better and types.
    assert page.input_value("#dispatch-unit") == str(housing)

    page.fill("#dispatch-unit-search", "自然资源")
    tree = page.locator("#dispatch-unit-tree li:not([hidden]) button")
    names = tree.all_inner_texts()
    assert any("西州自然资源局" in n for n in names)
    assert not any("住房和城乡建设局" in n for n in names)  # filtered out as you type
    page.click(f"#dispatch-unit-tree button[data-id='{resources}']")
    assert page.input_value("#dispatch-unit") == str(resources)
    assert "西州自然资源局" in page.inner_text("#dispatch .unit-chosen")

    page.fill("#dispatch-summary", "群众反映不动产登记窗口推诿扯皮，请核查并十日内答复。")
    page.screenshot(path=str(screenshot_dir() / "dispatch_1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir() / "dispatch_390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.click("#dispatch-submit")
    page.wait_for_url("**/staff/dispatch?done=*")
    assert "已派单" in page.inner_text("main")
    assert page.locator(f"#dispatch-queue tr[data-id='{cid}']").count() == 0
    with site.container.uow() as uow:
        row = uow.complaints.row(cid)
        assert (row.status, row.handling_unit_id) == ("dispatched", resources)
        assert row.summary == "群众反映不动产登记窗口推诿扯皮，请核查并十日内答复。"


def test_the_dispatcher_bulk_dispatches_two_ticked_complaints(page: Any, site: Site) -> None:
    ids = [accepted(site, f"学校收费不透明第{n}件", signed_off=True) for n in (1, 2)]
    sign_in(page, site, "dispatcher", "/staff/dispatch")
    for cid in ids:
        page.check(f"#dispatch-queue tr[data-id='{cid}'] input[name=pick]")
    assert page.inner_text("#bulk-selected") == "2"
    page.fill("#bulk-unit-search", "教育")
    page.click(f"#bulk-unit-tree button[data-id='{unit_id(site, 'education')}']")
    page.select_option("#bulk-mode", "transfer")
    page.screenshot(path=str(screenshot_dir() / "dispatch_queue_1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir() / "dispatch_queue_390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.click("#bulk-submit")
    page.wait_for_selector("#bulk-results")
    for cid in ids:
        row = page.locator(f"#bulk-results tr[data-id='{cid}']")
        assert "已派出" in row.inner_text()
    assert "2 / 2" in page.inner_text("#bulk-results h2")


def test_the_leader_signs_off_on_the_dispatch_page(page: Any, site: Site) -> None:
    cid = accepted(site, "社保窗口办事拖延", signed_off=False)
    hrss = unit_id(site, "hrss")
    target = f"/staff/complaints/{cid}/dispatch"
    sign_in(page, site, "leader", target)
    assert "等待领导签批" in page.inner_text("#decision")
    page.check("#sign-off-form input[name=mode][value=transfer]")
    page.fill("#signoff-unit-search", "人力资源")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # picks the unit, does not submit the form
    assert page.input_value("#signoff-unit") == str(hrss)
    page.fill("#signoff-opinion", "同意转人社局办理")
    page.screenshot(path=str(screenshot_dir() / "dispatch_leader_1280.png"), full_page=True)
    page.click("#sign-off-submit")
    page.wait_for_url(f"**{target}?done=sign_off")
    assert "已签批" in page.inner_text("#decision")
    assert "西州人力资源和社会保障局" in page.inner_text("#decision")
    assert "领导签批" in page.inner_text("#history")
