"""The demo's routing model: trained from the shared Teddy Cup data while the demo loads.

It is trained and saved exactly as ``complaintdesk model train --data
teddycup2020c/fj2_raw_subset_2763.csv --text text --label 一级标签 --out MODEL`` would (the
file plus its ``.sha256``), and switched on the usual way: ``COMPLAINTDESK_TRIAGE_MODEL=MODEL``
(``make run`` sets it). A model already at MODEL, trained from the same rows, is reused.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from complaintdesk.triage.archive import read_table
from complaintdesk.triage.model import RoutingModel, data_hash, file_sha256

log = logging.getLogger(__name__)

TRAINING_FILE = "teddycup2020c/fj2_raw_subset_2763.csv"
TEXT_COLUMNS = ["text"]
LABEL_COLUMN = "一级标签"
DEFAULT_MODEL_PATH = Path("var/models/demo-routing.joblib")


@dataclass(frozen=True)
class DemoModel:
    model: RoutingModel
    path: Path
    sha256: str
    rows: int
    trained: bool  # False: an existing file from the same data was reused
    seconds: float
    macro_f1: float | None


def training_rows(data_dir: Path) -> tuple[list[str], list[str]] | None:
    """(texts, labels) of the training file, or None when the shared data is absent."""
    source = data_dir / TRAINING_FILE
    if not source.is_file():
        return None
    table = read_table(source)
    pairs = [
        (text, label)
        for text, label in zip(table.texts(TEXT_COLUMNS), table.labels(LABEL_COLUMN), strict=True)
        if label and text.strip()
    ]
    return [t for t, _ in pairs], [lab for _, lab in pairs]


def _reusable(path: Path, digest: str) -> RoutingModel | None:
    if not path.is_file():
        return None
    try:
        model = RoutingModel.load(path)
    except Exception:  # an old or damaged file is simply trained again
        log.warning("demo model %s could not be loaded; training a new one", path)
        return None
    return model if model.metadata.get("data_hash") == digest else None


def train_demo_model(
    data_dir: Path, path: Path = DEFAULT_MODEL_PATH, progress: Callable[[str], None] | None = None
) -> DemoModel | None:
    """Train (or reuse) the routing model at ``path``; None when there is no data."""
    rows = training_rows(data_dir)
    if rows is None:
        return None
    texts, labels = rows
    digest = data_hash(texts, labels)
    model = _reusable(path, digest)
    trained = model is None
    if model is None:
        model = RoutingModel.train(texts, labels, progress=progress)
        model.metadata["text_columns"] = TEXT_COLUMNS
        model.metadata["label_column"] = LABEL_COLUMN
        model.metadata["source"] = TRAINING_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        model.save(path)
    metrics = model.metadata.get("metrics") or {}
    return DemoModel(
        model=model,
        path=path,
        sha256=file_sha256(path),
        rows=len(texts),
        trained=trained,
        seconds=float(model.metadata.get("train_seconds", 0.0)) if trained else 0.0,
        macro_f1=metrics.get("oof_macro_f1"),
    )
