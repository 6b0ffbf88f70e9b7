"""Telecom pre-processing (SPEC §7, source §3 1.1): phenomena, causes, the level-1 matcher.

The success rate and dispatch accuracy are `complaintdesk.telecom.rates`.

Everything here is a pure function over plain records and ``now``. The level-1 platform
matches a complaint's area, time and symptom against four knowledge sources — base-station
alarms (equipment faults), coverage blind spots, terminal/usage scripts and the account
state of the CRM, prepaid, AAA and HLR systems. A look-up that failed is *unknown*: it is
shown as such and never counts as "the account is fine".
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.kernel.errors import InvalidInput

# The pre-processing figures moved to `complaintdesk.telecom.rates` (one implementation of
# SPEC §7, counted by `complaintdesk.telecom.kpis`); re-exported for earlier importers.
from complaintdesk.telecom.rates import PreprocessingMetrics as PreprocessingMetrics


class Phenomenon(StrEnum):
    """The six mobile-network phenomena the source counts (移动网络质量6类投诉现象)."""

    NO_SIGNAL = "no_signal"  # 无信号
    WEAK_SIGNAL = "weak_signal"  # 信号弱
    DROPPED_CALLS = "dropped_calls"  # 掉话
    POOR_VOICE = "poor_voice"  # 通话质量差
    SLOW_DATA = "slow_data"  # 网速慢
    NO_DATA = "no_data"  # 无法上网


PHENOMENON_LABELS: dict[Phenomenon, str] = {
    Phenomenon.NO_SIGNAL: "无信号 / no signal",
    Phenomenon.WEAK_SIGNAL: "信号弱 / weak signal",
    Phenomenon.DROPPED_CALLS: "掉话 / dropped calls",
    Phenomenon.POOR_VOICE: "通话质量差 / poor voice quality",
    Phenomenon.SLOW_DATA: "网速慢 / slow data",
    Phenomenon.NO_DATA: "无法上网 / no data service",
}

# Phrases taken from real citizen messages about mobile networks (Teddy Cup 2020 data:
# "一直没有手机信号", "信号极差", "通讯信号差", "掉线率高、网速慢", "收不到网络").
# Order matters only for readability; every phenomenon whose phrase occurs is reported.
_PHRASES: dict[Phenomenon, tuple[str, ...]] = {
    Phenomenon.NO_SIGNAL: (
        "无信号",
        "没有信号",
        "没信号",
        "没有手机信号",
        "无手机信号",
        "信号缺失",
        "无服务",
        "打不了电话",
        "打不出电话",
        "不能打电话",
        "无法打电话",
        "无法接听",
        "no signal",
    ),
    Phenomenon.WEAK_SIGNAL: (
        "信号弱",
        "信号差",
        "信号不好",
        "信号很差",
        "信号极差",
        "信号时有时无",
        "信号只有一格",
        "信号不稳定",
        "weak signal",
    ),
    Phenomenon.DROPPED_CALLS: (
        "掉话",
        "通话中断",
        "电话断",
        "说着说着断了",
        "自动挂断",
        "dropped call",
    ),
    Phenomenon.POOR_VOICE: (
        "杂音",
        "听不清",
        "断断续续",
        "回声",
        "通话质量差",
        "声音卡",
        "串音",
        "poor voice",
    ),
    Phenomenon.SLOW_DATA: (
        "网速慢",
        "网速差",
        "网速很慢",
        "网很慢",
        "网络卡",
        "网速太慢",
        "上网慢",
        "加载慢",
        "slow data",
        "slow internet",
    ),
    Phenomenon.NO_DATA: (
        "无法上网",
        "上不了网",
        "不能上网",
        "收不到网络",
        "没有网络",
        "断网",
        "掉线",
        "数据连接失败",
        "no data",
        "no internet",
    ),
}
DATA_PHENOMENA = frozenset({Phenomenon.SLOW_DATA, Phenomenon.NO_DATA})
VOICE_PHENOMENA = frozenset({Phenomenon.NO_SIGNAL, Phenomenon.DROPPED_CALLS, Phenomenon.POOR_VOICE})


def classify_phenomena(text: str) -> list[Phenomenon]:
    """The phenomena a complaint describes, in enum order; empty when none is named."""
    folded = (text or "").lower()
    return [p for p, phrases in _PHRASES.items() if any(ph in folded for ph in phrases)]


class CauseClass(StrEnum):
    """The five cause classes of the pre-processing system (5类用户预处理体系)."""

    EQUIPMENT_FAULT = "equipment_fault"  # 设备故障
    BLIND_SPOT = "blind_spot"  # 覆盖盲点
    TERMINAL_USAGE = "terminal_usage"  # 终端与使用
    ACCOUNT = "account"  # 业务权限与资费
    NETWORK_QUALITY = "network_quality"  # 网络质量（需现场处理）


CAUSE_LABELS: dict[CauseClass, str] = {
    CauseClass.EQUIPMENT_FAULT: "设备故障 / equipment fault",
    CauseClass.BLIND_SPOT: "覆盖盲点 / coverage blind spot",
    CauseClass.TERMINAL_USAGE: "终端与使用 / terminal or usage",
    CauseClass.ACCOUNT: "业务权限与资费 / account, permission or billing",
    CauseClass.NETWORK_QUALITY: "网络质量，需现场处理 / network quality, needs the field",
}


# --- knowledge records ---------------------------------------------------------------


@dataclass(frozen=True)
class Alarm:
    """A base-station alarm (基站告警) mapped to the areas and cells it affects."""

    id: int | None
    site: str
    areas: tuple[str, ...]
    cells: tuple[str, ...]
    started_at: datetime
    expected_recovery_at: datetime | None = None
    cleared_at: datetime | None = None
    description: str = ""
    branch: str = ""  # code of the city branch whose area it is; "" = the support centre's

    def active_at(self, moment: datetime) -> bool:
        return self.started_at <= moment and (self.cleared_at is None or moment < self.cleared_at)


@dataclass(frozen=True)
class BlindSpot:
    """A known coverage blind spot (覆盖盲点): area names, optionally cells or a polygon."""

    id: int | None
    name: str
    areas: tuple[str, ...]
    cells: tuple[str, ...] = ()
    polygon: tuple[tuple[float, float], ...] = ()  # (longitude, latitude) vertices
    planned_fix: str = ""
    branch: str = ""  # as for alarms


@dataclass(frozen=True)
class Script:
    """A terminal/usage script: symptom (+ handset) → explanation and self-help SMS."""

    id: int | None
    title: str
    explanation: str
    sms_template: str
    phenomena: tuple[Phenomenon, ...] = ()
    keywords: tuple[str, ...] = ()
    handset_model: str = ""
    os: str = ""


class LookupOutcome(StrEnum):
    OK = "ok"  # 正常
    PROBLEM = "problem"  # 发现问题
    UNKNOWN = "unknown"  # 未知（查询失败、超时或未配置）


class AccountSystem(StrEnum):
    CRM = "crm"  # 客户关系管理
    PREPAID = "prepaid"  # 预付费
    AAA = "aaa"  # 验证、授权和记账
    HLR = "hlr"  # 归属位置寄存器


@dataclass(frozen=True)
class AccountCheck:
    """What one system said about the subscriber, interpreted."""

    system: AccountSystem
    outcome: LookupOutcome
    finding: str  # bilingual, for the operator
    facts: dict[str, Any] = field(default_factory=dict)
    data_only: bool = False  # the problem only explains data-service phenomena


@dataclass(frozen=True)
class TelecomCase:
    """What level 1 knows about a telecom complaint."""

    text: str
    area: str = ""
    cell: str = ""
    location: tuple[float, float] | None = None  # (longitude, latitude)
    handset_model: str = ""
    os: str = ""
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class Finding:
    cause: CauseClass
    source: str  # "alarm:12", "blind_spot:3", "script:7", "account:crm"
    evidence: dict[str, Any]
    explanation: str
    sms: str


@dataclass(frozen=True)
class Diagnosis:
    phenomena: tuple[Phenomenon, ...]
    findings: tuple[Finding, ...]
    account: tuple[AccountCheck, ...]

    @property
    def cause(self) -> CauseClass | None:
        return self.findings[0].cause if self.findings else None

    @property
    def unknown_systems(self) -> list[str]:
        return [c.system.value for c in self.account if c.outcome is LookupOutcome.UNKNOWN]

    @property
    def resolvable_at_level1(self) -> bool:
        return bool(self.findings)

    def as_evidence(self) -> dict[str, Any]:
        """A JSON-ready record of everything level 1 saw; attached to dispatches."""
        return {
            "phenomena": [p.value for p in self.phenomena],
            "cause": self.cause.value if self.cause else None,
            "findings": [
                {
                    "cause": f.cause.value,
                    "source": f.source,
                    "evidence": f.evidence,
                    "explanation": f.explanation,
                    "sms": f.sms,
                }
                for f in self.findings
            ],
            "account": [
                {"system": c.system.value, "outcome": c.outcome.value, "finding": c.finding}
                for c in self.account
            ],
            "unknown_systems": self.unknown_systems,
        }


# --- account state ---------------------------------------------------------------------

_CRM_PROBLEMS = {
    "arrears": "欠费停机 / suspended for arrears",
    "suspended": "已停机 / service suspended",
    "barred": "已被限制呼叫 / calls barred",
    "cancelled": "已销户 / account cancelled",
    "lost": "已挂失 / reported lost",
}


def assess_account(system: AccountSystem, payload: Mapping[str, Any] | None) -> AccountCheck:
    """Interpret one system's answer. Anything not understood is UNKNOWN, never OK."""
    if payload is None:
        return AccountCheck(system, LookupOutcome.UNKNOWN, "无返回 / no answer")
    try:
        return _ASSESSORS[system](payload)
    except (KeyError, TypeError, ValueError):
        return AccountCheck(
            system,
            LookupOutcome.UNKNOWN,
            "返回内容无法识别 / the answer could not be understood",
            facts=dict(payload),
        )


