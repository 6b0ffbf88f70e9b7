"""A member of the public files a complaint without signing in and follows its progress."""

from __future__ import annotations

from typing import Any

import pytest

from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.vocabulary import Action, DispatchMode
from complaintdesk.org import auth
from tests.browser.conftest import Site

pytestmark = pytest.mark.browser


def file_through_the_form(page: Any, site: Site) -> tuple[str, str]:
    page.goto(f"{site.url}/public/complaint")
    page.fill("#title", "办证窗口工作人员推诿扯皮")
    page.fill(
        "#content",
        "本人赵大年多次到区政务大厅办理营业执照，窗口工作人员互相推诿，"
        "要求反复补交材料，拖了两个月仍未办结。",
    )
    page.fill("#complained_unit_name", "西州市场监督管理局")
    page.fill("#name", "赵大年")
    page.fill("#phone", "13700001234")
    page.click("#submit")
    page.wait_for_selector("#tracking-no")
    return page.inner_text("#tracking-no"), page.inner_text("#query-code")


def test_a_citizen_files_a_complaint_and_sees_its_progress(page: Any, site: Site) -> None:
    tracking_no, query_code = file_through_the_form(page, site)
    assert tracking_no.startswith("TS")
    assert len(query_code) == 8

    # Staff take it on and hand it to a bureau, with an internal note on the way.
    container = site.container
    now = container.clock.now()
    with container.uow() as uow:
        row = svc.find_by_query_code(uow, tracking_no, query_code)
        operator = auth.actor_for(uow, uow.users.by_username("operator"))  # type: ignore[arg-type]
        leader = auth.actor_for(uow, uow.users.by_username("leader"))  # type: ignore[arg-type]
        market = uow.units.by_code("market")
        assert market is not None
        svc.perform(
            uow,
            operator,
            row.id,
            command_for(Action.ACCEPT, {}),
            now=now,
            calendar=container.calendar,
        )
        svc.perform(
            uow,
            operator,
            row.id,
            command_for(Action.ADD_NOTE, {"note": "内部备注：该窗口本月已被投诉三次"}),
            now=now,
            calendar=container.calendar,
        )
        handling.sign_off(
            uow,
            leader,
            row.id,
            mode=DispatchMode.TRANSFER,
            unit_id=market.id,
            opinion="同意转办",
            now=now,
            calendar=container.calendar,
        )
        svc.perform(
            uow,
            leader,
            row.id,
            command_for(
                Action.DISPATCH,
                {"unit_id": market.id, "mode": "transfer", "summary": "窗口推诿，请核查。"},
            ),
            now=now,
            calendar=container.calendar,
        )

    page.goto(f"{site.url}/public/status")
    page.fill("#tracking_no", tracking_no)
    page.fill("#query_code", query_code.lower())
    page.click("form[action='/public/status'] button[type=submit]")
    progress = page.inner_text("#progress")
    assert "已派单" in progress
    assert "受理" in progress and "派单" in progress
    # Never internal notes or the names of the people handling it.
    assert "内部备注" not in progress
    assert "张伟" not in progress and "王芳" not in progress


def test_a_wrong_query_code_shows_nothing(page: Any, site: Site) -> None:
    tracking_no, _code = file_through_the_form(page, site)
    page.goto(f"{site.url}/public/status")
    page.fill("#tracking_no", tracking_no)
    page.fill("#query_code", "WRONG234")
    page.click("form[action='/public/status'] button[type=submit]")
    assert "查询码不正确" in page.inner_text("#status-error")
    assert page.locator("#progress").count() == 0


def test_an_empty_complaint_is_refused_with_a_message(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/public/complaint")
    page.fill("#content", "   ")
    page.evaluate("document.getElementById('content').removeAttribute('required')")
    page.click("#submit")
    assert "不能为空" in page.inner_text("#form-error")
