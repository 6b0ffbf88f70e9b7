"""Demo data: an org tree like SPEC §8.2 and the real Teddy Cup sample complaints.

The complaints are walked through the real services, so every state they end in has the
events that lead there. Running the demo twice adds nothing the second time.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.complaints.vocabulary import Action, Channel, DispatchMode, Status
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.org import auth
from complaintdesk.org.model import Actor, EvaluationCategory, Role, Unit, UnitKind, UnitLevel

DEMO_PASSWORD = "demo12345"
SAMPLE_FILE = "teddycup2020c/fj2_sample_495.csv"

LAW_ENFORCEMENT = [
    ("police", "公安局"),
    ("market", "市场监督管理局"),
    ("ecology", "生态环境局"),
    ("transport", "交通运输局"),
    ("resources", "自然资源局"),
    ("housing", "住房和城乡建设局"),
    ("urban", "城市管理综合行政执法局"),
    ("culture", "文化和旅游局"),
    ("emergency", "应急管理局"),
    ("agriculture", "农业农村局"),
    ("water", "水利局"),
    ("hrss", "人力资源和社会保障局"),
    ("tax", "税务局"),
    ("tobacco", "烟草专卖局"),
]
COMPREHENSIVE = [
    ("ndrc", "发展和改革委员会"),
    ("education", "教育局"),
    ("science", "科学技术局"),
    ("industry", "工业和信息化局"),
    ("civil", "民政局"),
    ("justice", "司法局"),
    ("finance", "财政局"),
    ("commerce", "商务局"),
    ("health", "卫生健康委员会"),
    ("veterans", "退役军人事务局"),
    ("audit", "审计局"),
    ("statistics", "统计局"),
    ("medical", "医疗保障局"),
    ("forestry", "林业和草原局"),
    ("gov-service", "政务服务管理局"),
    ("ethnic", "民族宗教事务委员会"),
    ("rural", "乡村振兴局"),
    ("affairs", "机关事务管理局"),
]
COUNTIES = [("dongcheng", "东城县"), ("xishan", "西山县"), ("nanhe", "南河市"), ("beihu", "北湖县")]
# The seven first-level labels of the citizen-message data, and the bureau that handles each.
LABEL_TO_BUREAU = {
    "城乡建设": "housing",
    "环境保护": "ecology",
    "交通运输": "transport",
    "教育文体": "education",
    "劳动和社会保障": "hrss",
    "商贸旅游": "commerce",
    "卫生计生": "health",
}

CENTRE_USERS = [
    ("admin", "系统管理员", {Role.ADMIN}),
    ("operator", "受理员 王芳", {Role.INTAKE_OPERATOR}),
    ("dispatcher", "派单员 李强", {Role.DISPATCHER}),
    ("leader", "中心主任 张伟", {Role.LEADER}),
    ("deputy", "分管副主任 孙磊", {Role.LEADER, Role.DEPUTY_DIRECTOR}),
    ("supervisor", "督办员 刘洋", {Role.SUPERVISOR}),
    ("callback", "回访员 陈静", {Role.CALLBACK_AUDITOR}),
    ("evaluator", "效能办 赵敏", {Role.EVALUATOR}),
]


@dataclass
class DemoReport:
    units: int
    users: int
    complaints: int
    skipped: int
    data_missing: str | None
    by_status: dict[str, int]


def build_org(uow: SqlUnitOfWork) -> dict[str, Unit]:
    """The prefecture centre, its 32 bureaus with sections, and four county centres."""
    existing = uow.units.by_code("centre")
    if existing is not None:
        return {u.code: u for u in uow.units.all()}
    units: dict[str, Unit] = {}
    centre = uow.units.add(
        code="centre", name="西州机关效能投诉中心", level=UnitLevel.PREFECTURE, kind=UnitKind.CENTRE
    )
    units["centre"] = centre
    for group, category in (
        (LAW_ENFORCEMENT, EvaluationCategory.LAW_ENFORCEMENT),
        (COMPREHENSIVE, EvaluationCategory.COMPREHENSIVE_MANAGEMENT),
    ):
        for code, name in group:
            bureau = uow.units.add(
                code=code,
                name=f"西州{name}",
                level=UnitLevel.DEPARTMENT,
                kind=UnitKind.BUREAU,
                parent=centre,
                category=category,
            )
            units[code] = bureau
            for suffix, section in (("office", "办公室"), ("service", "业务科")):
                units[f"{code}-{suffix}"] = uow.units.add(
                    code=f"{code}-{suffix}",
                    name=f"西州{name}{section}",
                    level=UnitLevel.SECTION,
                    kind=UnitKind.SECTION,
                    parent=bureau,
                )
    for code, name in COUNTIES:
        county = uow.units.add(
            code=code,
            name=f"{name}机关效能投诉中心",
            level=UnitLevel.COUNTY,
            kind=UnitKind.CENTRE,
            parent=centre,
        )
        units[code] = county
        for dept_code, dept in (("housing", "住房和城乡建设局"), ("education", "教育局")):
            units[f"{code}-{dept_code}"] = uow.units.add(
                code=f"{code}-{dept_code}",
                name=f"{name}{dept}",
                level=UnitLevel.DEPARTMENT,
                kind=UnitKind.BUREAU,
                parent=county,
            )
    return units


def build_users(uow: SqlUnitOfWork, units: dict[str, Unit]) -> int:
    if uow.users.by_username("admin") is not None:
        return 0
    specs: list[UserSpec] = [
        (name, display, roles, "centre") for name, display, roles in CENTRE_USERS
    ]
    for code in LABEL_TO_BUREAU.values():
        bureau = units[code]
        specs.append((f"handler-{code}", f"{bureau.name}承办人", {Role.HANDLER}, code))
        specs.append((f"head-{code}", f"{bureau.name}负责人", {Role.HANDLER, Role.LEADER}, code))
    for code, _name in COUNTIES:
        specs.append(
            (
                f"operator-{code}",
                f"{units[code].name}受理员",
                {Role.INTAKE_OPERATOR, Role.DISPATCHER},
                code,
            )
        )
    create_users(uow, specs, units)
    return len(specs)


UserSpec = tuple[str, str, set[Role], str]  # username, display name, roles, unit code


def create_users(uow: SqlUnitOfWork, specs: list[UserSpec], units: dict[str, Unit]) -> None:
    """Demo accounts, all with the demo password (argon2 is slow on purpose: hashed once)."""
    shared_hash = auth.hash_password(DEMO_PASSWORD)
    for username, display, roles, unit_code in specs:
        auth.create_user(
            uow,
            username=username,
            display_name=display,
            password_hash=shared_hash,
            roles=roles,
            unit_id=units[unit_code].id,
        )


def _actor(uow: SqlUnitOfWork, username: str) -> Actor:
    user = uow.users.by_username(username)
    assert user is not None
    return auth.actor_for(uow, user)


# Where the sample complaints end up, with weights (a centre's month at a glance).
TARGETS: list[tuple[Status, int]] = [
    (Status.REGISTERED, 8),
    (Status.NOT_ACCEPTED, 4),
    (Status.HANDED_OVER, 3),
    (Status.ACCEPTED, 5),
    (Status.DISPATCHED, 8),
    (Status.RETURNED, 3),
    (Status.RECEIVED, 6),
    (Status.IN_PROGRESS, 14),
    (Status.REPLIED, 8),
    (Status.CALLBACK, 6),
    (Status.CLOSED, 25),
    (Status.ARCHIVED, 10),
]


def load_sample(
    container: Container,
    path: Path,
    units: dict[str, Unit],
    *,
    limit: int | None = None,
    seed: int = 20261129,
) -> tuple[int, int]:
    rng = random.Random(seed)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if limit is not None:
        rows = rows[:limit]
    now = container.clock.now()
    # Spread the real messages over the last 40 days, oldest first, keeping their order.
    rows.sort(key=lambda r: r.get("留言时间", ""))
    loaded = skipped = 0
    with container.uow() as uow:
        known = set(
            uow.session.scalars(
                select(ComplaintRow.external_ref).where(ComplaintRow.external_ref.like("fj2:%"))
            )
        )
        actors = {
            name: _actor(uow, name) for name in ("operator", "dispatcher", "leader", "callback")
        }
        handlers = {code: _actor(uow, f"handler-{code}") for code in LABEL_TO_BUREAU.values()}
    statuses = [s for s, _ in TARGETS]
    weights = [w for _, w in TARGETS]
    for index, row in enumerate(rows):
        ref = f"fj2:{row.get('留言编号', index)}"
        if ref in known:
            skipped += 1
            continue
        received = (
            now
            - timedelta(days=40)
            + timedelta(days=40 * index / max(len(rows), 1), minutes=rng.randint(0, 600))
        )
        target = rng.choices(statuses, weights)[0]
        label = (row.get("一级标签") or "").strip()
        with container.uow() as uow:
            filed = svc.file_complaint(
                uow,
                svc.FileComplaint(
                    content=row.get("留言详情") or row.get("留言主题") or "",
                    title=(row.get("留言主题") or "").strip(),
                    channel=rng.choice([Channel.WEB, Channel.WEB, Channel.PHONE, Channel.LETTER]),
                    complainant=NewComplainant(external_user=row.get("留言用户")),
                    department_label=label or None,
                    external_ref=ref,
                    received_at=received,
                ),
                actor=actors["operator"],
                now=received,
                calendar=container.calendar,
            )
            _walk(container, uow, filed.id, target, received, label, units, actors, handlers, rng)
        loaded += 1
    return loaded, skipped


def _walk(
    container: Container,
    uow: SqlUnitOfWork,
    complaint_id: int,
    target: Status,
    start: datetime,
    label: str,
    units: dict[str, Unit],
    actors: dict[str, Actor],
    handlers: dict[str, Actor],
    rng: random.Random,
) -> None:
    """Take the complaint along the usual path until it reaches ``target``."""
    clock = [start]
    now = container.clock.now()

    def step(actor: Actor, action: Action, **params: Any) -> None:
        clock[0] = min(clock[0] + timedelta(hours=rng.randint(2, 40)), now)
        svc.perform(
            uow,
            actor,
            complaint_id,
            command_for(action, params),
            now=clock[0],
            calendar=container.calendar,
        )

    if target is Status.REGISTERED:
        return
    if target is Status.NOT_ACCEPTED:
        step(
            actors["operator"],
            Action.REJECT,
            explanation="该事项不属于机关效能投诉受理范围，已告知投诉人依法向有关机关反映。",
            competent_authority="西州信访局",
        )
        return
    if target is Status.HANDED_OVER:
        step(
            actors["dispatcher"],
            Action.HAND_OVER,
            department="西州信访局",
            reason="非机关效能问题，移交职能部门办理",
        )
        return
    step(actors["operator"], Action.ACCEPT, category="inefficiency")
    if target is Status.ACCEPTED:
        return
    code = LABEL_TO_BUREAU.get(label, "housing")
    unit = units[code]
    handler = handlers[code]
    summary = f"群众反映{label or '有关'}问题，请依法依规调查处理并答复投诉人。"

    def sign_off_and_dispatch() -> None:
        # Every dispatch needs the leader's sign-off (签批) first (SPEC §3, issue 6).
        clock[0] = min(clock[0] + timedelta(hours=rng.randint(1, 8)), now)
        handling.sign_off(
            uow,
            actors["leader"],
            complaint_id,
            mode=DispatchMode.TRANSFER,
            unit_id=unit.id,
            opinion="同意转办",
            now=clock[0],
            calendar=container.calendar,
        )
        step(
            actors["dispatcher"],
            Action.DISPATCH,
            unit_id=unit.id,
            mode=DispatchMode.TRANSFER.value,
            summary=summary,
        )

    plan: list[tuple[Status, Callable[[], None]]] = [
        (Status.DISPATCHED, sign_off_and_dispatch),
        (
            Status.RETURNED,
            lambda: step(
                handler, Action.RETURN_DISPATCH, reason="该事项不属于本单位职责范围，请重新派单"
            ),
        ),
        (Status.RECEIVED, lambda: step(handler, Action.RECEIVE)),
        (Status.IN_PROGRESS, lambda: step(handler, Action.START_HANDLING)),
        (
            Status.REPLIED,
            lambda: step(
                handler,
                Action.REPLY,
                channel="phone",
                reply="经调查核实，已责成相关单位整改，并电话答复投诉人。",
            ),
        ),
        (Status.CALLBACK, lambda: step(actors["callback"], Action.START_CALLBACK)),
        (
            Status.CLOSED,
            lambda: step(
                actors["callback"],
                Action.RECORD_CALLBACK,
                outcome=rng.choice(["satisfied", "basically_satisfied"]),
            ),
        ),
        (Status.ARCHIVED, lambda: step(actors["operator"], Action.ARCHIVE)),
    ]
    for status, run in plan:
        if status is Status.RETURNED and target is not Status.RETURNED:
            continue
        run()
        if status is target:
            return


def run_demo(container: Container, *, limit: int | None = None) -> DemoReport:
    with container.uow() as uow:
        units = build_org(uow)
        users = build_users(uow, units)
        uow.commit()
        unit_count = len(uow.units.all())
    data_dir = container.settings.resolved_data_dir()
    sample = data_dir / SAMPLE_FILE
    loaded = skipped = 0
    missing = None
    if sample.is_file():
        loaded, skipped = load_sample(container, sample, units, limit=limit)
    else:
        missing = str(sample)
    with container.uow() as uow:
        counts: dict[str, int] = {
            status: int(count)
            for status, count in uow.session.execute(
                select(ComplaintRow.status, func.count()).group_by(ComplaintRow.status)
            )
        }
    return DemoReport(unit_count, users, loaded, skipped, missing, counts)
