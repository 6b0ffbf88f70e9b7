"""Triage benchmark on the real Teddy Cup 2020 C data (SPEC §2 department routing).

Measures, on CPU in one process:
- 5-fold stratified CV macro-F1 on ``fj2_segmented_full_9210.csv`` (all 9,210 labelled messages,
  pre-segmented; published anchors TF-IDF+SVM 0.901, BERT 0.92-0.94, target >= 0.95) and on
  ``fj2_raw_subset_2763.csv`` (raw text, target >= 0.92);
- training seconds and model file size for a model trained on all 9,210 rows;
- prediction rows/s on realistic intake text (the organisers' unlabelled test set), target 2,000;
- ``Triage.suggest()`` latency per complaint, p50/p95 (target p95 <= 20 ms).

The data is read from ``../shared/data`` (relative to the repo root) or ``$COMPLAINTDESK_DATA_DIR``
and never copied into the repo. Results are printed as JSON and written to the ``## Triage``
section of docs/benchmarks.md (``--no-write`` to skip).

    .venv/bin/python bench/triage.py [--folds 5] [--no-write]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from complaintdesk.triage.facade import ModelTriage
from complaintdesk.triage.metrics import cross_validate
from complaintdesk.triage.model import RoutingModel
from complaintdesk.triage.text import tokenizer_name

DATA = Path(os.environ.get("COMPLAINTDESK_DATA_DIR", ROOT.parent / "shared" / "data"))
TEDDY = DATA / "teddycup2020c"


def _rows(name: str) -> list[dict[str, str]]:
    with (TEDDY / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _cv(name: str, column: str, folds: int) -> dict[str, Any]:
    rows = _rows(name)
    _say(f"== {folds}-fold CV on {name} ({len(rows)} rows)")
    result = cross_validate(
        [r[column] for r in rows], [r["一级标签"] for r in rows], folds=folds, progress=_say
    )
    result["data"] = name
    return result


def _load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def run(folds: int) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "tokenizer": tokenizer_name(),
            "load_average_start": _load_average(),
        }
    }
    results["cv_segmented"] = _cv("fj2_segmented_full_9210.csv", "text_segmented", folds)
    results["cv_raw"] = _cv("fj2_raw_subset_2763.csv", "text", folds)

    seg = _rows("fj2_segmented_full_9210.csv")
    _say("== training on all 9,210 segmented rows")
    started = time.perf_counter()
    full = RoutingModel.train([r["text_segmented"] for r in seg], [r["一级标签"] for r in seg])
    train_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        size = full.save(Path(tmp) / "routing.joblib")

    raw = _rows("fj2_raw_subset_2763.csv")
    _say("== training on all 2,763 raw rows for throughput and latency")
    raw_model = RoutingModel.train([r["text"] for r in raw], [r["一级标签"] for r in raw])
    intake = _rows("official_testset_unlabeled_2801.csv")
    texts = [f"{r['留言主题']} {r['留言详情']}" for r in intake]
    # The machine is shared, so report the best of three wall-clock runs and the rate per second
    # of this process's own CPU time (what an idle core would give, roughly).
    walls, cpus = [], []
    for _ in range(3):
        started, started_cpu = time.perf_counter(), time.process_time()
        raw_model.predict(texts)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - started_cpu)
    rows_per_second = len(texts) / min(walls)
    rows_per_cpu_second = len(texts) / min(cpus)

    triage = ModelTriage(raw_model)
    triage.suggest("预热", "warm up")
    latencies, cpu_latencies = [], []
    for r in intake[:1000]:
        started, started_cpu = time.perf_counter(), time.process_time()
        triage.suggest(r["留言主题"], r["留言详情"])
        latencies.append((time.perf_counter() - started) * 1000)
        cpu_latencies.append((time.process_time() - started_cpu) * 1000)
    latencies.sort()
    cpu_latencies.sort()
    results["full_model"] = {
        "rows": len(seg),
        "train_seconds": round(train_seconds, 1),
        "size_mb": round(size / 1e6, 1),
        "features": full.metadata["features"],
        "oof": full.metadata["metrics"],
    }
    results["predict_rows_per_second"] = round(rows_per_second)
    results["predict_rows_per_cpu_second"] = round(rows_per_cpu_second)
    results["predict_rows"] = len(texts)
    results["mean_chars"] = round(statistics.mean(len(t) for t in texts))
    results["suggest_ms"] = {
        "p50": round(latencies[len(latencies) // 2], 2),
        "p95": round(latencies[int(len(latencies) * 0.95)], 2),
        "max": round(latencies[-1], 2),
        "cpu_p50": round(cpu_latencies[len(cpu_latencies) // 2], 2),
        "cpu_p95": round(cpu_latencies[int(len(cpu_latencies) * 0.95)], 2),
        "calls": len(latencies),
    }
    results["machine"]["load_average_end"] = _load_average()
    return results


def _section(r: dict[str, Any]) -> str:
    seg, raw, full = r["cv_segmented"], r["cv_raw"], r["full_model"]
    m = r["machine"]
    return "\n".join(
        [
            "## Triage",
            "",
            f"`bench/triage.py` — department routing on the real Teddy Cup 2020 C data. Machine: "
            f"{m['cpus']} cores shared with other jobs (load average {m['load_average_start']} at "
            f"start, {m['load_average_end']} at the end), Python {m['python']}, tokenizer "
            f"{m['tokenizer']}. Model: TF-IDF on jieba words (1-2 grams) + characters (1-3 grams) "
            "(numpy featuriser, equal to sklearn's TfidfVectorizer), "
            "class-balanced LinearSVC, softmax calibration with a temperature fitted on 3 "
            "out-of-fold splits. Run: `.venv/bin/python bench/triage.py`.",
            "",
            "| measure | target | reached |",
            "|---|---|---|",
            f"| 5-fold CV macro-F1, `fj2_segmented_full_9210.csv` (9,210 rows) | ≥ 0.95 (anchors: "
            f"TF-IDF+SVM 0.901, BERT 0.92–0.94) | **{seg['macro_f1']:.3f}** ± "
            f"{seg['macro_f1_std']:.3f} (accuracy {seg['accuracy']:.3f}, top-3 "
            f"{seg['top3_accuracy']:.3f}) |",
            f"| 5-fold CV macro-F1, `fj2_raw_subset_2763.csv` (raw text) | ≥ 0.92 | "
            f"**{raw['macro_f1']:.3f}** ± {raw['macro_f1_std']:.3f} (accuracy "
            f"{raw['accuracy']:.3f}, top-3 {raw['top3_accuracy']:.3f}) |",
            f"| training on all 9,210 rows | ≤ 120 s | {full['train_seconds']} s "
            f"({full['features']:,} features) |",
            f"| model file | ≤ 50 MB | {full['size_mb']} MB |",
            f"| prediction, one process, {r['predict_rows']:,} intake messages "
            f"(mean {r['mean_chars']} chars) | ≥ 2,000 rows/s | {r['predict_rows_per_second']:,} "
            f"rows/s wall (best of 3); {r['predict_rows_per_cpu_second']:,} rows per CPU-second |",
            f"| `Triage.suggest()` per complaint ({r['suggest_ms']['calls']} calls) "
            "| p95 ≤ 20 ms | "
            f"p50 {r['suggest_ms']['p50']} ms, p95 {r['suggest_ms']['p95']} ms wall; CPU time "
            f"p50 {r['suggest_ms']['cpu_p50']} ms, p95 {r['suggest_ms']['cpu_p95']} ms |",
            "",
            f"CV training time per fold: {seg['train_seconds']} s (segmented), "
            f"{raw['train_seconds']} s (raw). Prediction rate inside CV: "
            f"{seg['rows_per_second']:,.0f} rows/s (segmented), {raw['rows_per_second']:,.0f} "
            "rows/s (raw).",
            "",
        ]
    )


# The previous run of this script (string n-grams, Counter and dict look-ups; commit 47886b9),
# load average 6.2 / 6.0 / 6.7 at start, 2.4 / 4.4 / 5.8 at the end.
BEFORE = {
    "cv_segmented_macro_f1": 0.929,
    "cv_raw_macro_f1": 0.892,
    "cv_train_seconds_segmented": 72.22,
    "cv_train_seconds_raw": 10.88,
    "train_seconds": 33.0,
    "size_mb": 12.4,
    "predict_rows_per_second": 1128,
    "predict_rows_per_cpu_second": 1180,
    "suggest_p95": 6.6,
}


def _before_after(r: dict[str, Any]) -> str:
    after = {
        "cv_segmented_macro_f1": r["cv_segmented"]["macro_f1"],
        "cv_raw_macro_f1": r["cv_raw"]["macro_f1"],
        "cv_train_seconds_segmented": r["cv_segmented"]["train_seconds"],
        "cv_train_seconds_raw": r["cv_raw"]["train_seconds"],
        "train_seconds": r["full_model"]["train_seconds"],
        "size_mb": r["full_model"]["size_mb"],
        "predict_rows_per_second": r["predict_rows_per_second"],
        "predict_rows_per_cpu_second": r["predict_rows_per_cpu_second"],
        "suggest_p95": r["suggest_ms"]["p95"],
    }
    names = {
        "cv_segmented_macro_f1": "CV macro-F1, segmented 9,210",
        "cv_raw_macro_f1": "CV macro-F1, raw 2,763",
        "cv_train_seconds_segmented": "CV training per fold, segmented (s)",
        "cv_train_seconds_raw": "CV training per fold, raw (s)",
        "train_seconds": "training on 9,210 rows (s)",
        "size_mb": "model file (MB)",
        "predict_rows_per_second": "prediction, rows/s wall (best of 3)",
        "predict_rows_per_cpu_second": "prediction, rows per CPU-second",
        "suggest_p95": "`suggest()` p95 wall (ms)",
    }
    lines = [
        "",
        "Before → after the numpy featuriser (before: the previous run of this script, with",
        "string n-grams, `Counter` and dict look-ups, load average 6.2 / 6.0 / 6.7 → 2.4 / 4.4 /",
        "5.8; after: the run above). The features are the same up to terms tied on frequency at",
        "the `max_features` cut-off, now kept in code order instead of alphabetical order.",
        "",
        "| measure | before | after |",
        "|---|---|---|",
    ]
    lines += [f"| {names[k]} | {BEFORE[k]:,} | {after[k]:,} |" for k in names]
    return "\n".join(lines) + "\n"


def write_docs(results: dict[str, Any], notes: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = _section(results) + _before_after(results) + notes
    pattern = re.compile(r"^## Triage\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


NOTES = """
What limits it, measured rather than guessed:

