"""Telecom demo (``complaintdesk demo --telecom``): a province customer-service centre,
city branches, alarms, blind spots, scripts, and a day of telecom complaints taken
through both pre-processing levels by the people who do each step.

Account look-ups run against the local stand-in server, started in-process for the
duration of the load and stopped afterwards. A few subscribers are set to fail (HTTP 503)
or answer too late, so the demo shows "unknown" look-ups going to level 2.
Places are those of real citizen messages about mobile coverage (Teddy Cup 2020 data).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.complaints.vocabulary import Action, Channel
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.demo.hotline import UserSpec, create_users
from complaintdesk.org import auth
from complaintdesk.org.model import Actor, Role, Unit, UnitKind, UnitLevel
from complaintdesk.telecom import importers
from complaintdesk.telecom import knowledge as kb
from complaintdesk.telecom import preprocessing as pre
from complaintdesk.telecom.diagnosis import CauseClass, PreprocessingMetrics
from complaintdesk.telecom.lookups import HttpAccountLookups
from complaintdesk.telecom.sms import SmsLimits
from complaintdesk.telecom.standin import parse_states, running
from complaintdesk.telecom.tables import TelecomScriptRow

BRANCHES = [("a", "A市"), ("b", "B市"), ("e", "E市")]
SPREAD = timedelta(days=10)
ALARM_WINDOW = timedelta(hours=24)
ARREARS_SCRIPT = "SC-L2-ARREARS"
USERS: list[UserSpec] = [
    ("tc-operator", "省客服中心话务员 孙丽", {Role.INTAKE_OPERATOR}, "tc-province"),
    ("tc-support", "省客户支撑中心值班长 周航", {Role.DISPATCHER, Role.LEADER}, "tc-province"),
    ("tc-callback", "省客服中心回访员 钱敏", {Role.CALLBACK_AUDITOR}, "tc-province"),
    ("tc-branch-a", "A市分公司网优 吴刚", {Role.HANDLER}, "tc-branch-a"),
    ("tc-branch-b", "B市分公司网优 郑涛", {Role.HANDLER}, "tc-branch-b"),
    ("tc-branch-e", "E市分公司网优 冯云", {Role.HANDLER}, "tc-branch-e"),
]


def build_telecom_org(uow: SqlUnitOfWork) -> dict[str, Unit]:
    """The province centre (root) and its city branches (UnitKind.BRANCH), with users."""
    root = uow.units.by_code("tc-province")
    if root is None:
        root = uow.units.add(
            code="tc-province",
            name="西地省电信客户服务中心",
            level=UnitLevel.PROVINCE,
            kind=UnitKind.CENTRE,
        )
        for code, city in BRANCHES:
            uow.units.add(
                code=f"tc-branch-{code}",
                name=f"西地电信{city}分公司",
                level=UnitLevel.PREFECTURE,
                kind=UnitKind.BRANCH,
                parent=root,
            )
    units = {u.code: u for u in uow.units.subtree(root)}
    if uow.users.by_username("tc-operator") is None:
        create_users(uow, USERS, units)
    return units


# --- knowledge (as rows, so the demo goes through the same importers as a CSV) ------


def knowledge_rows(now: datetime) -> dict[str, list[dict[str, Any]]]:
    def at(hours: float) -> str:
        return (now + timedelta(hours=hours)).isoformat()

    return {
        "alarms": [
            {
                "external_id": "ALM-A3-0712",
                "site": "A3区白鹭郡宏站",
                "areas": "A3区白鹭郡;A3区金科世界城",
                "cells": "460-11-330712-1;460-11-330712-2",
                "started_at": at(-30),
                "expected_recovery_at": at(6),
                "description": "传输中断 / transmission down",
                "branch": "tc-branch-a",
            },
            {
                "external_id": "ALM-B1-0230",
                "site": "B1区碧桂园站",
                "areas": "B1区碧桂园",
                "started_at": at(-26),
                "expected_recovery_at": at(2),
                "description": "市电停电，蓄电池耗尽 / mains power lost",
                "branch": "tc-branch-b",
            },
            {
                "external_id": "ALM-E2-0101",
                "site": "E2县城关站",
                "areas": "E2县城关镇",
                "started_at": at(-72),
                "cleared_at": at(-48),
                "description": "已恢复 / cleared",
            },
        ],
        "blind-spots": [
            {
                "external_id": "BS-A7-TXW",
                "name": "A7县碧桂园天玺湾地下车库及电梯",
                "areas": "A7县碧桂园天玺湾",
                "planned_fix": "室分系统已立项，预计下季度完工",
                "branch": "tc-branch-a",
            },
            {
                "external_id": "BS-A9-WF",
                "name": "A9市普迹镇五丰村塘积组",
                "areas": "A9市普迹镇五丰村",
                "planned_fix": "新建宏站已列入年度规划",
            },
            {
                "external_id": "BS-E8-LJ",
                "name": "E8县菱角村腰坝组",
                "areas": "E8县菱角村",
                "polygon": "113.101,28.201;113.112,28.201;113.112,28.212;113.101,28.212",
            },
        ],
        "scripts": [
            {
                "external_id": "SC-APN",
                "title": "数据开关或APN设置",
                "phenomena": "无法上网",
                "keywords": "流量开关;APN",
                "explanation": "多为手机数据开关关闭或APN设置错误，"
                "按短信指引检查即可恢复。/ mobile data switched off or a wrong APN.",
                "sms_template": "【自助服务】请在“设置-移动网络”中打开数据开关，"
                "APN选择ctnet后重启手机。"
                "/ Turn mobile data on, set APN to ctnet, restart.",
            },
            {
                "external_id": "SC-IOS",
                "title": "iOS升级后信号异常",
                "phenomena": "信号弱;无法上网",
                "keywords": "升级",
                "os": "iOS",
                "explanation": "iOS升级后运营商配置未更新，"
                "更新运营商设置后恢复。/ carrier settings outdated after an iOS update.",
                "sms_template": "【自助服务】您的{model}请在“设置-通用-关于本机”"
                "更新运营商设置后重启。"
                "/ Update carrier settings on your {model}, then restart.",
            },
            {
                "external_id": "SC-2G",
                "title": "终端不支持4G/VoLTE",
                "keywords": "老人机;2G手机",
                "explanation": "终端不支持4G/VoLTE，2G/3G退网后无法通话。/ the handset lacks 4G.",
                "sms_template": "【自助服务】您使用的终端不支持4G通话，可到营业厅办理换机优惠。"
                "/ Your handset lacks 4G calling; see a service hall for an upgrade offer.",
            },
            {
                # The support centre's level-2 template after a by-hand CRM check.
                "external_id": ARREARS_SCRIPT,
                "title": "人工核实欠费停机",
                "keywords": "欠费停机",
                "explanation": "人工核实CRM：号码欠费停机 / arrears confirmed by hand",
                "sms_template": "【预处理】您的号码因欠费停机（{tracking_no}），缴费后即可恢复。"
                "/ Suspended for arrears; service resumes once paid.",
            },
        ],
    }


def load_knowledge(container: Container, now: datetime) -> dict[str, int]:
    """Load the knowledge as the local CLI does, then have the support centre's duty head
    approve every script's SMS template (only approved templates are ever sent)."""
    loaded: dict[str, int] = {}
    root_code = container.settings.telecom_root_unit
    upserts: dict[str, Callable[..., kb.ImportResult]] = {
        "alarms": kb.upsert_alarms,
        "blind-spots": kb.upsert_blind_spots,
        "scripts": kb.upsert_scripts,
    }
    for kind, rows in knowledge_rows(now).items():
        items = importers.parse_all([importers.canonical(r) for r in rows], importers.PARSERS[kind])
        with container.uow() as uow:
            result = upserts[kind](uow, None, items, now, root_code=root_code)
        loaded[kind] = result.created + result.updated
    with container.uow() as uow:
        support = _actors(uow)["tc-support"]
        pending = uow.session.scalars(
            select(TelecomScriptRow.id).where(TelecomScriptRow.approved_at.is_(None))
        ).all()
    for script_id in pending:
        with container.uow() as uow:
            kb.approve_script(uow, support, script_id, root_code=root_code, now=now)
    return loaded


