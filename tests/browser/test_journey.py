"""One phone complaint across every desk, in Chromium, each step by the person whose job it is:
the operator registers it with the suggestions in view, the leader signs off, the dispatcher
dispatches, the housing bureau signs for it and replies, the callback auditor calls back and
the case closes. Nobody opens the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from complaintdesk.triage.facade import ModelTriage
from tests.browser.conftest import Site, screenshot_dir
from tests.browser.test_register import small_model

pytestmark = pytest.mark.browser

CONTENT = (
    "我是东湖小区居民赵建华。西州住建局不动产登记窗口办理房产证，材料齐全却一拖再拖，"
    "三个月没有结果，工作人员推诿扯皮，让我找开发商。"
)


@pytest.fixture
def desk(browser: Any, site: Site) -> Iterator[Any]:
    """A fresh browser per person: each signs in with their own session."""
    contexts: list[Any] = []

    def sign_in(username: str, target: str) -> Any:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{site.url}/staff/login?next={target}")
        page.fill("#username", username)
        page.fill("#password", "demo12345")
        page.click("button[type=submit]")
        page.wait_for_url(f"{site.url}{target}")
        return page

    try:
        yield sign_in
    finally:
        for context in contexts:
            context.close()


def test_a_phone_complaint_goes_from_the_call_to_closed_through_every_desk(
    desk: Any, site: Site
) -> None:
    site.container.__dict__["triage"] = ModelTriage(small_model(), threshold=0.35)

    # 1. The operator takes the call and sees where it should go before saving.
    operator = desk("operator", "/staff/register")
    operator.fill("#name", "赵建华")
    operator.fill("#phone", "13700001234")
    operator.fill("#title", "不动产登记窗口一拖再拖")
    operator.fill("#complained_unit_name", "西州住房和城乡建设局")
    operator.fill("#content", CONTENT)
    operator.wait_for_selector("#sg-routing-list li")
    assert "属于受理范围" in operator.inner_text("#sg-scope")
    operator.click("#save")
    operator.wait_for_url(re.compile(r".*/staff/complaints/\d+$"))
    match = re.search(r"受理编号 (TS\d{8}-\d{6})", operator.inner_text("main"))
    assert match, operator.inner_text("main")
    cid = int(operator.url.rsplit("/", 1)[1])
    dispatch_page = f"/staff/complaints/{cid}/dispatch"

    # 2. The leader finds it on the home and signs off the transfer to the housing bureau.
    leader = desk("leader", "/staff/home")
    assert match[1] in leader.inner_text("main")
    leader.goto(f"{site.url}{dispatch_page}")
    leader.check("#sign-off-form input[name=mode][value=transfer]")
    leader.fill("#signoff-unit-search", "西州住房和城乡建设局")
    leader.keyboard.press("ArrowDown")
    leader.keyboard.press("Enter")
    leader.fill("#signoff-opinion", "同意转住建局办理")
    leader.click("#sign-off-submit")
    leader.wait_for_url(f"**{dispatch_page}?done=sign_off")

    # 3. The dispatcher dispatches it with a summary that names nobody.
    dispatcher = desk("dispatcher", dispatch_page)
    assert "已签批" in dispatcher.inner_text("#decision")
    summary = dispatcher.input_value("#dispatch-summary")
    assert "赵建华" not in summary and "13700001234" not in summary
    dispatcher.fill("#dispatch-summary", "群众反映不动产登记窗口办证一拖再拖，请核查并答复。")
    dispatcher.click("#dispatch-submit")
    dispatcher.wait_for_url("**/staff/dispatch?done=*")

    # 4. The housing bureau signs for it, works it and replies; it never sees who called.
    handler = desk("handler-housing", "/staff/home")
    assert match[1] in handler.inner_text("main")
    handler.goto(f"{site.url}/staff/complaints/{cid}/handle")
    assert "赵建华" not in handler.inner_text("body")
    assert "13700001234" not in handler.inner_text("body")
    for action in ("receive", "start_handling"):
        handler.click(f"form[data-action={action}] button[type=submit]")
        handler.wait_for_url(f"**/handle?done={action}")
    handler.fill("#reply", "经核查，材料已补正受理，房产证将于5个工作日内发放。")
    handler.select_option("#channel", "phone")
    handler.click("form[data-action=reply] button[type=submit]")
    handler.wait_for_url("**/handle?done=reply")

    # 5. The callback auditor calls back: solved and satisfied, and the case closes.
    callback = desk("callback", "/staff/callbacks")
    callback.locator(f"#queue tbody tr[data-id='{cid}'] a").first.click()
    callback.wait_for_url(f"{site.url}/staff/complaints/{cid}/callback")
    assert "房产证将于5个工作日内发放" in callback.inner_text("#reply-given")
    callback.check("input[name=outcome][value=satisfied]")
    callback.click("#callback-form button[type=submit]")
    callback.wait_for_url("**/callback?done=record_callback")

    callback.goto(f"{site.url}/staff/complaints/{cid}")
    assert "已办结" in callback.inner_text("h1")
    timeline = callback.inner_text("#timeline")
    steps = ["登记", "受理", "领导签批", "派单", "签收", "开始办理", "答复", "回访", "办结"]
    positions = [timeline.find(step) for step in steps]
    assert all(p >= 0 for p in positions), timeline
    callback.screenshot(path=str(screenshot_dir() / "journey_closed_1280.png"), full_page=True)
