"""Demo data: an org tree like SPEC §8.2, users with contacts, a routing model and the real
Teddy Cup sample complaints as three months of a centre's work.

The complaints are walked through the real services in time order (``demo.story``), so
every state they end in has the events that lead there, and the sweep of the statutory
clock supervises what is late. Running the demo twice adds nothing the second time.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from complaintdesk.bootstrap import Container
from complaintdesk.clock.sweep import SweepReport, sweep
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.complaints.vocabulary import Channel
from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.demo.routing import (
    DEFAULT_MODEL_PATH,
    TRAINING_FILE,
    DemoModel,
    train_demo_model,
)
from complaintdesk.demo.story import (
    Cast,
    Replay,
    ReplayReport,
    Story,
    ending_for,
    ensure_queues,
    stages_for,
    working_age,
)
from complaintdesk.demo.timeline import receipt_times
from complaintdesk.org import auth
from complaintdesk.org.model import Actor, EvaluationCategory, Role, Unit, UnitKind, UnitLevel
from complaintdesk.org.tables import UserRow
from complaintdesk.triage.facade import READ_LIMIT, ModelTriage, Triage
from complaintdesk.triage.text import join_fields

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
    model: DemoModel | None = None
    # Where the routing model came from: a path, "configured …", "no data at …" or "skipped".
    model_note: str = "skipped"
    replay: ReplayReport | None = None
    sweep: SweepReport | None = None


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


def give_contacts(uow: SqlUnitOfWork) -> int:
    """An e-mail address and a mobile number for every demo user without them, so the
    worker's reminders and supervision notices have somewhere to go. Reserved example
    addresses (RFC 2606 ``example.com``) and 1380000xxxx numbers: nothing real is reached."""
    given = 0
    for user in uow.session.scalars(select(UserRow).order_by(UserRow.id)):
        if user.email is None:
            user.email = f"{user.username}@example.com"
            given += 1
        if user.phone is None:
            user.phone = f"1380000{user.id % 10_000:04d}"
    uow.session.flush()
    return given


CHANNELS = [Channel.WEB] * 3 + [Channel.PHONE] * 2 + [Channel.LETTER, Channel.WALK_IN]


# The newest few: this morning's calls waiting to be routed (the ones the model is least
# sure of, so a dispatcher decides), an important one waiting for the leader's instruction.
FRESH_ENDINGS = ["accepted", "instructing", "accepted", "registered", "accepted"]


def _least_sure_last(rows: list[dict[str, str]], triage: Triage | None) -> list[dict[str, str]]:
    """Move the messages the model routes least surely (below its threshold) to the end."""
    model = getattr(triage, "model", None)
    if not isinstance(triage, ModelTriage) or model is None or len(rows) < 20:
        return rows
    texts = [
        join_fields([r.get("留言主题") or "", r.get("留言详情") or ""])[:READ_LIMIT] for r in rows
    ]
    confidence = [p.confidence for p in model.predict(texts, k=1)]
    slots = FRESH_ENDINGS.count("accepted")
    lowest = sorted(range(len(rows)), key=lambda i: confidence[i])[:slots]
    unsure = {i for i in lowest if confidence[i] < triage.threshold}
    moved = [rows[i] for i in sorted(unsure)]
    rest = [r for i, r in enumerate(rows) if i not in unsure]
    cut = len(rows) - len(FRESH_ENDINGS)
    head, tail = rest[:cut], rest[cut:]  # tail: one row for every slot not taken by `moved`
    for ending in FRESH_ENDINGS:
        head.append(moved.pop(0) if ending == "accepted" and moved else tail.pop(0))
    return head


def load_sample(
    container: Container,
    path: Path,
    units: dict[str, Unit],
    *,
    limit: int | None = None,
    seed: int = 20261129,
    days: int = 40,
    triage: Triage | None = None,
    history_sweeps: bool = False,
) -> tuple[int, int]:
    """Load the real sample messages as the last ``days`` of a centre (see ``demo.story``),
    without the sweeps of the past (the caller runs the worker). Returns (loaded, already
    there). The demo itself uses :func:`replay_sample` over three months."""
    loaded, skipped, _ = replay_sample(
        container,
        path,
        units,
        limit=limit,
        seed=seed,
        days=days,
        triage=triage,
        history_sweeps=history_sweeps,
    )
    return loaded, skipped


def replay_sample(
    container: Container,
    path: Path,
    units: dict[str, Unit],
    *,
    limit: int | None = None,
    seed: int = 20261129,
    days: int = 90,
    triage: Triage | None = None,
    history_sweeps: bool = False,
) -> tuple[int, int, ReplayReport]:
    rng = random.Random(seed)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if limit is not None:
        rows = rows[:limit]
    # The real messages keep their order (oldest first), spread over the last ``days``.
    rows.sort(key=lambda r: r.get("留言时间", ""))
    rows = _least_sure_last(rows, triage)
    now = container.clock.now()
    with container.uow() as uow:
        known = set(
            uow.session.scalars(
                select(ComplaintRow.external_ref).where(ComplaintRow.external_ref.like("fj2:%"))
            )
        )
        cast = Cast(
            operator=_actor(uow, "operator"),
            dispatcher=_actor(uow, "dispatcher"),
            leader=_actor(uow, "leader"),
            deputy=_actor(uow, "deputy"),
            callback=_actor(uow, "callback"),
            handlers={code: _actor(uow, f"handler-{code}") for code in LABEL_TO_BUREAU.values()},
            units=units,
            bureau_of=lambda label: LABEL_TO_BUREAU.get(label, "housing"),
        )
    channels = [rng.choice(CHANNELS) for _ in rows]
    fresh = len(rows) - len(FRESH_ENDINGS)
    for index in range(max(fresh, 0), len(rows)):
        if FRESH_ENDINGS[index - fresh] == "accepted":
            channels[index] = Channel.PHONE
    received = receipt_times(
        now,
        len(rows),
        container.calendar,
        rng,
        days=days,
        anytime=[c is Channel.WEB for c in channels],
    )
    stories: list[Story] = []
    for index, (row, channel, at) in enumerate(zip(rows, channels, received, strict=True)):
        ref = f"fj2:{row.get('留言编号', index)}"
        if ref in known:
            continue
        if index >= fresh:
            ending = FRESH_ENDINGS[index - fresh]
        else:
            ending = ending_for(working_age(at, now, container.calendar), rng)
        important = ending == "instructing" or rng.random() < 0.04
        stories.append(
            Story(
                ref=ref,
                title=(row.get("留言主题") or "").strip(),
                content=row.get("留言详情") or row.get("留言主题") or "",
                external_user=row.get("留言用户"),
                received=at,
                channel=channel,
                label=(row.get("一级标签") or "").strip(),
                ending=ending,
                important=important,
                phone=f"1380000{index % 10_000:04d}" if channel is Channel.PHONE else None,
                stages=stages_for(
                    ending, routed=channel is Channel.WEB, important=important, rng=rng
                ),
            )
        )
    ensure_queues(stories, now, container.calendar, rng)
    replay = Replay(container, cast, rng, now=now, triage=triage)
    report = replay.run(stories, history_sweeps=history_sweeps)
    return len(stories), len(rows) - len(stories), report


def _routing(
    container: Container,
    data_dir: Path,
    model_path: Path | None,
    progress: Callable[[str], None] | None,
) -> tuple[DemoModel | None, Triage | None, str]:
    """The model the demo files its complaints with, and a line saying where it came from.

    A model the settings already name (``COMPLAINTDESK_TRIAGE_MODEL``) is used as it is,
    never overwritten; otherwise one is trained (or reused) at ``model_path``."""
    threshold = container.settings.triage_threshold
    configured = container.settings.triage_model
    if configured is not None and configured.is_file() and model_path is None:
        return None, container.triage, f"configured {configured}"
    path = model_path or configured or DEFAULT_MODEL_PATH
    model = train_demo_model(data_dir, path, progress)
    if model is None:
        return None, None, f"no data at {data_dir / TRAINING_FILE}"
    return model, ModelTriage(model.model, threshold), str(path)


def run_demo(
    container: Container,
    *,
    limit: int | None = None,
    train_model: bool = True,
    model_path: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoReport:
    """Org tree, users with contacts, a routing model (unless ``train_model`` is False),
    three months of sample complaints, then the worker's sweep at ``now``."""
    with container.uow() as uow:
        units = build_org(uow)
        users = build_users(uow, units)
        give_contacts(uow)
        uow.commit()
        unit_count = len(uow.units.all())
        first_load = (
            uow.session.scalar(
                select(func.count())
                .select_from(ComplaintRow)
                .where(ComplaintRow.external_ref.like("fj2:%"))
            )
            == 0
        )
    data_dir = container.settings.resolved_data_dir()
    model: DemoModel | None = None
    triage: Triage | None = None
    model_note = "skipped"
    if train_model:
        model, triage, model_note = _routing(container, data_dir, model_path, progress)
    sample = data_dir / SAMPLE_FILE
    loaded = skipped = 0
    missing = None
    replay: ReplayReport | None = None
    if sample.is_file():
        # The sweeps of the past run only on a first load: on an existing database they
        # could add steps older than what has happened since.
        loaded, skipped, replay = replay_sample(
            container, sample, units, limit=limit, triage=triage, history_sweeps=first_load
        )
    else:
        missing = str(sample)
    swept = sweep(
        container.session_factory,
        container.calendar,
        container.clock.now(),
        reminder_working_days=container.settings.reminder_working_days,
    )
    with container.uow() as uow:
        counts: dict[str, int] = {
            status: int(count)
            for status, count in uow.session.execute(
                select(ComplaintRow.status, func.count()).group_by(ComplaintRow.status)
            )
        }
    return DemoReport(
        unit_count,
        users,
        loaded,
        skipped,
        missing,
        counts,
        model=model,
        model_note=model_note,
        replay=replay,
        sweep=swept,
    )
