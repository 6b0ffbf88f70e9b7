"""`complaintdesk model ...`: train, predict, evaluate and cross-validate the routing model.

The command names and options are a stable interface (users' scripts call them). Progress goes
to stderr, the JSON result alone to stdout; bad input exits with code 2 and a bilingual message.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from complaintdesk.triage.archive import DataError, Table, read_table, write_table

app = typer.Typer(
    help="分派模型：训练、预测、评估、交叉验证 / routing model: train, predict, evaluate, cv",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

DataOpt = Annotated[
    list[Path],
    typer.Option(
        "--data", help="CSV 或 XLSX 文件，可重复（如档案 + 派单员更正）/ .csv or .xlsx, repeatable"
    ),
]
TextOpt = Annotated[
    list[str],
    typer.Option(
        "--text", help="文本列，可重复以拼接（如 留言主题 与 留言详情）/ text column, repeatable"
    ),
]
LabelOpt = Annotated[str, typer.Option("--label", help="标签列 / label column")]
ModelOpt = Annotated[Path, typer.Option("--model", help="模型文件 / model file")]
T = TypeVar("T")


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _fail(zh: str, en: str) -> NoReturn:
    typer.echo(f"错误：{zh}\nError: {en}", err=True)
    raise typer.Exit(code=2)


def _guard(action: Callable[[], T]) -> T:
    """Turn every expected failure into a bilingual message and exit code 2, no traceback."""
    from complaintdesk.triage.model import TrainingDataError

    try:
        return action()
    except (DataError, TrainingDataError) as exc:
        _fail(exc.zh, exc.en)
    except (OSError, ValueError, KeyError, EOFError) as exc:
        _fail(f"无法处理输入：{exc}", f"cannot process the input: {exc}")


def _emit(result: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _load_tables(paths: list[Path]) -> list[Table]:
    tables = [read_table(p) for p in paths]
    _say(f"read {sum(len(t.rows) for t in tables)} rows from {len(paths)} file(s) / 已读取")
    return tables


def _labelled(paths: list[Path], text: list[str], label: str) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for table in _load_tables(paths):
        for t, lab in zip(table.texts(text), table.labels(label), strict=True):
            if lab and t.strip():
                texts.append(t)
                labels.append(lab)
    if not texts:
        raise DataError("没有同时含文本和标签的行", "no row has both text and a label")
    if len(set(labels)) < 2:
        raise DataError(
            f"标签列 {label} 只有一个类别，无法训练或评估",
            f"label column {label} has only one class; cannot train or evaluate",
        )
    return texts, labels


def _load_model(path: Path) -> Any:
    from complaintdesk.triage.model import RoutingModel

    if not path.is_file():
        raise DataError(f"模型文件不存在：{path}", f"model file not found: {path}")
    try:
        return RoutingModel.load(path)
    except Exception as exc:  # a corrupt pickle can raise almost anything
        raise DataError(
            f"无法读取模型文件：{path}（{exc}）", f"cannot read model file: {path} ({exc})"
        ) from exc


def _train_and_report(
    texts: list[str], labels: list[str], text: list[str], label: str, out: Path, **extra: Any
) -> None:
    """Train, save to `out` and print the model's figures as one JSON object."""
    from complaintdesk.triage.model import RoutingModel, file_sha256

    model = RoutingModel.train(texts, labels, progress=_say)
    model.metadata["text_columns"] = text
    model.metadata["label_column"] = label
    model.metadata.update(extra)
    size = model.save(out)
    _say(f"saved {out} ({size / 1e6:.1f} MB) / 模型已保存")
    meta = model.metadata
    _emit(
        {
            "model": str(out),
            "size_mb": round(size / 1e6, 2),
            "sha256": file_sha256(out),
            "rows": meta["rows"],
            **extra,
            "labels": meta["labels"],
            "train_seconds": meta["train_seconds"],
            "metrics": meta["metrics"],
            "data_hash": meta["data_hash"],
            "created_at": meta["created_at"],
        }
    )


@app.command()
def train(
    data: DataOpt, text: TextOpt, label: LabelOpt, out: Annotated[Path, typer.Option("--out")]
) -> None:
    """训练分派模型 / train a routing model from an archive (plus corrections)."""

    def run() -> None:
        texts, labels = _labelled(data, text, label)
        _train_and_report(texts, labels, text, label, out)

    _guard(run)