def _crm(p: Mapping[str, Any]) -> AccountCheck:
    status = str(p["status"]).strip().lower()
    facts = {"status": status, "plan": p.get("plan")}
    if status == "active":
        return AccountCheck(AccountSystem.CRM, LookupOutcome.OK, "账户正常 / account active", facts)
    if status in _CRM_PROBLEMS:
        return AccountCheck(
            AccountSystem.CRM, LookupOutcome.PROBLEM, f"账户{_CRM_PROBLEMS[status]}", facts
        )
    raise ValueError(status)


def _prepaid(p: Mapping[str, Any]) -> AccountCheck:
    balance = float(p["balance_yuan"])
    facts = {"balance_yuan": balance}
    if math.isnan(balance):
        raise ValueError("nan")
    if balance <= 0:
        return AccountCheck(
            AccountSystem.PREPAID,
            LookupOutcome.PROBLEM,
            f"预付费余额不足（{balance:.2f}元）/ prepaid balance exhausted ({balance:.2f} yuan)",
            facts,
        )
    return AccountCheck(
        AccountSystem.PREPAID,
        LookupOutcome.OK,
        f"余额{balance:.2f}元 / balance {balance:.2f} yuan",
        facts,
    )


def _aaa(p: Mapping[str, Any]) -> AccountCheck:
    enabled = p["data_enabled"]
    if not isinstance(enabled, bool):
        raise ValueError("data_enabled")
    last = str(p.get("last_auth_result", "accept")).lower()
    facts = {"data_enabled": enabled, "last_auth_result": last}
    if not enabled:
        finding = "数据业务未开通或已关闭 / data service not enabled"
    elif last == "reject":
        finding = "上网鉴权失败 / data authentication rejected"
    else:
        return AccountCheck(
            AccountSystem.AAA, LookupOutcome.OK, "上网鉴权正常 / data auth fine", facts
        )
    return AccountCheck(AccountSystem.AAA, LookupOutcome.PROBLEM, finding, facts, data_only=True)


