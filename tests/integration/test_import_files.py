"""Bulk import of real Teddy Cup files and hand-made bad ones, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from complaintdesk.audit import service as audit
from complaintdesk.bootstrap import Container
from complaintdesk.complaints.tables import ComplaintEventRow, ComplaintRow
from complaintdesk.config import Settings
from complaintdesk.intake import importer
from complaintdesk.kernel.errors import InvalidInput

SAMPLE = Settings().resolved_data_dir() / "teddycup2020c" / "fj2_sample_495.csv"
HEADER = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签"]


def counts(container: Container) -> tuple[int, int]:
    with container.uow() as uow:
        complaints = uow.session.scalar(select(func.count(ComplaintRow.id)))
        events = uow.session.scalar(select(func.count(ComplaintEventRow.id)))
    return int(complaints or 0), int(events or 0)


def run(container: Container, path: Path, **options: Any) -> importer.ImportReport:
    table = importer.read_table(path)
    return importer.import_rows(container, table, importer.ImportOptions(**options))


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.mark.skipif(not SAMPLE.is_file(), reason="shared Teddy Cup data not present")
def test_the_teddy_cup_sample_imports_once_and_a_second_import_adds_nothing(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    copy = tmp_path / SAMPLE.name
    shutil.copy(SAMPLE, copy)
    first = run(container, copy)
    assert first.errors == []
    # the sample repeats one 留言编号: it is counted, not imported twice
    assert first.duplicates_in_file == 1
    assert first.imported == 494
    assert counts(container)[0] == 494
    complaints, events = counts(container)
    assert events == complaints + first.repeats  # one file event each, plus repeat links
    again = run(container, copy)
    assert again.imported == 0 and again.already_present == 494
    assert counts(container) == (complaints, events)
    with container.uow() as uow:
        row = uow.session.scalar(
            select(ComplaintRow).where(ComplaintRow.external_ref == "import:24")
        )
        assert row is not None
        assert row.title == "A市西湖建筑集团占道施工有安全隐患"
        assert row.department_label == "城乡建设"
        assert row.channel == "import" and row.status == "registered"
        assert row.content.startswith("A3区大道西行便道")  # the scraped padding is gone
        assert row.due_at is not None and row.tracking_no.startswith("TS20261130-")
        # hundreds of events chained in one commit (PostgreSQL writes them with COPY)
        verdict = audit.verify(uow)
    assert verdict.ok and verdict.checked == events, verdict.message


def test_a_gbk_file_with_bad_rows_stores_nothing_and_reports_every_row_then_imports_corrected(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "gbk.csv",
        [
            [1, "U1", "路灯不亮", "2026-11-01 10:00:00", "小区路灯坏了一个月无人维修", "城乡建设"],
            [2, "U2", "空内容", "2026-11-01 10:00:00", "   ", ""],
            [3, "U3", "时间错", "下周一", "投诉内容正常", ""],
            [4, "U4", "未来", "2030-01-01 00:00:00", "投诉内容正常", ""],
            [5, "U5", "超长", "2026-11-01 10:00:00", "长" * 1_000_000, ""],
            [6, "U6", "二进制", "2026-11-01 10:00:00", "\x01\x02\x03\x04\x05\x06\x07", ""],
            [7, "U7", "<script>alert(1)</script>", "2026/11/02 08:00", "'; DROP TABLE x; --", ""],
        ],
        encoding="gb18030",
    )
    report = run(container, path)
    assert report.encoding == "gb18030"
    assert report.imported == 0 and not report.stored
    assert "未保存任何数据" in report.message and "nothing was stored" in report.message
    assert counts(container) == (0, 0)
    assert [e.row for e in report.errors] == [3, 4, 5, 6, 7]
    assert "不能为空" in report.errors[0].reason
    assert "无法识别" in report.errors[1].reason
    assert "future" in report.errors[2].reason
    assert "过长" in report.errors[3].reason
    assert "二进制" in report.errors[4].reason
    out = tmp_path / "errors.csv"
    importer.write_error_report(out, report.errors)
    lines = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert lines[0][0].startswith("行号") and lines[1][0] == "3"
    corrected = write_csv(
        tmp_path / "gbk-corrected.csv",
        [
            [1, "U1", "路灯不亮", "2026-11-01 10:00:00", "小区路灯坏了一个月无人维修", "城乡建设"],
            [7, "U7", "<script>alert(1)</script>", "2026/11/02 08:00", "'; DROP TABLE x; --", ""],
        ],
        encoding="gb18030",
    )
    again = run(container, corrected)
    assert again.stored and again.imported == 2
    with container.uow() as uow:
        titles = set(uow.session.scalars(select(ComplaintRow.title)))
    assert titles == {"路灯不亮", "<script>alert(1)</script>"}


def test_an_xlsx_with_its_own_layout_imports_through_a_column_mapping(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["编号", "来电号码", "事由", "受理日期"])
    sheet.append(["A-1", "13812345678", "窗口人员推诿扯皮，三次让我回去补材料", "2026-11-20"])
    sheet.append(["A-2", "13812345678", "窗口人员推诿扯皮，三次让我回去补材料！", "2026-11-25"])
    path = tmp_path / "hotline.xlsx"
    book.save(path)
    with pytest.raises(InvalidInput):
        run(container, path)  # no 留言详情 column and no mapping
    report = run(
        container,
        path,
        mapping=importer.parse_mapping("ref=编号,phone=来电号码,content=事由,time=受理日期"),
        source="hotline",
    )
    assert report.imported == 2 and report.repeats == 1
    with container.uow() as uow:
        rows = uow.session.execute(
            select(ComplaintRow.id, ComplaintRow.repeat_of_id, ComplaintRow.external_ref).order_by(
                ComplaintRow.id
            )
        ).all()
    assert rows[1].repeat_of_id == rows[0].id
    assert rows[0].external_ref == "hotline:A-1"


def test_a_malformed_spreadsheet_is_refused_before_anything_is_stored(
    container: Container, org: dict[str, Any], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InvalidInput, match="无法读取Excel文件"):
        run(container, broken)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 50)
    with pytest.raises(InvalidInput):
        run(container, binary)
    assert counts(container) == (0, 0)


def test_the_import_command_shows_progress_and_writes_an_error_report(
    container: Container, org: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from complaintdesk.cli import app
    from complaintdesk.config import get_settings

    path = write_csv(
        tmp_path / "cli.csv",
        [[1, "U1", "标题", "2026-11-01 10:00:00", "内容一", ""], [2, "U2", "", "", "", ""]],
    )
    monkeypatch.setenv("COMPLAINTDESK_DATABASE_URL", container.settings.database_url)
    get_settings.cache_clear()
    monkeypatch.chdir(tmp_path)
    fixed = write_csv(
        tmp_path / "fixed.csv", [[1, "U1", "标题", "2026-11-01 10:00:00", "内容一", ""]]
    )
    try:
        result = CliRunner().invoke(app, ["import", str(path)])
        stored_after_refusal = counts(container)
        again = CliRunner().invoke(app, ["import", str(fixed)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert "未保存任何数据" in result.output and "nothing was stored" in result.output
    assert (tmp_path / "cli.errors.csv").is_file()
    assert stored_after_refusal == (0, 0)
    assert again.exit_code == 0, again.output
    assert "imported: 1" in again.output
    refused = CliRunner().invoke(app, ["import", str(tmp_path / "missing.csv")])
    assert refused.exit_code == 2


def test_an_import_in_several_batches_links_repeats_and_keeps_the_audit_chain_intact(
    container: Container, org: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH", 2)
    letter = "小区门口的路灯已经坏了一个多月，多次反映无人维修，晚上出行很不安全"
    first = run(
        container,
        write_csv(
            tmp_path / "first.csv",
            [
                [1, "U1", "路灯", "2026-11-01 10:00:00", letter, ""],
                [2, "U2", "噪音", "2026-11-01 11:00:00", "工地夜间施工噪音扰民", ""],
                [3, "U1", "路灯", "2026-11-02 10:00:00", letter + "。", ""],  # next batch
                [4, "U1", "路灯", "2026-11-02 12:00:00", letter + "！", ""],  # same batch as 3
                [5, "U3", "其他", "2026-11-02 13:00:00", letter, ""],  # another contact
            ],
        ),
    )
    second = run(
        container,
        write_csv(
            tmp_path / "second.csv",
            [[6, "U1", "路灯", "2026-11-20 09:00:00", letter + "！！", ""]],
        ),
    )
    assert (first.imported, first.repeats, second.imported, second.repeats) == (5, 2, 1, 1)
    with container.uow() as uow:
        rows = {
            r.external_ref: r
            for r in uow.session.execute(
                select(ComplaintRow.id, ComplaintRow.external_ref, ComplaintRow.repeat_of_id)
            )
        }
        original = rows["import:1"].id
        # every repeat points at the first complaint of its chain, in a batch or stored
        assert [rows[f"import:{n}"].repeat_of_id for n in range(1, 7)] == [
            None,
            None,
            original,
            original,
            None,
            original,
        ]
        actions = uow.session.execute(
            select(ComplaintEventRow.complaint_id, ComplaintEventRow.action)
        ).all()
    assert sorted(a for _, a in actions) == ["file"] * 6 + ["link_repeat"] * 3
    assert len({c for c, a in actions if a == "file"}) == 6
    with container.uow() as uow:
        verdict = audit.verify(uow)
    assert verdict.ok, verdict.message
    assert verdict.checked == 9  # one entry per event


def test_a_database_failure_in_a_later_batch_stores_nothing_of_the_import(
    container: Container, org: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import update
    from sqlalchemy.exc import IntegrityError

    monkeypatch.setattr(importer, "BATCH", 2)
    run(container, write_csv(tmp_path / "one.csv", [[1, "U1", "a", "", "第一件投诉", ""]]))
    with container.uow() as uow:
        taken = uow.session.scalar(select(ComplaintRow.tracking_no))
        assert taken is not None and taken.endswith("-000001")
        # a complaint already holds the number the second batch will be given
        uow.session.execute(update(ComplaintRow).values(tracking_no=taken[:-1] + "4"))
        uow.commit()
    rows = [[n, f"U{n}", "t", "", f"第{n}件不同的投诉内容", ""] for n in range(2, 6)]
    with pytest.raises(IntegrityError):
        run(container, write_csv(tmp_path / "four.csv", rows))
    assert counts(container) == (1, 1)
    with container.uow() as uow:
        verdict = audit.verify(uow)
    assert verdict.ok and verdict.checked == 1, verdict.message