- **Accuracy.** A linear model on word and character n-grams reaches the published BERT range on
  the full 9,210 messages but not the 0.95 target. Top-3 accuracy is 0.995: the errors are
  between neighbouring topics. Of the 271 raw-subset CV errors (truth → predicted) the most
  frequent are 商贸旅游 → 城乡建设 (41), 交通运输 → 城乡建设 (29),
  城乡建设 → 商贸旅游 (17), 教育文体 → 劳动和社会保障 (17) and
  卫生计生 → 劳动和社会保障 (16) — topics whose wording overlaps (housing estates, roads and
  shops; staff pay at schools and hospitals). The raw subset scores lower because of its
  size, not its text:
  a random 2,763-row sample of the segmented file gives 0.895 (raw subset 0.892), while the full
  9,210 give 0.928. More labelled archive — which dispatcher corrections add — is the lever.
  Tried and not kept, 5-fold macro-F1 on the raw subset with the same folds (current model
  0.8916): averaging temperature-calibrated probabilities of the SVM with complement naive Bayes
  (0.871; CNB alone 0.822), with an SGD logistic model (0.8917; alone 0.890), with an NB-SVM
  (log-count-ratio scaled features, 0.887; alone 0.873), all four (0.887); Crammer-Singer
  multi-class SVM (0.890, 15x slower), hinge loss (0.8916), no class weighting (0.882), late
  fusion of separate word and character SVMs (0.890), min_df 1 (0.885), word 1–3 grams
  (0.891). Earlier: SVM C 0.5 (0.8915), the word block weighted 0.5, character 2–4 grams
  (−0.016), logistic regression instead of the SVM (−0.001 to −0.005). None helps by more than
  the fold-to-fold noise (± 0.017), so none was kept; nothing was tuned to the 7 labels. What
  is left is what a bag of n-grams cannot see; a pretrained Chinese encoder would be the next
  step, at the cost of the CPU budget and an offline model download at install time.