def _limits(container: Container) -> SmsLimits:
    return SmsLimits(
        per_complaint=container.settings.sms_per_complaint_per_day,
        per_number=container.settings.sms_per_number_per_day,
    )


# --- a day of complaints ------------------------------------------------------------

# (scenario, weight, area, text, handset, os, branch) — "truth" decides what the people
# downstream do: confirm level 1, resolve at level 2, or dispatch.
SCENARIOS: list[tuple[str, int, str, str, str, str, str]] = [
    ("alarm", 6, "A3区白鹭郡", "从昨天开始家里手机没有信号，打不了电话", "", "", "a"),
    ("alarm", 3, "B1区碧桂园", "小区今天信号很差，网速很慢", "", "", "b"),
    ("blind", 5, "A7县碧桂园天玺湾", "电梯里和地下车库一直没有手机信号", "", "", "a"),
    ("blind", 3, "A9市普迹镇五丰村塘积组", "村里通讯信号差，手机通话成问题", "", "", "a"),
    ("script", 4, "A1区五一大道", "手机突然无法上网，流量开关也不知道在哪", "", "", "a"),
    ("script", 3, "B2区", "手机升级系统后信号差，经常无法上网", "iPhone 13", "iOS 17", "b"),
    ("script", 2, "E1区", "家里老人用的老人机打不了电话", "", "", "e"),
    ("account", 4, "A4区伍家岭", "手机打不了电话也上不了网", "", "", "a"),
    ("account_unknown", 3, "E3县", "今天手机一直打不了电话", "", "", "e"),
    ("network", 3, "A5区高铁新城", "在家通话经常掉话，说着说着断了，有杂音", "", "", "a"),
    ("network", 2, "E5县城东新区", "最近信号不稳定，网速很慢", "", "", "e"),
    ("terminal_missed", 2, "B3区", "新买的手机通话有回声，听不清", "", "", "b"),
]