@app.command()
def predict(
    model: ModelOpt, data: DataOpt, text: TextOpt, out: Annotated[Path, typer.Option("--out")]
) -> None:
    """预测并写出 predicted_label、confidence、top3 / add predictions to every row."""

    def run() -> None:
        routing = _load_model(model)
        columns: list[str] = []
        rows: list[dict[str, object]] = []
        texts: list[str] = []
        for table in _load_tables(data):
            texts += table.texts(text)
            columns += [c for c in table.columns if c not in columns]
            rows += [dict(r) for r in table.rows]
        started = time.perf_counter()
        predictions = routing.predict(texts, k=3)
        seconds = time.perf_counter() - started
        for row, p in zip(rows, predictions, strict=True):
            row["predicted_label"] = p.label
            row["confidence"] = round(p.confidence, 4)
            row["top3"] = json.dumps(p.top_dicts(), ensure_ascii=False)
        extra = ["predicted_label", "confidence", "top3"]
        write_table(out, [c for c in columns if c not in extra] + extra, rows)
        _say(f"wrote {len(rows)} rows to {out} / 已写出")
        _emit(
            {
                "rows": len(rows),
                "out": str(out),
                "rows_per_second": round(len(rows) / max(seconds, 1e-9), 1),
            }
        )

    _guard(run)


@app.command()
def evaluate(model: ModelOpt, data: DataOpt, text: TextOpt, label: LabelOpt) -> None:
    """在带标签数据上评估模型 / evaluate a model on labelled data (one JSON object)."""

    def run() -> None:
        from complaintdesk.triage.metrics import evaluate as evaluate_model

        routing = _load_model(model)
        texts, labels = _labelled(data, text, label)
        _emit(evaluate_model(routing, texts, labels))

    _guard(run)


@app.command()
def cv(
    data: DataOpt,
    text: TextOpt,
    label: LabelOpt,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20)] = 5,
) -> None:
    """分层 K 折交叉验证 / stratified k-fold cross-validation (averaged JSON)."""

    def run() -> None:
        from complaintdesk.triage.metrics import cross_validate

        texts, labels = _labelled(data, text, label)
        result = cross_validate(texts, labels, folds=folds, progress=_say)
        if result["rare_classes"]:
            _say(
                f"warning: {len(result['rare_classes'])} class(es) have fewer rows than folds; "
                "they appear in fewer folds / 警告：部分类别样本数少于折数"
            )
        _emit(result)

    _guard(run)


def _corrections() -> tuple[list[str], list[str]]:
    """Dispatchers' decisions stored by the service (`classify`), oldest first."""
    from sqlalchemy import select

    from complaintdesk.bootstrap import bootstrap
    from complaintdesk.triage.tables import TriageExampleRow

    container = bootstrap()
    with container.uow() as uow:
        rows = uow.session.execute(
            select(TriageExampleRow.text, TriageExampleRow.label).order_by(TriageExampleRow.id)
        ).all()
    container.engine.dispose()
    return [r.text for r in rows], [r.label for r in rows]


@app.command()
def corrections(out: Annotated[Path, typer.Option("--out")]) -> None:
    """导出派单员的分类决定 / export dispatchers' decisions as a text,label file."""

    def run() -> None:
        texts, labels = _corrections()
        write_table(
            out,
            ["text", "label"],
            [{"text": t, "label": lab} for t, lab in zip(texts, labels, strict=True)],
        )
        _say(f"wrote {len(texts)} examples to {out} / 已导出")
        _emit({"examples": len(texts), "out": str(out)})

    _guard(run)


@app.command()
def retrain(
    data: DataOpt, text: TextOpt, label: LabelOpt, out: Annotated[Path, typer.Option("--out")]
) -> None:
    """用档案加派单员更正重新训练 / retrain from the archive plus dispatchers' decisions."""

    def run() -> None:
        texts, labels = _labelled(data, text, label)
        extra_texts, extra_labels = _corrections()
        _say(f"adding {len(extra_texts)} dispatcher decisions / 加入派单员更正")
        _train_and_report(
            texts + extra_texts,
            labels + extra_labels,
            text,
            label,
            out,
            corrections=len(extra_texts),
        )

    _guard(run)
