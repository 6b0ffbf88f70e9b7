"""`complaintdesk competency weights|tree` end to end through Typer, files on disk."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from complaintdesk.evaluation import cli as competency_cli

runner = CliRunner()


def run_weights(path: Path) -> Any:
    return runner.invoke(competency_cli.app, ["weights", "--scores", str(path)])


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_it_prints_weights_and_concordance_as_one_json_object(tmp_path: Path) -> None:
    # three experts order a > b > c alike: W = 1, χ² = m (n − 1) W = 3 × 2 = 6, p = e^−3
    # weights: column sums 14, 10, 5 of 29
    scores = write_csv(tmp_path / "s.csv", "专家,a,b,c\n张,5,3,1\n李,4,3,2\n王,5,4,2\n")
    result = run_weights(scores)
    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["weights"] == {"a": 0.482759, "b": 0.344828, "c": 0.172414}
    assert output["kendall_w"] == 1.0
    assert output["chi2"] == 6.0
    assert output["df"] == 2
    assert output["p_value"] == pytest.approx(math.exp(-3))
    assert output["experts"] == 3


def test_it_reads_an_excel_file_without_an_expert_column(tmp_path: Path) -> None:
    # rows 5 5 3 / 4 2 2 / 5 4 1 → mid-ranks 2.5 2.5 1 / 3 1.5 1.5 / 3 2 1
    # R = 8.5, 6, 3.5; mean 6; S = 6.25 + 0 + 6.25 = 12.5
    # ties: two pairs → Σ(t³ − t) = 6 + 6 = 12
    # W = 12 × 12.5 / (3² × (3³ − 3) − 3 × 12) = 150 / (216 − 36) = 0.833333
    # χ² = 3 × 2 × 0.833333 = 5, p = e^−2.5; weights 14/31, 11/31, 6/31
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (["沟通", "反思", "信息技术"], [5, 5, 3], [4, 2, 2], [5, 4, 1]):
        sheet.append(row)
    path = tmp_path / "s.xlsx"
    workbook.save(path)
    output = json.loads(run_weights(path).stdout)
    assert output["kendall_w"] == pytest.approx(0.833333)
    assert output["chi2"] == pytest.approx(5.0)
    assert output["p_value"] == pytest.approx(math.exp(-2.5))
    assert output["weights"]["沟通"] == pytest.approx(14 / 31, abs=1e-6)
    assert output["indicators"] == ["沟通", "反思", "信息技术"]


def test_it_rejects_a_non_numeric_score_in_chinese_and_english(tmp_path: Path) -> None:
    result = run_weights(write_csv(tmp_path / "s.csv", "expert,a,b\nx,5,high\ny,4,3\n"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "评分须为1–5的整数" in result.stderr and "not a whole number" in result.stderr
    assert "row 2, 'b'" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_rejects_a_score_outside_one_to_five(tmp_path: Path) -> None:
    result = run_weights(write_csv(tmp_path / "s.csv", "a,b\n5,6\n4,3\n"))
    assert result.exit_code == 2
    assert "不在1–5之间" in result.stderr and "outside 1–5" in result.stderr


def test_it_rejects_a_single_expert(tmp_path: Path) -> None:
    result = run_weights(write_csv(tmp_path / "s.csv", "expert,a,b\nx,5,4\n"))
    assert result.exit_code == 2
    assert "至少需要2位专家" in result.stderr and "at least 2 experts" in result.stderr


def test_it_rejects_a_single_indicator(tmp_path: Path) -> None:
    result = run_weights(write_csv(tmp_path / "s.csv", "expert,a\nx,5\ny,4\n"))
    assert result.exit_code == 2
    assert "at least 2 indicators" in result.stderr


def test_it_reports_a_missing_file_without_a_traceback(tmp_path: Path) -> None:
    result = run_weights(tmp_path / "missing.csv")
    assert result.exit_code == 2
    assert "找不到文件" in result.stderr and "file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_it_prints_the_default_tree_with_combined_weights() -> None:
    result = runner.invoke(competency_cli.app, ["tree"])
    assert result.exit_code == 0
    groups = json.loads(result.stdout)["groups"]
    indicators = {i["code"]: i for g in groups for i in g["indicators"]}
    assert len(groups) == 3 and len(indicators) == 11
    # 33.47 % × 30.16 % = 10.0946 % → 10.09; the source prints 10.10
    assert indicators["self_management"]["combined_weight_percent"] == 10.09
    assert indicators["self_management"]["published_combined_weight_percent"] == 10.10
    assert indicators["communication"]["combined_weight_percent"] == 11.55


def test_it_is_registered_on_the_main_command() -> None:
    from complaintdesk.cli import app

    result = runner.invoke(app, ["competency", "tree"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["source"] == "投诉信范文4 表2"
