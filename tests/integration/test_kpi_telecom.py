"""Telecom KPIs (SPEC §7, §8.1) from the records: pre-processing levels, branch verdicts,
subscriber counts and the admin's thresholds."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from complaintdesk.bootstrap import Container
from complaintdesk.complaints import decisions as handling
from complaintdesk.complaints import service as svc
from complaintdesk.complaints.commands import command_for
from complaintdesk.complaints.vocabulary import Action, DispatchMode, Event, Status
from complaintdesk.evaluation import kpis
from complaintdesk.evaluation.service import Period
from complaintdesk.org import auth
from complaintdesk.org.model import UnitKind, UnitLevel
from complaintdesk.telecom import kpis as telecom_kpis
from complaintdesk.telecom import preprocessing as pre

PERIOD = Period(2026, 11)


def actor(container: Container, username: str) -> Any:
    with container.uow() as uow:
        user = uow.users.by_username(username)
        assert user is not None
        return auth.actor_for(uow, user)


def test_preprocessing_and_branch_figures_come_from_the_records(
    container: Container, org: dict[str, Any]
) -> None:
    now = container.clock.now()
    cal = container.calendar
    with container.uow() as uow:
        branch = uow.units.add(
            code="branch-a",
            name="A市分公司",
            level=UnitLevel.COUNTY,
            kind=UnitKind.BRANCH,
            parent=org["centre"],
        )
        uow.commit()
    operator, leader, admin = (actor(container, n) for n in ("operator", "leader", "admin"))
    ids = []
    for _ in range(4):
        with container.uow() as uow:
            filed = svc.file_complaint(
                uow,
                svc.FileComplaint(content="手机没有信号，无法通话"),
                actor=operator,
                now=now,
                calendar=cal,
            )
            svc.perform(
                uow, operator, filed.id, command_for(Action.ACCEPT, {}), now=now, calendar=cal
            )
            ids.append(filed.id)
    with container.uow() as uow:
        for cid, level in ((ids[0], 1), (ids[1], 2)):
            svc.perform(
                uow,
                operator,
                cid,
                command_for(
                    Action.RESOLVE_AT_INTAKE,
                    {"resolution": "基站故障已恢复，已发短信", "level": level},
                ),
                now=now,
                calendar=cal,
            )
        for cid in ids[2:]:
            handling.sign_off(
                uow,
                leader,
                cid,
                mode=DispatchMode.TRANSFER,
                unit_id=branch.id,
                opinion="同意",
                now=now,
                calendar=cal,
            )
            svc.perform(
                uow,
                actor(container, "dispatcher"),
                cid,
                command_for(
                    Action.DISPATCH, {"unit_id": branch.id, "mode": "transfer", "summary": "弱覆盖"}
                ),
                now=now,
                calendar=cal,
            )
        # The branch's verdict on the first ticket: network quality, fixed by optimisation.
        uow.complaints.append_events(
            ids[2],
            [
                Event(
                    Action.ADD_NOTE,
                    now,
                    admin.user_id,
                    Status.DISPATCHED,
                    Status.DISPATCHED,
                    data={"network_quality": True, "network_optimisation": True},
                )
            ],
        )
        uow.complaints.append_events(
            ids[2],
            [
                Event(
                    Action.REPLY,
                    now,
                    admin.user_id,
                    Status.IN_PROGRESS,
                    Status.REPLIED,
                    data={"channel": "phone"},
                )
            ],
        )
        uow.commit()
    with container.uow() as uow:
        telecom_kpis.set_subscribers(uow, admin, branch.id, PERIOD, 20_000, now=now)
        telecom_kpis.set_rules(
            uow,
            admin,
            Period(2026, 1),
            {
                "complaint_rate_threshold": Decimal("0.5"),
                "complaint_rate_penalty": Decimal(2),
                "resolution_threshold": Decimal("0.9"),
                "resolution_penalty": Decimal(3),
                "optimisation_threshold": Decimal("0.3"),
                "optimisation_bonus": Decimal(5),
                "callback_failure_points": Decimal(1),
            },
            6,
            now=now,
        )
    with container.uow() as uow:
        ctx = kpis.context(uow, leader, PERIOD, cal)
        result = telecom_kpis.telecom(uow, ctx)
        assert result["summary"] == {
            "tickets": 4,
            "preprocessed": 2,
            "success_rate": Decimal("50.00"),
            "branch_tickets": 2,
            "network_quality": 1,
            "dispatch_accuracy": Decimal("50.00"),
        }
        [row] = result["branches"]
        assert row["users"] == 20_000
        assert row["complaints_per_10k"] == Decimal("1.00")  # 2 × 10,000 ÷ 20,000
        assert row["resolution_rate"] == Decimal("50.00")
        assert row["optimisation_share"] == Decimal("50.00")
        # 1.00 > 0.5 → −2; 50% < 90% → −3; share 50% > 30% and rank 1 → +5.
        assert row["points"] == Decimal("0.00")
        assert (
            row["complaint_rate_penalty"],
            row["resolution_penalty"],
            row["optimisation_bonus"],
        ) == (Decimal("2.00"), Decimal("3.00"), Decimal("5.00"))
        accurate = kpis.drilldown(uow, ctx, "branch_network_quality", branch.id)
        assert [i["complaint_id"] for i in accurate["items"]] == [ids[2]]
        # ids[3] awaits the branch's verdict: received by the branch, so in the denominator.
        judged = kpis.drilldown(uow, ctx, "branch_judged", branch.id)
        assert [i["complaint_id"] for i in judged["items"]] == [ids[2]]
        # The pre-processing metrics are the dashboard's summary, by the same counting.
        for viewer in (leader, None):
            m = pre.metrics(uow, viewer, period=PERIOD)
            assert (m.total, m.level1, m.level2) == (4, 1, 1)
            assert (m.to_branch, m.branch_judged, m.branch_network_quality) == (2, 1, 1)
            assert m.branch_pending == 1
            assert (m.success_rate, m.dispatch_accuracy) == (Fraction(1, 2), Fraction(1, 2))
            assert telecom_kpis.summary_out(m) == result["summary"]
        window = pre.metrics(uow, leader, received_from=PERIOD.start, received_to=PERIOD.end)
        assert window == pre.metrics(uow, leader, period=PERIOD)
        assert pre.metrics(uow, leader, received_from=PERIOD.end).total == 0
        # Every telecom figure drills down to exactly the tickets it counts.
        counts = kpis.count_figures(uow, ctx, kpis.TELECOM_KEYS)
        assert counts["branch_resolved"] == {branch.id: 1}
        assert counts["preprocessed_level_2"] == {org["centre"].id: 1}
        for figure, per_unit in counts.items():
            for unit_id, n in per_unit.items():
                rows = kpis.drilldown(uow, ctx, figure, unit_id)
                assert rows["count"] == n == len(rows["items"]), figure
