"""`complaintdesk competency …` — Delphi weights and the default indicator tree (SPEC §8.3)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from complaintdesk.evaluation.competency import (
    DEFAULT_TREE,
    InvalidScores,
    LikertMatrix,
    analyse_delphi,
)
from complaintdesk.io import tables
from complaintdesk.kernel.figures import round_2dp

app = typer.Typer(
    help="岗位核心能力评价 / handler competency (Delphi weights, Kendall's W)",
    no_args_is_help=True,
)

EXIT_BAD_INPUT = 2
WEIGHT_DIGITS = 6
# A first column with one of these headers names the expert and is not scored.
EXPERT_HEADERS = {"expert", "experts", "name", "id", "专家", "专家姓名", "姓名", "编号", "序号"}


class BadScoreFile(Exception):
    """The score file cannot be read; the message is Chinese / English."""


@app.command()
def weights(
    scores: Annotated[
        Path,
        typer.Option(
            "--scores",
            help="专家评分表 .csv/.xlsx:每行一位专家,每列一个指标 / "
            "one row per expert, one column per indicator",
        ),
    ],
) -> None:
    """德尔菲法权重与肯德尔协调系数 / Delphi weights and Kendall's W."""
    try:
        matrix = read_likert_matrix(scores)
        result = analyse_delphi(matrix)
    except (BadScoreFile, InvalidScores) as error:
        typer.echo(f"错误 / error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    concordance = result.concordance
    output: dict[str, Any] = {
        "experts": concordance.experts,
        "indicators": list(matrix.indicators),
        "weights": {code: round(w, WEIGHT_DIGITS) for code, w in result.weights.items()},
        "kendall_w": _rounded(concordance.kendall_w),
        "chi2": _rounded(concordance.chi2),
        "df": concordance.df,
        "p_value": concordance.p_value,
        "method": "mean Likert importance normalised to 1; Kendall's W corrected for ties",
    }
    typer.echo(json.dumps(output, ensure_ascii=False))


@app.command()
def tree() -> None:
    """默认指标体系及组合权重 / the default indicator tree with combined weights (%)."""
    groups = []
    for group in DEFAULT_TREE.groups:
        indicators = [
            {
                "code": indicator.code,
                "name_zh": indicator.name_zh,
                "name_en": indicator.name_en,
                "weight_percent": float(indicator.weight_percent),
                "combined_weight_percent": float(round_2dp(group.combined_percent(indicator)) or 0),
                "published_combined_weight_percent": (
                    None
                    if indicator.published_combined_percent is None
                    else float(indicator.published_combined_percent)
                ),
            }
            for indicator in group.indicators
        ]
        groups.append(
            {
                "code": group.code,
                "name_zh": group.name_zh,
                "name_en": group.name_en,
                "weight_percent": float(group.weight_percent),
                "indicators": indicators,
            }
        )
    typer.echo(json.dumps({"source": "投诉信范文4 表2", "groups": groups}, ensure_ascii=False))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, WEIGHT_DIGITS)


# --- reading the score file -----------------------------------------------------------------


def read_likert_matrix(path: Path) -> LikertMatrix:
    """Read a .csv or .xlsx score table into a validated matrix."""
    table = _read_table(path)
    table = [row for row in table if any(_text(cell) for cell in row)]
    if not table:
        raise BadScoreFile(f"文件为空 / {path} is empty")
    header, body = [_text(cell) for cell in table[0]], table[1:]
    while header and not header[-1]:
        header.pop()
    first = 1 if _names_experts(header, body) else 0
    indicators = header[first:]
    if any(not name for name in indicators):
        raise BadScoreFile("表头有空的指标名称 / an indicator column has no name in the header")
    rows = []
    for line, row in enumerate(body, start=2):
        cells = list(row[first : len(header)])
        cells += [None] * (len(indicators) - len(cells))
        rows.append(tuple(_score(c, line, name) for c, name in zip(cells, indicators, strict=True)))
    return LikertMatrix(indicators=tuple(indicators), rows=tuple(rows))


def _read_table(path: Path) -> list[list[Any]]:
    """The header and the rows, read by the one table reader (complaintdesk.io.tables)."""
    if not path.is_file():
        raise BadScoreFile(f"找不到文件 / file not found: {path}")
    try:
        with tables.read_table(path) as table:
            return [list(table.header), *table.values()]
    except tables.TableError as error:
        raise BadScoreFile(str(error)) from None


def _names_experts(header: Sequence[str], body: Sequence[Sequence[Any]]) -> bool:
    """The first column names the experts if its header says so or it holds only text."""
    if not header:
        return False
    if header[0].strip().lower() in EXPERT_HEADERS:
        return True
    firsts = [_text(row[0]) if row else "" for row in body]
    return bool(firsts) and all(value and _number(value) is None for value in firsts)


def _score(cell: Any, line: int, indicator: str) -> int:
    text = _text(cell)
    where = f"第{line}行“{indicator}” / row {line}, '{indicator}'"
    if not text:
        raise BadScoreFile(f"{where}: 缺少评分 / missing score")
    number = _number(text)
    if number is None or number != int(number):
        raise BadScoreFile(f"{where}: 评分须为1–5的整数 / score {text!r} is not a whole number")
    if not 1 <= number <= 5:
        raise BadScoreFile(f"{where}: 评分 {text} 不在1–5之间 / score {text} is outside 1–5")
    return int(number)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()