def _hlr(p: Mapping[str, Any]) -> AccountCheck:
    barring = p.get("barring") or []
    if not isinstance(barring, list):
        raise ValueError("barring")
    registered = bool(p["registered"])
    data_ok = bool(p.get("data_provisioned", True))
    facts = {"registered": registered, "barring": barring, "data_provisioned": data_ok}
    if barring:
        return AccountCheck(
            AccountSystem.HLR,
            LookupOutcome.PROBLEM,
            f"号码有呼叫限制（{'、'.join(map(str, barring))}）/ call barring: "
            + ", ".join(map(str, barring)),
            facts,
        )
    if not data_ok:
        return AccountCheck(
            AccountSystem.HLR,
            LookupOutcome.PROBLEM,
            "HLR未开通数据业务 / data not provisioned in the HLR",
            facts,
            data_only=True,
        )
    if not registered:
        # Not attached to the network: usually the handset or SIM, not the account.
        return AccountCheck(
            AccountSystem.HLR,
            LookupOutcome.OK,
            "号码当前未登记在网（可能关机或终端问题）/ not attached: handset off or SIM",
            facts,
        )
    return AccountCheck(AccountSystem.HLR, LookupOutcome.OK, "签约正常 / subscription fine", facts)


_ASSESSORS = {
    AccountSystem.CRM: _crm,
    AccountSystem.PREPAID: _prepaid,
    AccountSystem.AAA: _aaa,
    AccountSystem.HLR: _hlr,
}


