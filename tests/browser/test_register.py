"""The operator registers a phone complaint in Chromium: the suggestion panel fills in while
typing, a group gets 3 representatives and the 4th is refused, save and accept."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.intake.tables import RepresentativeRow
from complaintdesk.triage.facade import ModelTriage
from complaintdesk.triage.model import RoutingModel, TrainConfig
from tests.browser.conftest import Site, screenshot_dir

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parents[2] / "../shared/data/teddycup2020c/fj2_raw_subset_2763.csv"
FAST = TrainConfig(calibration_folds=2, max_char_features=40_000, max_word_features=20_000)
CONTENT = (
    "我是西州市东湖小区居民王小明。11月20日起解放路工地每天夜间施工到凌晨，噪音扰民。"
    "我打电话到住建局，张科长推诿扯皮，一拖再拖，至今没有人处理。<b>请核查</b>"
)


def small_model() -> RoutingModel:
    """A real routing model from 40 real messages per label (a few seconds on CPU)."""
    if not DATA.is_file():
        pytest.skip(f"real data not found at {DATA}")
    per_label: dict[str, list[str]] = {}
    with DATA.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            texts = per_label.setdefault(row["一级标签"], [])
            if len(texts) < 40:
                texts.append(row["text"])
    texts = [t for items in per_label.values() for t in items]
    labels = [label for label, items in per_label.items() for _ in items]
    return RoutingModel.train(texts, labels, FAST)


def open_register(page: Any, site: Site) -> None:
    page.goto(f"{site.url}/staff/register")
    if "/staff/login" in page.url:
        page.fill("#username", "operator")
        page.fill("#password", "demo12345")
        page.click("button[type=submit]")
        page.wait_for_url(f"{site.url}/staff/register")
    page.wait_for_selector("#register-form")


def test_without_a_routing_model_the_panel_offers_rule_suggestions_only(
    page: Any, site: Site
) -> None:
    site.container.__dict__["triage"] = ModelTriage(None)
    open_register(page, site)
    page.fill("#content", "小区物业公司乱收停车费，开发商也不管。")
    page.wait_for_selector("#sg-no-model:not([hidden])")
    assert "规则建议" in page.inner_text("#sg-no-model")
    assert page.locator("#sg-routing-list li").count() == 0
    # Out of scope: the competent authority, and buttons that prefill the decision.
    assert "不属于受理范围" in page.inner_text("#sg-scope")
    page.click("#sg-use-reject")
    assert page.is_checked("input[name=decision][value=reject]")
    assert page.input_value("#reject_authority")
    assert page.input_value("#reject_explanation")
    assert page.is_visible("#reject_explanation")
    # Or hand it over to the functional department (SPEC §2): the same prefill.
    page.click("#sg-use-handover")
    assert page.is_checked("input[name=decision][value=hand_over]")
    assert page.input_value("#handover_department") == page.input_value("#reject_authority")


def test_the_operator_registers_a_phone_call_with_suggestions_and_a_group_of_three(
    page: Any, site: Site
) -> None:
    site.container.__dict__["triage"] = ModelTriage(small_model(), threshold=0.35)
    open_register(page, site)
    assert page.is_checked("input[name=channel][value=phone]")
    page.fill("#name", "王小明")
    page.fill("#phone", "13812345670")  # called before: the seed's first complaint
    page.fill("#title", "工地夜间施工噪音扰民，住建局推诿扯皮")
    page.fill("#complained_unit_name", "住建局")
    page.locator("#content").press_sequentially(CONTENT[:40], delay=5)
    page.fill("#content", CONTENT)

    page.wait_for_selector("#sg-routing-list li")
    bars = page.locator("#sg-routing-list li")
    assert 1 <= bars.count() <= 3
    assert re.search(r"\d+%", bars.first.inner_text())
    assert page.is_hidden("#sg-no-model")
    assert "属于受理范围" in page.inner_text("#sg-scope")
    assert "一拖再拖" in page.inner_text("#sg-scope")
    assert page.locator("#sg-preview mark").count() >= 2
    assert page.locator("#sg-preview b").count() == 0  # typed markup stays text
    assert "<b>请核查</b>" in page.inner_text("#sg-preview")
    page.wait_for_selector("#sg-earlier-list a")
    earlier = page.locator("#sg-earlier-list a").first
    assert re.fullmatch(r"/staff/complaints/\d+", earlier.get_attribute("href") or "")

    page.check("#is_group")
    page.fill("#member_count", "30")
    rows = page.locator("#rep-rows .rep-row")
    assert rows.count() == 1
    for n, name in enumerate(["张一", "张二", "张三"]):
        if n:
            page.click("#rep-add")
        rows.nth(n).locator("input[name=rep_name]").fill(name)
        rows.nth(n).locator("input[name=rep_phone]").fill(f"1390000000{n + 1}")
    page.click("#rep-add")  # the 4th
    assert rows.count() == 3
    assert page.is_visible("#rep-limit")
    assert "最多推选3名代表" in page.inner_text("#rep-limit")

    page.screenshot(path=str(screenshot_dir() / "register_1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir() / "register_390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    assert page.is_checked("input[name=decision][value=accept]")
    page.click("#save")
    page.wait_for_url(re.compile(r".*/staff/complaints/\d+$"))
    notice = page.inner_text("main")
    match = re.search(r"已登记并受理：受理编号 (TS\d{8}-\d{6})，查询码 \w+", notice)
    assert match, notice
    with site.container.uow() as uow:
        row = uow.session.scalar(select(ComplaintRow).where(ComplaintRow.tracking_no == match[1]))
        assert row is not None and row.status == "accepted"
        reps = uow.session.scalars(
            select(RepresentativeRow.name)
            .where(RepresentativeRow.complaint_id == row.id)
            .order_by(RepresentativeRow.ordinal)
        ).all()
    assert list(reps) == ["张一", "张二", "张三"]


def test_a_refused_save_shows_the_error_next_to_the_field_and_keeps_the_call(
    page: Any, site: Site
) -> None:
    open_register(page, site)
    page.fill("#phone", "13812345679")
    page.fill("#content", "小区物业公司乱收停车费。")
    page.check("input[name=decision][value=reject] + span")
    assert page.is_visible("#reject_explanation")
    page.fill("#reject_authority", "市场监督管理部门")
    page.click("#save")
    page.wait_for_selector("#err-reject_explanation")
    assert page.inner_text("#err-reject_explanation").startswith("请填写不予受理说明")
    assert page.input_value("#content") == "小区物业公司乱收停车费。"
    assert page.input_value("#reject_authority") == "市场监督管理部门"
    assert page.is_checked("input[name=decision][value=reject]")
    page.screenshot(path=str(screenshot_dir() / "register_error_1280.png"), full_page=True)
