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

from complaintdesk.adapters.triage import ModelTriage  # noqa: E402
from complaintdesk.adapters.triage.evaluation import cross_validate  # noqa: E402
from complaintdesk.adapters.triage.model import RoutingModel  # noqa: E402
from complaintdesk.adapters.triage.text import tokenizer_name  # noqa: E402

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
            f"{m['tokenizer']}. Model: TF-IDF on jieba words (1-2 grams) + characters (1-3 grams), "
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


def write_docs(results: dict[str, Any], notes: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = _section(results) + notes
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
  9,210 give 0.929. More labelled archive — which dispatcher corrections add — is the lever.
  Tried and not kept (5-fold, macro-F1): SVM C 0.5 instead of 1 on the raw subset (0.8915 vs
  0.8916); the word block weighted 0.5 (first segmented fold 0.929 vs 0.928); character 2–4
  grams instead of 1–3 in a prototype (−0.016 raw); logistic regression instead of the SVM
  (−0.001 to −0.005 raw, 3× slower to train). Nothing was tuned to the 7 labels.
- **Throughput.** Each message of ~440 characters yields ~1,800 n-grams, and each costs one
  dictionary look-up; the loops already run in C (regex `findall`, `Counter`, key intersection;
  the matrices equal sklearn's `TfidfVectorizer`, which loops in Python), so what is left is
  hashing and memory look-ups. The 2,000 rows/s target is not met on this shared machine; a
  compiled hashing featuriser or dropping character trigrams would be the next steps (the
  latter costs accuracy).
- **Latency and training** are within target on CPU time; wall-clock figures include waiting for
  a core while other engineers' test suites run on the same two cores.
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