@dataclass
class TelecomDemoReport:
    units: int
    knowledge: dict[str, int]
    filed: int
    skipped: int
    outcomes: dict[str, int] = field(default_factory=dict)
    review_queue: int = 0
    metrics: PreprocessingMetrics | None = None


def _actors(uow: SqlUnitOfWork) -> dict[str, Actor]:
    out = {}
    for username, *_ in USERS:
        user = uow.users.by_username(username)
        assert user is not None
        out[username] = auth.actor_for(uow, user)
    return out


def account_states(count: int, scenarios: list[str]) -> dict[str, Any]:
    """Canned subscriber states for the stand-in: most fine, a few not, a few failing."""
    states: dict[str, dict[str, Any]] = {"crm": {}, "prepaid": {}, "aaa": {}, "hlr": {}}
    for i, scenario in enumerate(scenarios[:count]):
        msisdn = _msisdn(i)
        crm: dict[str, Any] = {"status": "active", "plan": "畅享套餐"}
        prepaid: dict[str, Any] = {"balance_yuan": 58.5}
        if scenario == "account":
            crm = {"status": "arrears", "plan": "畅享套餐"}
            prepaid = {"balance_yuan": -12.3}
        elif scenario == "account_unknown":
            crm = {"_http_status": 503}
            prepaid = {"_http_status": 503}
        states["crm"][msisdn] = crm
        states["prepaid"][msisdn] = prepaid
        states["aaa"][msisdn] = {"data_enabled": True, "last_auth_result": "accept"}
        states["hlr"][msisdn] = {"registered": True, "barring": [], "data_provisioned": True}
    return states


def _msisdn(i: int) -> str:
    return f"1339{i:07d}"


def run_telecom_demo(
    container: Container, *, count: int = 48, seed: int = 20261130
) -> TelecomDemoReport:
    now = container.clock.now()
    with container.uow() as uow:
        units = build_telecom_org(uow)
        uow.commit()
    knowledge = load_knowledge(container, now)
    rng = random.Random(seed)
    weights = [w for _, w, *_ in SCENARIOS]
    plan = [rng.choices(SCENARIOS, weights)[0] for _ in range(count)]
    states = parse_states(account_states(count, [p[0] for p in plan]))
    day = now.strftime("%Y%m%d")
    with container.uow() as uow:
        actors = _actors(uow)
        known = set(
            uow.session.scalars(
                select(ComplaintRow.external_ref).where(
                    ComplaintRow.external_ref.like(f"tc-demo:{day}:%")
                )
            )
        )
    report = TelecomDemoReport(len(units), knowledge, 0, 0)
    with running(states) as standin:
        lookups = HttpAccountLookups(standin.urls(), timeout=1.0)
        for i, scenario in enumerate(plan):
            ref = f"tc-demo:{day}:{i}"
            if ref in known:
                report.skipped += 1
                continue
            # Spread over the last week (oldest first), so some of the branch's tickets
            # were archived 48 hours ago or more and are back for the closed-loop review;
            # the calls about a current outage came in since the alarm (30 hours ago).
            window = ALARM_WINDOW if scenario[0] == "alarm" else SPREAD
            minutes = window.total_seconds() / 60
            received = now - window + timedelta(minutes=int(i * minutes / count))
            outcome = _walk(container, lookups, actors, units, scenario, i, ref, received, now)
            report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
            report.filed += 1
    with container.uow() as uow:
        report.review_queue = len(pre.review_queue(uow, actors["tc-support"], now=now))
        report.metrics = pre.metrics(uow, None, received_from=now - SPREAD)
    return report


