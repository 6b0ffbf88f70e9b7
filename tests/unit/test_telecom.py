"""The level-1 matcher, account interpretation, importers and metrics (no database)."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction

import pytest

from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.telecom import importers
from complaintdesk.telecom.diagnosis import (
    AccountSystem,
    Alarm,
    BlindSpot,
    CauseClass,
    LookupOutcome,
    Phenomenon,
    Script,
    TelecomCase,
    assess_account,
    check_template,
    classify_phenomena,
    match_level1,
)
from complaintdesk.telecom.rates import PreprocessingMetrics

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)


def diagnose(case: TelecomCase, **sources: object) -> list[CauseClass]:
    found = match_level1(
        case,
        alarms=sources.get("alarms", []),  # type: ignore[arg-type]
        blind_spots=sources.get("blind_spots", []),  # type: ignore[arg-type]
        scripts=sources.get("scripts", []),  # type: ignore[arg-type]
        account=sources.get("account", []),  # type: ignore[arg-type]
        now=NOW,
    )
    return [f.cause for f in found.findings]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A7县碧桂园天玺湾6栋，2年来一直没有手机信号", [Phenomenon.NO_SIGNAL]),
        ("A9市普迹镇五丰村塘积组通讯信号差，手机通话成问题", [Phenomenon.WEAK_SIGNAL]),
        ("校园网掉线率高、网速慢", [Phenomenon.SLOW_DATA, Phenomenon.NO_DATA]),
        ("通话中断，而且有杂音", [Phenomenon.DROPPED_CALLS, Phenomenon.POOR_VOICE]),
        ("小区宽带被电信垄断", []),
    ],
)
def test_it_names_the_phenomena_real_messages_describe(
    text: str, expected: list[Phenomenon]
) -> None:
    assert classify_phenomena(text) == expected


def test_an_alarm_explains_complaints_only_in_its_areas_and_while_active() -> None:
    alarm = Alarm(
        1,
        "一号站",
        ("A3区白鹭郡",),
        ("cell-7",),
        NOW - timedelta(hours=2),
        NOW + timedelta(hours=3),
    )
    inside = TelecomCase("没有信号", area="A3区白鹭郡5栋")
    assert diagnose(inside, alarms=[alarm]) == [CauseClass.EQUIPMENT_FAULT]
    assert diagnose(TelecomCase("没有信号", area="A4区"), alarms=[alarm]) == []
    assert diagnose(TelecomCase("没有信号", cell="cell-7"), alarms=[alarm]) == [
        CauseClass.EQUIPMENT_FAULT
    ]
    # No area field: the place is read from the text.
    assert diagnose(TelecomCase("A3区白鹭郡没有信号"), alarms=[alarm]) == [
        CauseClass.EQUIPMENT_FAULT
    ]
    cleared = Alarm(
        2, "二号站", ("A3区白鹭郡",), (), NOW - timedelta(days=2), None, NOW - timedelta(days=1)
    )
    assert diagnose(inside, alarms=[cleared]) == []
    earlier = TelecomCase(
        "没有信号", area="A3区白鹭郡", occurred_at=NOW - timedelta(days=1, hours=12)
    )
    assert diagnose(earlier, alarms=[cleared]) == [CauseClass.EQUIPMENT_FAULT]


def test_a_blind_spot_polygon_contains_the_complainants_location() -> None:
    spot = BlindSpot(1, "腰坝组", ("E8县菱角村",), polygon=((0, 0), (2, 0), (2, 2), (0, 2)))
    assert diagnose(TelecomCase("信号差", location=(1, 1)), blind_spots=[spot]) == [
        CauseClass.BLIND_SPOT
    ]
    assert diagnose(TelecomCase("信号差", location=(3, 1)), blind_spots=[spot]) == []


def test_a_script_for_one_os_does_not_fit_another() -> None:
    script = Script(1, "iOS", "更新运营商设置", "请更新{model}", (Phenomenon.NO_DATA,), os="iOS")
    ios = TelecomCase("无法上网", handset_model="iPhone 13", os="iOS 17")
    android = TelecomCase("无法上网", handset_model="Mate 60", os="HarmonyOS")
    assert diagnose(ios, scripts=[script]) == [CauseClass.TERMINAL_USAGE]
    assert diagnose(android, scripts=[script]) == []


def test_account_problems_come_first_and_data_only_problems_need_a_data_symptom() -> None:
    arrears = assess_account(AccountSystem.CRM, {"status": "arrears"})
    no_data = assess_account(AccountSystem.AAA, {"data_enabled": False})
    alarm = Alarm(1, "站", ("A3区",), (), NOW - timedelta(hours=1))
    case = TelecomCase("打不了电话", area="A3区")
    assert diagnose(case, alarms=[alarm], account=[arrears, no_data]) == [
        CauseClass.ACCOUNT,
        CauseClass.EQUIPMENT_FAULT,
    ]
    assert diagnose(TelecomCase("无法上网"), account=[no_data]) == [CauseClass.ACCOUNT]


@pytest.mark.parametrize(
    ("system", "payload"),
    [
        (AccountSystem.CRM, {}),
        (AccountSystem.CRM, {"status": "something new"}),
        (AccountSystem.PREPAID, {"balance_yuan": "lots"}),
        (AccountSystem.AAA, {"data_enabled": "yes"}),
        (AccountSystem.HLR, {"barring": "all"}),
        (AccountSystem.HLR, None),
    ],
)
def test_an_answer_it_cannot_read_is_unknown_not_fine(
    system: AccountSystem, payload: dict[str, object] | None
) -> None:
    assert assess_account(system, payload).outcome is LookupOutcome.UNKNOWN


def test_templates_with_unknown_placeholders_are_refused() -> None:
    assert check_template("请更新{model}") == "请更新{model}"
    with pytest.raises(InvalidInput, match="unknown placeholders"):
        check_template("您好{name}")


def test_success_rate_and_dispatch_accuracy_follow_the_source_formulas() -> None:
    # 30 tickets: 15 resolved at level 1, 4 at level 2, 11 to branches — 9 network quality,
    # 1 not, 1 still without a verdict (which counts as received, SPEC §7).
    m = PreprocessingMetrics(
        total=30, level1=15, level2=4, to_branch=11, branch_judged=10, branch_network_quality=9
    )
    assert m.success_rate == Fraction(19, 30)
    assert m.dispatch_accuracy == Fraction(9, 11)  # not 9 / 10
    assert m.branch_pending == 1
    assert PreprocessingMetrics(0, 0, 0, 0, 0, 0).success_rate is None


def test_an_alarm_file_row_without_a_start_is_refused_with_its_row_number() -> None:
    data = "编号,站点,影响区域,开始时间\nA-1,一号站,A1区、A2区,2026-11-30 08:00\nA-2,二号站,A3区,\n"
    rows = importers.read_rows(data.encode(), "alarms.csv")
    with pytest.raises(InvalidInput, match="第3行"):
        importers.parse_all(rows, importers.alarm_from_row)
    external_id, alarm = importers.alarm_from_row(rows[0])
    assert external_id == "A-1" and alarm.areas == ("A1区", "A2区")
    assert alarm.started_at == datetime(2026, 11, 30, 8, 0, tzinfo=SHANGHAI)


def test_scripts_read_from_excel_with_chinese_headers() -> None:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["脚本编号", "脚本名称", "投诉现象", "解释口径", "短信模板", "操作系统"])
    sheet.append(["S-1", "APN", "无法上网;网速慢", "APN设置错误", "请设置APN", "Android"])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = importers.read_rows(buffer.getvalue(), "scripts.xlsx")
    ((external_id, script),) = importers.parse_all(rows, importers.script_from_row)
    assert external_id == "S-1"
    assert script.phenomena == (Phenomenon.NO_DATA, Phenomenon.SLOW_DATA)
    assert script.os == "Android"