- **Throughput.** Prediction no longer does any Python work per n-gram: an n-gram is an exact
  integer code (characters or words as digits in base alphabet+1), computed for a whole batch
  with numpy, packed with its row into a uint64 and sorted once, which counts the pairs and
  orders them by column (see `features.py`). In a cProfile of predicting the 2,801 intake
  messages the remaining cost is that sort (~25%), rjieba segmentation (~15%), the vector
  passes building the codes (~20%), mapping word tokens to ids (~10%) and splitting and
  whitespace normalisation (~10%); the sparse product with the weights is ~2%. BLAS is not
  involved (scipy's sparse product and liblinear are single-threaded).
- **Latency and training** are within target; wall-clock figures include waiting for a core while
  other engineers' jobs run on the same two cores. The rates move with that load: a run of the
  same code half an hour earlier, at load average 3.1 / 3.5 / 4.2, gave 2,401 rows/s wall and
  2,605 rows per CPU-second (CPU time stretches too when the cores' caches are shared).
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not TEDDY.is_dir():
        sys.exit(f"data not found: {TEDDY} (set COMPLAINTDESK_DATA_DIR)")
    results = run(args.folds)
    for key in ("cv_segmented", "cv_raw"):
        results[key].pop("per_class", None)
    print(json.dumps(results, ensure_ascii=False, indent=2))
    if not args.no_write:
        write_docs(results, NOTES)


if __name__ == "__main__":
    main()
