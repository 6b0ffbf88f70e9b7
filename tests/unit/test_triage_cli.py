"""`complaintdesk model train|predict|evaluate|cv` through Typer's runner, including bad input."""

from __future__ import annotations

import csv
import json
import os
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from complaintdesk.cli import app

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("COMPLAINTDESK_DATA_DIR", REPO.parent / "shared" / "data"))
SAMPLE = DATA_DIR / "teddycup2020c" / "fj2_sample_495.csv"
runner = CliRunner()


@pytest.fixture(scope="module")
def sample_rows() -> list[dict[str, str]]:
    if not SAMPLE.is_file():
        pytest.skip(f"real data not found at {SAMPLE} (set COMPLAINTDESK_DATA_DIR)")
    with SAMPLE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    random.Random(3).shuffle(rows)  # the file is sorted by label
    return rows


def _write(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, sample_rows: list[dict[str, str]]) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    data = _write(folder / "train.csv", sample_rows[:300], encoding="gb18030")
    model = folder / "m.joblib"
    result = runner.invoke(
        app,
        [
            "model",
            "train",
            "--data",
            str(data),
            "--text",
            "留言主题",
            "--text",
            "留言详情",
            "--label",
            "一级标签",
            "--out",
            str(model),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"] == 300 and summary["size_mb"] < 50
    return model


def test_predict_adds_label_confidence_and_top3(
    trained: Path, sample_rows: list[dict[str, str]], tmp_path: Path
) -> None:
    data = _write(tmp_path / "new.csv", sample_rows[300:340])
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app,
        [
            "model",
            "predict",
            "--model",
            str(trained),
            "--data",
            str(data),
            "--text",
            "留言主题",
            "--text",
            "留言详情",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 40
    assert rows[0]["留言编号"] == sample_rows[300]["留言编号"]
    assert 0 < float(rows[0]["confidence"]) <= 1
    assert len(json.loads(rows[0]["top3"])) == 3


def test_evaluate_prints_one_json_object(
    trained: Path, sample_rows: list[dict[str, str]], tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    columns = list(sample_rows[0])
    sheet.append(columns)
    for row in sample_rows[300:]:
        sheet.append([row[c] for c in columns])
    book.save(tmp_path / "held_out.xlsx")
    result = runner.invoke(
        app,
        [
            "model",
            "evaluate",
            "--model",
            str(trained),
            "--data",
            str(tmp_path / "held_out.xlsx"),
            "--text",
            "留言主题",
            "--text",
            "留言详情",
            "--label",
            "一级标签",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= {"macro_f1", "accuracy", "top3_accuracy", "per_class", "rows_per_second"}
    assert report["accuracy"] > 0.5  # 7 classes: chance is well below
    assert report["rows"] == len(sample_rows) - 300


def test_cv_averages_folds_and_times_training(
    sample_rows: list[dict[str, str]], tmp_path: Path
) -> None:
    data = _write(tmp_path / "cv.csv", sample_rows[:120])
    result = runner.invoke(
        app,
        [
            "model",
            "cv",
            "--data",
            str(data),
            "--text",
            "留言主题",
            "--label",
            "一级标签",
            "--folds",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["folds"] == 3 and report["train_seconds"] > 0
    assert 0 < report["macro_f1"] <= 1


def _bad(args: list[str]) -> str:
    result = runner.invoke(app, ["model", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return result.stderr


def test_a_missing_column_is_a_clear_bilingual_error(
    sample_rows: list[dict[str, str]], tmp_path: Path
) -> None:
    data = _write(tmp_path / "d.csv", sample_rows[:20])
    message = _bad(["cv", "--data", str(data), "--text", "内容", "--label", "一级标签"])
    assert "缺少列" in message and "missing column" in message and "内容" in message


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("text,label\n", encoding="utf-8")
    message = _bad(
        [
            "train",
            "--data",
            str(tmp_path / "empty.csv"),
            "--text",
            "text",
            "--label",
            "label",
            "--out",
            str(tmp_path / "m.joblib"),
        ]
    )
    assert "没有数据行" in message and "no data rows" in message


def test_a_single_class_is_refused(tmp_path: Path) -> None:
    (tmp_path / "one.csv").write_text("text,label\n甲,A\n乙,A\n", encoding="utf-8")
    message = _bad(
        [
            "train",
            "--data",
            str(tmp_path / "one.csv"),
            "--text",
            "text",
            "--label",
            "label",
            "--out",
            str(tmp_path / "m.joblib"),
        ]
    )
    assert "只有一个类别" in message and "only one class" in message


def test_an_unreadable_encoding_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_bytes(b"text,label\n\xff\xfe\xff\xff,A\n")
    message = _bad(
        ["cv", "--data", str(tmp_path / "bad.csv"), "--text", "text", "--label", "label"]
    )
    assert "编码" in message and "encoding" in message


def test_a_missing_model_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("text,label\n甲,A\n乙,B\n", encoding="utf-8")
    message = _bad(
        [
            "evaluate",
            "--model",
            str(tmp_path / "nope.joblib"),
            "--data",
            str(tmp_path / "d.csv"),
            "--text",
            "text",
            "--label",
            "label",
        ]
    )
    assert "模型文件不存在" in message and "model file not found" in message
