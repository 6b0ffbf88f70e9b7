"""One repeat rule: filing one by one and bulk import link the same pairs (SQLite, PostgreSQL)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from complaintdesk.bootstrap import Container
from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.complaints.repository import NewComplainant
from complaintdesk.complaints.service import FileComplaint
from complaintdesk.complaints.tables import ComplaintRow
from complaintdesk.intake import importer, repeats
from complaintdesk.intake import service as intake

LAMP = "小区门口的路灯已经坏了一个多月，多次反映无人维修，晚上出行很不安全"
NOISE = "工地夜间施工噪音扰民，凌晨两点还在打桩，严重影响休息"
MARKET = "菜市场周边占道经营严重，早高峰车辆无法通行，请城管尽快处理"
CLINIC = "社区医院挂号排队时间过长，窗口只开一个，老人站了两个小时"

HEADER = ["编号", "用户", "姓名", "电话", "邮箱", "时间", "内容"]
MAPPING = "ref=编号,user=用户,name=姓名,phone=电话,email=邮箱,time=时间,content=内容"
# ref, user, name, phone, e-mail, received (Shanghai), text — in file (and filing) order
ROWS: list[tuple[str, str, str, str, str, str, str]] = [
    ("1", "", "李明", "", "Li.Ming@Example.com", "2026-11-01 10:00:00", LAMP),
    ("2", "", "王芳", "13800000001", "", "2026-11-01 11:00:00", NOISE),
    # only the e-mail address is shared with 1 (written in another case)
    ("3", "", "李明", "13900000009", "li.ming@example.com", "2026-11-03 09:00:00", LAMP + "！"),
    ("4", "U7", "", "", "", "2026-11-04 09:00:00", MARKET),
    # the phone of 2, the user of 4: the text decides which
    ("5", "U7", "", "13800000001", "", "2026-11-05 09:00:00", NOISE + "。"),
    ("6", "U7", "", "", "", "2026-11-06 09:00:00", MARKET + "。"),
    ("7", "", "", "", "LI.MING@example.com", "2026-11-07 09:00:00", LAMP),
    # the phone of 3, itself a repeat: linked to the chain's root, 1
    ("8", "", "", "13900000009", "", "2026-11-08 09:00:00", LAMP + "！！"),
    # the same contact, another matter
    ("9", "", "", "", "li.ming@example.com", "2026-11-09 09:00:00", CLINIC),
    # the same text, another contact
    ("10", "", "", "13700000000", "", "2026-11-10 09:00:00", LAMP),
    # the same contact and text, more than 90 days apart
    ("11", "U9", "", "", "", "2026-07-01 09:00:00", CLINIC),
    ("12", "U9", "", "", "", "2026-11-02 09:00:00", CLINIC),
]
EXPECTED = {"3": "1", "5": "2", "6": "4", "7": "1", "8": "1"}


def repeat_pairs(container: Container, prefix: str) -> dict[str, str]:
    """Repeat ref → original ref, refs without the ``<source>:`` prefix."""
    with container.uow() as uow:
        rows = uow.session.execute(
            select(ComplaintRow.id, ComplaintRow.external_ref, ComplaintRow.repeat_of_id)
        ).all()
    ref = {r.id: str(r.external_ref).removeprefix(prefix) for r in rows}
    return {ref[r.id]: ref[r.repeat_of_id] for r in rows if r.repeat_of_id is not None}


def file_one_by_one(container: Container, tmp_path: Path) -> dict[str, str]:
    for ref, user, name, phone, email, at, text in ROWS:
        with container.uow() as uow:
            intake.register(
                uow,
                intake.Intake(
                    FileComplaint(
                        content=text,
                        complainant=NewComplainant(
                            name=name or None,
                            phone=phone or None,
                            email=email or None,
                            external_user=user or None,
                        ),
                        received_at=datetime.fromisoformat(at).replace(tzinfo=SHANGHAI),
                        external_ref=f"file:{ref}",
                    )
                ),
                actor=None,
                now=container.clock.now(),
                calendar=container.calendar,
                attachments_dir=tmp_path,
                default_unit_id=uow.units.default_centre().id,
            )
    return repeat_pairs(container, "file:")


def import_file(container: Container, tmp_path: Path) -> tuple[dict[str, str], int]:
    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *ROWS])
    report = importer.import_rows(
        container,
        importer.read_table(path),
        importer.ImportOptions(mapping=importer.parse_mapping(MAPPING)),
    )
    assert report.errors == [] and report.imported == len(ROWS)
    return repeat_pairs(container, "import:"), report.repeats


def test_the_rule_keys_a_contact_by_phone_lower_cased_email_and_user() -> None:
    contact = repeats.contact(" 138 ", " Li.Ming@Example.COM ", " U7 ")
    assert repeats.contact_keys(contact) == ["p:138", "e:li.ming@example.com", "u:U7"]
    assert contact == repeats.contact_of(
        NewComplainant(phone=" 138 ", email=" Li.Ming@Example.COM ", external_user=" U7 ")
    )
    assert repeats.contact_keys(repeats.contact(None, " ", "")) == []
    assert repeats.stored_keys(None, "A@B.cn", None) == ["e:a@b.cn"]


def test_filing_finds_the_repeat_pairs(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    assert file_one_by_one(container, tmp_path) == EXPECTED


@pytest.mark.parametrize("batch", [2, 5, importer.BATCH])
def test_bulk_import_finds_the_same_repeat_pairs_as_filing(
    container: Container,
    org: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    batch: int,
) -> None:
    # small batches compare with stored complaints, one batch with itself
    monkeypatch.setattr(importer, "BATCH", batch)
    pairs, count = import_file(container, tmp_path)
    assert pairs == EXPECTED
    assert count == len(EXPECTED)


def test_filed_and_imported_complaints_repeat_each_other(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    """Filed first, then the same rows imported: each imported row repeats (the chain root
    of) its filed twin — the import sees what filing stored, e-mail-only contacts included."""
    assert file_one_by_one(container, tmp_path) == EXPECTED
    import_file(container, tmp_path)
    pairs = repeat_pairs(container, "")
    imported = {k.removeprefix("import:"): v for k, v in pairs.items() if k.startswith("import:")}
    assert imported == {ref: f"file:{EXPECTED.get(ref, ref)}" for ref, *_ in ROWS}