def _walk(
    container: Container,
    lookups: HttpAccountLookups,
    actors: dict[str, Actor],
    units: dict[str, Unit],
    scenario: tuple[str, int, str, str, str, str, str],
    index: int,
    ref: str,
    received: datetime,
    now: datetime,
) -> str:
    truth, _w, area, text, handset, os_name, branch = scenario
    cal = container.calendar
    at = received
    with container.uow() as uow:
        filed = pre.file_telecom_complaint(
            uow,
            lookups,
            svc.FileComplaint(
                content=f"{area}{text}。",
                title=text[:20],
                channel=Channel.PHONE,
                complainant=NewComplainant(name=f"用户{index:03d}", phone=_msisdn(index)),
                received_at=received,
                external_ref=ref,
            ),
            pre.TelecomDetails(area=area, handset_model=handset, os=os_name),
            actor=actors["tc-operator"],
            now=received,
            calendar=cal,
            root_code=container.settings.telecom_root_unit,
        )
        case = pre.get_case(uow, actors["tc-operator"], filed.id)
    cid = filed.id

    def later(minutes: int) -> datetime:
        # Pre-processing takes minutes: the last of these is still well before now.
        nonlocal at
        at = min(at + timedelta(minutes=minutes), now - timedelta(seconds=1))
        return at

    with container.uow() as uow:
        if case["queue"] == pre.Queue.LEVEL1:
            pre.confirm_level1(
                uow,
                actors["tc-operator"],
                cid,
                now=later(3),
                calendar=cal,
                limits=_limits(container),
            )
            return "level1"
        support = actors["tc-support"]
        if truth == "account_unknown":
            pre.resolve_level2(
                uow,
                support,
                cid,
                cause=CauseClass.ACCOUNT,
                now=later(40),
                calendar=cal,
                resolution="人工核实CRM：号码欠费停机，已告知缴费 / arrears confirmed by hand",
                sms_template_id=uow.session.scalar(
                    select(TelecomScriptRow.id).where(
                        TelecomScriptRow.external_id == ARREARS_SCRIPT
                    )
                ),
                limits=_limits(container),
            )
            return "level2"
        if truth == "terminal_missed" and index % 2 == 0:
            pre.resolve_level2(
                uow,
                support,
                cid,
                cause=CauseClass.TERMINAL_USAGE,
                now=later(40),
                calendar=cal,
                resolution="指导用户关闭通话降噪并更新系统后恢复 / fixed by handset settings",
            )
            return "level2"
        pre.dispatch_to_branch(
            uow,
            support,
            cid,
            unit_id=units[f"tc-branch-{branch}"].id,
            now=later(60),
            calendar=cal,
            note="二级预处理未发现告警、盲点、终端或账户原因",
        )
    handler = actors[f"tc-branch-{branch}"]
    if index % 4 == 3:
        return "dispatched"  # still with the branch
    _branch_work(container, actors, handler, cid, truth, index, at, now)
    return "dispatched"


def _branch_work(
    container: Container,
    actors: dict[str, Actor],
    handler: Actor,
    cid: int,
    truth: str,
    index: int,
    at: datetime,
    now: datetime,
) -> None:
    """The branch signs for the ticket, tests on site and replies (hours to a day), the
    centre calls back and archives; each step only if it falls before ``now``."""
    cal = container.calendar
    really = truth == "network"
    spread = (index * 37) % 60  # deterministic variety without another random stream
    steps: list[tuple[int, Callable[[SqlUnitOfWork, datetime], object]]] = [
        (
            60 + spread,
            lambda uow, t: svc.perform(
                uow, handler, cid, command_for(Action.RECEIVE, {}), now=t, calendar=cal
            ),
        ),
        (
            20 + spread,
            lambda uow, t: svc.perform(
                uow, handler, cid, command_for(Action.START_HANDLING, {}), now=t, calendar=cal
            ),
        ),
        (
            180 + 10 * spread,
            lambda uow, t: pre.branch_reply(
                uow,
                handler,
                cid,
                channel="phone",
                network_quality=really,
                now=t,
                calendar=cal,
                reply="现场测试确认弱覆盖，已调整天线下倾角 / antenna tilt adjusted on site"
                if really
                else "现场测试网络正常，系终端问题 / network fine on site: the handset",
            ),
        ),
    ]
    callback = actors["tc-callback"]

    def centre(
        action: Action, params: dict[str, Any]
    ) -> Callable[[SqlUnitOfWork, datetime], object]:
        def run(uow: SqlUnitOfWork, t: datetime) -> object:
            return svc.perform(uow, callback, cid, command_for(action, params), now=t, calendar=cal)

        return run

    steps += [
        (240 + 10 * spread, centre(Action.START_CALLBACK, {})),
        (10 + spread, centre(Action.RECORD_CALLBACK, {"outcome": "satisfied"})),
        (60 + 3 * spread, centre(Action.ARCHIVE, {})),
    ]
    for minutes, run in steps:
        at = at + timedelta(minutes=minutes)
        if at >= now:
            return  # not yet: the ticket waits in that queue
        with container.uow() as uow:
            run(uow, at)
