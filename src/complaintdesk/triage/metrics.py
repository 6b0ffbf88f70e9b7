"""Metrics and stratified cross-validation for the routing model (`complaintdesk model ...`)."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from complaintdesk.triage.model import Progress, RoutingModel, TrainConfig, _fold_ids


def score(
    truth: Sequence[str], predicted: Sequence[str], top3: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """macro-F1 over the classes present in truth or predictions, accuracy, top-3 accuracy, and
    precision/recall/F1/support per class."""
    labels = sorted(set(truth) | set(predicted))
    p, r, f, s = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    per_class = {
        lab: {
            "precision": round(float(p[i]), 4),
            "recall": round(float(r[i]), 4),
            "f1": round(float(f[i]), 4),
            "support": int(s[i]),
        }
        for i, lab in enumerate(labels)
    }
    return {
        "macro_f1": round(
            float(
                f1_score(
                    truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0
                )
            ),
            4,
        ),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "top3_accuracy": round(
            float(np.mean([t in tops for t, tops in zip(truth, top3, strict=True)])), 4
        ),
        "per_class": per_class,
    }


def evaluate(model: RoutingModel, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    started = time.perf_counter()
    predictions = model.predict(texts, k=3)
    seconds = time.perf_counter() - started
    result = score(
        labels, [p.label for p in predictions], [[t[0] for t in p.top] for p in predictions]
    )
    result["rows"] = len(texts)
    result["rows_per_second"] = round(len(texts) / seconds, 1) if seconds > 0 else None
    unknown = sorted(set(labels) - set(model.labels))
    if unknown:
        result["labels_unknown_to_model"] = unknown
    return result


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str],
    folds: int = 5,
    config: TrainConfig | None = None,
    seed: int = 0,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Stratified k-fold. Classes with fewer rows than folds are kept and dealt to as many folds
    as they have rows (reported in ``rare_classes``) instead of failing."""
    say = progress or (lambda _msg: None)
    y = np.array(labels)
    fold_of = _fold_ids(y, folds, seed)
    runs: list[dict[str, Any]] = []
    train_seconds: list[float] = []
    for f in range(folds):
        train = np.flatnonzero(fold_of != f)
        test = np.flatnonzero(fold_of == f)
        say(f"fold {f + 1}/{folds}: train {len(train)}, test {len(test)} / 第{f + 1}折")
        started = time.perf_counter()
        model = RoutingModel.train([texts[int(i)] for i in train], list(y[train]), config)
        train_seconds.append(time.perf_counter() - started)
        run = evaluate(model, [texts[int(i)] for i in test], list(y[test]))
        say(f"fold {f + 1}: macro_f1={run['macro_f1']} accuracy={run['accuracy']}")
        runs.append(run)
    counts = Counter(labels)
    return {
        "folds": folds,
        "rows": len(texts),
        "macro_f1": _mean(runs, "macro_f1"),
        "macro_f1_std": round(float(np.std([r["macro_f1"] for r in runs])), 4),
        "accuracy": _mean(runs, "accuracy"),
        "top3_accuracy": _mean(runs, "top3_accuracy"),
        "per_class": _mean_per_class(runs),
        "rows_per_second": _mean(runs, "rows_per_second", 1),
        "train_seconds": round(float(np.mean(train_seconds)), 2),
        "rare_classes": sorted(k for k, n in counts.items() if n < folds),
    }


def _mean(runs: list[dict[str, Any]], key: str, digits: int = 4) -> float:
    return round(float(np.mean([r[key] for r in runs if r[key] is not None])), digits)


def _mean_per_class(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    labels = sorted({lab for r in runs for lab in r["per_class"]})
    out: dict[str, dict[str, float]] = {}
    for lab in labels:
        rows = [r["per_class"][lab] for r in runs if lab in r["per_class"]]
        out[lab] = {
            m: round(float(np.mean([row[m] for row in rows])), 4)
            for m in ("precision", "recall", "f1")
        }
        out[lab]["support"] = int(sum(row["support"] for row in rows))
    return out