# --- matching ----------------------------------------------------------------------------


def normalise_area(name: str) -> str:
    return "".join((name or "").split()).lower()


def area_matches(known: str, case: TelecomCase) -> bool:
    """A known area matches when the complaint's place lies within it: its name occurs in
    the complaint's area, or — no area given — in the complaint text."""
    key = normalise_area(known)
    if len(key) < 2:
        return False
    place = normalise_area(case.area) or normalise_area(case.text)
    return key in place


def point_in_polygon(point: tuple[float, float], polygon: Sequence[tuple[float, float]]) -> bool:
    """Ray casting; fine for the few-hundred-metre polygons of blind spots."""
    x, y = point
    inside = False
    n = len(polygon)
    for i in range(n):
        x1, y1 = polygon[i]
        x2, y2 = polygon[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < cross:
                inside = not inside
    return inside


class _Defaults(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


# ``url`` is the one slot that may carry a link (telecom/sms.py checks the values).
SMS_FIELDS = frozenset({"area", "site", "recovery", "model", "os", "tracking_no", "when", "url"})


def check_template(template: str) -> str:
    """Refuse templates with placeholders the platform cannot fill, and conversions or
    format specs (``{area:>500}`` would pad a text past any length limit)."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidInput(f"短信模板格式有误 / malformed SMS template: {exc}") from exc
    if any(name is not None and (spec or conversion) for _, name, spec, conversion in parts):
        raise InvalidInput(
            "短信模板占位符不能带格式说明 / SMS template placeholders take no format spec"
        )
    names = {name for _, name, _, _ in parts if name}
    if any(name == "" for _, name, _, _ in parts):
        raise InvalidInput("短信模板含空占位符 {} / an SMS template has an empty {} placeholder")
    unknown = sorted(names - SMS_FIELDS)
    if unknown:
        raise InvalidInput(
            f"短信模板含未知占位符 {unknown}，可用：{sorted(SMS_FIELDS)}"
            f" / unknown placeholders {unknown}; allowed: {sorted(SMS_FIELDS)}"
        )
    return template


def render_sms(template: str, **values: str) -> str:
    return template.format_map(_Defaults({k: v for k, v in values.items() if v}))


def _when(moment: datetime | None) -> str:
    return (
        moment.astimezone(SHANGHAI).strftime("%m月%d日%H:%M")
        if moment
        else "尽快 / as soon as possible"
    )


def match_level1(
    case: TelecomCase,
    *,
    alarms: Iterable[Alarm],
    blind_spots: Iterable[BlindSpot],
    scripts: Iterable[Script],
    account: Iterable[AccountCheck],
    now: datetime,
) -> Diagnosis:
    """Level 1 (一级预处理): every known cause that explains the complaint, best first.

    Order: account problems (they explain any loss of service outright), active alarms,
    blind spots, then terminal/usage scripts. An empty result sends the complaint to level 2.
    """
    phenomena = tuple(classify_phenomena(case.text))
    checks = tuple(account)
    when = case.occurred_at or now
    findings: list[Finding] = []
    wants_data = not phenomena or bool(set(phenomena) & DATA_PHENOMENA)
    for check in checks:
        if check.outcome is not LookupOutcome.PROBLEM or (check.data_only and not wants_data):
            continue
        findings.append(
            Finding(
                CauseClass.ACCOUNT,
                f"account:{check.system.value}",
                {"system": check.system.value, "facts": check.facts},
                f"经查询{check.system.value.upper()}系统：{check.finding}",
                f"【预处理】您好，经查询您的号码业务状态异常：{check.finding}。"
                "请缴费或到营业厅办理后重启手机。/ Your line has an account issue;"
                " please settle it or visit a service hall, then restart the phone.",
            )
        )
    for alarm in alarms:
        hit_area = next((a for a in alarm.areas if area_matches(a, case)), None)
        hit_cell = case.cell and case.cell in alarm.cells
        if not (hit_area or hit_cell) or not (alarm.active_at(when) or alarm.active_at(now)):
            continue
        recovery = _when(alarm.expected_recovery_at)
        place = hit_area or case.cell
        findings.append(
            Finding(
                CauseClass.EQUIPMENT_FAULT,
                f"alarm:{alarm.id}",
                {
                    "site": alarm.site,
                    "matched_area": hit_area,
                    "matched_cell": case.cell if hit_cell else None,
                    "started_at": alarm.started_at.isoformat(),
                    "expected_recovery_at": (
                        alarm.expected_recovery_at.isoformat()
                        if alarm.expected_recovery_at
                        else None
                    ),
                    "cleared_at": alarm.cleared_at.isoformat() if alarm.cleared_at else None,
                },
                f"{place}所属基站{alarm.site}告警（{alarm.description or '设备故障'}），"
                f"预计{recovery}恢复 / base station {alarm.site} serving {place} is in alarm;"
                f" expected recovery {recovery}",
                f"【预处理】您好，您所在的{place}因基站设备故障影响通信，预计{recovery}恢复，"
                f"给您带来不便深表歉意。/ A base-station fault affects {place};"
                f" service expected back {recovery}.",
            )
        )
    for spot in blind_spots:
        hit_area = next((a for a in spot.areas if area_matches(a, case)), None)
        hit_cell = bool(case.cell) and case.cell in spot.cells
        hit_poly = bool(
            case.location
            and len(spot.polygon) >= 3
            and point_in_polygon(case.location, spot.polygon)
        )
        if not (hit_area or hit_cell or hit_poly):
            continue
        place = hit_area or spot.name
        plan = spot.planned_fix or "已纳入网络建设规划 / included in the build plan"
        findings.append(
            Finding(
                CauseClass.BLIND_SPOT,
                f"blind_spot:{spot.id}",
                {
                    "name": spot.name,
                    "matched_area": hit_area,
                    "matched_cell": case.cell if hit_cell else None,
                    "matched_polygon": hit_poly,
                    "planned_fix": spot.planned_fix,
                },
                f"{place}是已知覆盖盲点（{spot.name}），{plan}"
                f" / {place} is a known coverage blind spot",
                f"【预处理】您好，您反映的{place}属于目前信号覆盖较弱区域，{plan}。"
                f"建站完成后将短信告知您。/ {place} is a known weak-coverage area;"
                " we will text you when the new site is live.",
            )
        )
    for script in scripts:
        if not _script_fits(script, case, phenomena):
            continue
        findings.append(
            Finding(
                CauseClass.TERMINAL_USAGE,
                f"script:{script.id}",
                {
                    "title": script.title,
                    "handset_model": script.handset_model or None,
                    "os": script.os or None,
                },
                script.explanation,
                render_sms(
                    script.sms_template,
                    area=case.area,
                    model=case.handset_model,
                    os=case.os,
                ),
            )
        )
    return Diagnosis(phenomena, tuple(findings), checks)


def _script_fits(script: Script, case: TelecomCase, phenomena: tuple[Phenomenon, ...]) -> bool:
    text = (case.text or "").lower()
    symptom = bool(set(script.phenomena) & set(phenomena)) or any(
        k.lower() in text for k in script.keywords if k
    )
    if not symptom:
        return False
    if script.handset_model and script.handset_model.lower() not in (
        f"{case.handset_model} {text}".lower()
    ):
        return False
    return not (script.os and script.os.lower() not in f"{case.os} {text}".lower())
