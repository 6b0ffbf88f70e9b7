"""The handling and callback pages in headless Chromium: the housing bureau's handler signs
for a transferred complaint and works it to a reply; the callback auditor calls back, finds
it unsolved and reopens it, seeing what that costs the unit."""

from __future__ import annotations

from typing import Any

import pytest

from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.handling_info import reopen_cost
from complaintdesk.complaints.vocabulary import Action
from complaintdesk.org import auth
from tests.browser.conftest import Site, screenshot_dir

pytestmark = pytest.mark.browser


def sign_in(page: Any, site: Site, username: str, target: str) -> None:
    page.goto(f"{site.url}{target}")
    assert "/staff/login" in page.url
    page.fill("#username", username)
    page.fill("#password", "demo12345")
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.url}{target}")


def both_widths(page: Any, name: str) -> None:
    page.screenshot(path=str(screenshot_dir() / f"{name}_1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir() / f"{name}_390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def replied_complaint(site: Site) -> int:
    """The seeded transfer to the housing bureau, worked to a reply through the use cases."""
    container = site.container
    cid = site.complaint_id
    with container.uow() as uow:
        head = auth.actor_for(uow, uow.users.by_username("head-housing"))  # type: ignore[arg-type]
        status = uow.complaints.row(cid).status
        steps: list[tuple[Action, dict[str, Any]]] = []
        if status == "dispatched":
            steps.append((Action.RECEIVE, {}))
            status = "received"
        if status == "received":
            steps.append((Action.START_HANDLING, {}))
            status = "in_progress"
        if status == "in_progress":
            steps.append((Action.REPLY, {"reply": "已责令施工单位夜间停工。", "channel": "phone"}))
        for action, body in steps:
            svc.perform(
                uow,
                head,
                cid,
                command_for(action, body),
                now=container.clock.now(),
                calendar=container.calendar,
            )
    return cid


def test_the_housing_handler_works_a_complaint_from_sign_for_to_reply(
    page: Any, site: Site
) -> None:
    sign_in(page, site, "handler-housing", "/staff/handling")
    assert "待签收" in page.inner_text("#tabs")
    rows = page.locator("#queue tbody tr")
    assert rows.count() == 1 and "工地夜间施工噪音" in rows.first.inner_text()
    assert rows.first.locator(".due").count() == 1  # working days left, from the clock
    page.screenshot(path=str(screenshot_dir() / "handling_list_1280.png"), full_page=True)
    rows.first.locator("a").first.click()
    page.wait_for_url(f"{site.url}/staff/complaints/{site.complaint_id}/handle")
    assert "依规保密" in page.inner_text("#complainant")
    assert "群众反映工地夜间施工噪音" in page.inner_text("#summary")
    assert "王小明" not in page.inner_text("body") and "1381234567" not in page.inner_text("body")

    page.click("form[data-action=receive] button[type=submit]")
    page.wait_for_url("**/handle?done=receive")
    assert "已完成：签收" in page.inner_text("main")
    page.click("form[data-action=start_handling] button[type=submit]")
    page.wait_for_url("**/handle?done=start_handling")

    page.fill("#note", "已联系施工单位负责人，约定现场核查。")
    page.click("form[data-action=add_note] button[type=submit]")
    page.wait_for_url("**/handle?done=add_note")
    assert "约定现场核查" in page.inner_text("#timeline")

    page.check("input[name=finding][value=substantiated]")
    page.fill("#facts", "现场核查，施工单位夜间22点后仍有作业。")
    page.check("input[name=leniency][value=actively_remedied]")
    page.check("input[name=aggravating][value=passive]")
    page.click("form[data-action=record_findings] button[type=submit]")
    page.wait_for_url("**/handle?done=record_findings")

    # Beyond the ceiling: the page warns as the number is typed, the server refuses.
    ceiling = page.inner_text("#ceiling")
    page.fill("#working_days", "25")
    assert "最多还可延期20个工作日" in page.inner_text("#step-extension")
    page.fill("#extension-reason", "需协调城管联合执法")
    page.click("form[data-action=request_extension] button[type=submit]")
    error = page.locator("#step-extension .field-error[data-field=working_days]")
    assert "办理时限合计不得超过30个工作日" in error.inner_text()
    assert page.input_value("#extension-reason") == "需协调城管联合执法"
    assert page.inner_text("#ceiling") == ceiling

    page.fill("#reply", "经查属实，已责令施工单位夜间停工，并将加强巡查。")
    page.select_option("#channel", "phone")
    both_widths(page, "handle")
    page.click("form[data-action=reply] button[type=submit]")
    page.wait_for_url("**/handle?done=reply")
    assert "已答复" in page.inner_text("h1")
    assert page.locator("#step-report").count() == 1  # a transfer reports in writing


def test_the_callback_auditor_calls_back_and_an_unsolved_case_reopens_at_a_double_cost(
    page: Any, site: Site
) -> None:
    cid = replied_complaint(site)
    cost = reopen_cost()
    sign_in(page, site, "callback", "/staff/callbacks")
    row = page.locator(f"#queue tbody tr[data-id='{cid}']")
    assert "工地夜间施工噪音" in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_url(f"{site.url}/staff/complaints/{cid}/callback")
    assert "王**" in page.inner_text("#complainant")
    assert "夜间停工" in page.inner_text("#reply-given")
    script = page.inner_text("#script")
    assert "王先生/女士，您好" in script and "解决了吗" in script and "再见" in script

    page.check("input[name=outcome][value=unsatisfied]")
    page.check("#unsolved_and_true")
    deduction = page.locator("#deduction")
    assert "is-idle" not in (deduction.get_attribute("class") or "")
    assert f"{cost.multiplier} × {cost.per_case} = {cost.points}" in deduction.inner_text()
    page.fill("#callback-note", "投诉人称夜间仍在施工。")
    both_widths(page, "callback")
    page.click("#callback-form button[type=submit]")
    page.wait_for_url("**/callback?done=record_callback")
    assert "已重办" in page.inner_text("main")
    assert f"{cost.points} 分" in page.inner_text("main")
    assert "已重办" in page.inner_text("#last-result")


def test_the_leader_approves_an_extension_from_the_list(page: Any, site: Site) -> None:
    from complaintdesk.complaints import decisions
    from complaintdesk.complaints.vocabulary import DispatchMode

    container = site.container
    cid = site.complaint_id + 1  # the second seeded complaint: accepted, not yet dispatched
    now = container.clock.now()
    with container.uow() as uow:
        leader = auth.actor_for(uow, uow.users.by_username("leader"))  # type: ignore[arg-type]
        head = auth.actor_for(uow, uow.users.by_username("head-housing"))  # type: ignore[arg-type]
        housing = uow.units.get(head.unit_id)
        decisions.sign_off(
            uow,
            leader,
            cid,
            mode=DispatchMode.TRANSFER,
            unit_id=housing.id,
            opinion="同意",
            now=now,
            calendar=container.calendar,
        )
        for actor, action, body in [
            (
                leader,
                Action.DISPATCH,
                {"unit_id": housing.id, "mode": "transfer", "summary": "请核查。"},
            ),
            (head, Action.RECEIVE, {}),
            (head, Action.START_HANDLING, {}),
            (head, Action.REQUEST_EXTENSION, {"working_days": 5, "reason": "需多部门会商"}),
        ]:
            svc.perform(
                uow, actor, cid, command_for(action, body), now=now, calendar=container.calendar
            )
    sign_in(page, site, "leader", "/staff/extensions")
    row = page.locator(f".ext-row[data-id='{cid}']")
    assert "需多部门会商" in row.inner_text() and "申请延期 5 个工作日" in row.inner_text()
    both_widths(page, "extensions")
    row.locator("form[data-action=approve_extension] button").click()
    page.wait_for_url("**/staff/extensions?done=approve_extension")
    assert "已完成：批准延期" in page.inner_text("main")
    assert page.locator(f".ext-row[data-id='{cid}']").count() == 0
