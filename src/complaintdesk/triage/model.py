"""The department routing model (SPEC §2 "Department routing"): TF-IDF on jieba words and
character n-grams, a class-balanced linear SVM, and softmax calibration with a fitted temperature.

Why this shape: it trains in seconds on CPU, predicts thousands of rows a second, has no
downloads, and the coefficient matrix is small enough to keep the file under 50 MB even with
dozens of departments (the feature budget shrinks as the number of classes grows).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from scipy import sparse
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

from complaintdesk.triage.features import NgramTfidf
from complaintdesk.triage.text import normalise, tokenise_all, tokenizer_name

MODEL_FORMAT = "complaintdesk-routing"
FORMAT_VERSION = 2  # 2: featurisers store n-gram codes (1: term dicts, still loaded)
Progress = Callable[[str], None]


class TrainingDataError(ValueError):
    """The training data cannot produce a model (e.g. a single class)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class TrainConfig:
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (1, 3)
    min_df: int = 2
    max_word_features: int = 200_000
    max_char_features: int = 300_000
    word_weight: float = 1.0
    c: float = 1.0
    calibration_folds: int = 3
    size_budget_mb: float = 40.0
    seed: int = 0


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    top: tuple[tuple[str, float], ...]

    def top_dicts(self) -> list[dict[str, object]]:
        return [{"label": lab, "confidence": round(conf, 4)} for lab, conf in self.top]


@dataclass
class RoutingModel:
    labels: list[str]
    word_vectorizer: NgramTfidf
    char_vectorizer: NgramTfidf
    coef: np.ndarray  # (n_classes, n_features) float32
    intercept: np.ndarray
    temperature: float
    config: TrainConfig
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # scipy copies a non-contiguous dense operand on every product (~8 ms for 300k x 7),
        # so keep the transposed weights contiguous once.
        self._weights = np.ascontiguousarray(self.coef.T)

    # -- training ---------------------------------------------------------------------------
    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        config: TrainConfig | None = None,
        progress: Progress | None = None,
    ) -> RoutingModel:
        config = config or TrainConfig()
        say = progress or (lambda _msg: None)
        started = time.perf_counter()
        counts = Counter(labels)
        if len(counts) < 2:
            raise TrainingDataError(
                "训练数据至少需要两个类别", "training data needs at least two classes"
            )
        classes = sorted(counts)
        y = np.array([classes.index(lab) for lab in labels])
        word_vec, char_vec = _vectorizers(config, len(classes), len(texts))
        say(f"tokenising {len(texts)} rows / 分词")
        norm = [normalise(t) for t in texts]
        words = tokenise_all(norm)
        say("fitting TF-IDF / 构建特征")
        x = _stack(word_vec.fit_transform(words), char_vec.fit_transform(norm), config.word_weight)
        say(f"{x.shape[1]} features; calibrating on {config.calibration_folds} folds / 校准")
        scores = _out_of_fold_scores(x, y, len(classes), config)
        temperature = _fit_temperature(scores, y) if scores is not None else 1.0
        say("fitting final model / 训练最终模型")
        svm = _svm(config).fit(x, y)
        coef, intercept = _full_coef(svm, len(classes))
        model = cls(classes, word_vec, char_vec, coef, intercept, temperature, config)
        model.metadata = {
            "format": MODEL_FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "labels": classes,
            "class_counts": {k: counts[k] for k in classes},
            "rows": len(texts),
            "features": int(x.shape[1]),
            "word_features": word_vec.n_features,
            "char_features": char_vec.n_features,
            "tokenizer": tokenizer_name(),
            "temperature": temperature,
            "config": asdict(config),
            "data_hash": data_hash(texts, labels),
            "train_seconds": round(time.perf_counter() - started, 2),
            "metrics": _oof_metrics(scores, y) if scores is not None else {},
        }
        return model

    # -- prediction -------------------------------------------------------------------------
    def features(self, texts: Sequence[str]) -> sparse.csr_matrix:
        norm = [normalise(t) for t in texts]
        return _stack(
            self.word_vectorizer.transform(tokenise_all(norm)),
            self.char_vectorizer.transform(norm),
            self.config.word_weight,
        )

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        scores = np.asarray(self.features(texts) @ self._weights) + self.intercept
        return _softmax(scores / self.temperature)

    def predict(self, texts: Sequence[str], k: int = 3) -> list[Prediction]:
        if not texts:
            return []
        proba = self.predict_proba(texts)
        order = np.argsort(-proba, axis=1)[:, :k]
        out = []
        for row, idx in zip(proba, order, strict=True):
            top = tuple((self.labels[i], float(row[i])) for i in idx)
            out.append(Prediction(top[0][0], top[0][1], top))
        return out

    # -- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> int:
        """Write the model file; returns its size in bytes."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self._payload(), path, compress=1)
        # The digest beside the file (in sha256sum's format): load() checks it before
        # unpickling, since unpickling a substituted file would run its code.
        digest_path(path).write_text(f"{file_sha256(path)}  {path.name}\n", encoding="ascii")
        return path.stat().st_size

    def _payload(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "format_version": FORMAT_VERSION,
            "labels": self.labels,
            "word_vectorizer": self.word_vectorizer,
            "char_vectorizer": self.char_vectorizer,
            "coef": self.coef,
            "intercept": self.intercept,
            "temperature": self.temperature,
            "config": asdict(self.config),
            "metadata": self.metadata,
        }

    @classmethod
    def load(cls, path: str | Path, *, expected_sha256: str | None = None) -> RoutingModel:
        """Read a model file after checking its SHA-256: against ``expected_sha256`` (the
        operator's pinned value, ``COMPLAINTDESK_TRIAGE_MODEL_SHA256``) when given, else
        against the digest file :meth:`save` wrote beside it."""
        path = Path(path)
        verify_digest(path, expected_sha256)
        payload = joblib.load(path)
        if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
            raise ValueError(f"{path} is not a complaintdesk routing model / 不是分派模型文件")
        if payload["format_version"] > FORMAT_VERSION:
            raise ValueError(
                f"model format {payload['format_version']} is newer than this program "
                f"({FORMAT_VERSION}) / 模型版本过新，请升级程序"
            )
        raw: dict[str, Any] = payload["config"]
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        config = TrainConfig(**fields)
        return cls(
            payload["labels"],
            payload["word_vectorizer"],
            payload["char_vectorizer"],
            payload["coef"],
            payload["intercept"],
            float(payload["temperature"]),
            config,
            payload["metadata"],
        )


def digest_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_digest(path: Path, expected: str | None) -> None:
    """Refuse a model file whose SHA-256 is not the recorded one (or has none recorded)."""
    if expected is None:
        recorded = digest_path(path)
        if not recorded.is_file():
            raise ValueError(
                f"模型文件 {path} 没有校验文件 {recorded.name}：请重新训练，或核实来源后执行"
                f" sha256sum {path.name} > {recorded.name}"
                f" / {path} has no recorded digest {recorded.name}: retrain it, or check where"
                f" it came from and run sha256sum {path.name} > {recorded.name}"
            )
        parts = recorded.read_text(encoding="ascii", errors="replace").split()
        expected = parts[0] if parts else ""
    actual = file_sha256(path)
    if actual != expected.strip().lower():
        raise ValueError(
            f"模型文件 {path} 的 SHA-256 与记录不符，拒绝加载"
            f" / {path} does not match its recorded SHA-256; not loaded"
        )


def data_hash(texts: Sequence[str], labels: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        digest.update(text.encode("utf-8") + b"\x1f" + label.encode("utf-8") + b"\x1e")
    return "sha256:" + digest.hexdigest()


def _vectorizers(config: TrainConfig, n_classes: int, n_rows: int) -> tuple[NgramTfidf, ...]:
    # Budget: 4 bytes per class per feature for float32 coefficients plus ~60 bytes of
    # vocabulary per feature, so dozens of classes still fit the file-size cap.
    budget = int(config.size_budget_mb * 1e6 / (4 * n_classes + 60))
    word_cap = min(config.max_word_features, int(budget * 0.4))
    char_cap = min(config.max_char_features, budget - word_cap)
    # On tiny archives a term seen once may be all there is for a rare class.
    min_df = 1 if n_rows < 200 else config.min_df
    word = NgramTfidf("word", config.word_ngrams, min_df, word_cap)
    char = NgramTfidf("char", config.char_ngrams, min_df, char_cap)
    return word, char


def _stack(words: sparse.spmatrix, chars: sparse.spmatrix, word_weight: float) -> sparse.csr_matrix:
    return sparse.hstack([words * word_weight, chars], format="csr")


def _svm(config: TrainConfig) -> LinearSVC:
    return LinearSVC(C=config.c, class_weight="balanced", random_state=config.seed)


def _full_coef(svm: LinearSVC, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients for every class, also when the fitted data held only some of them."""
    n_features = svm.coef_.shape[1]
    coef = np.full((n_classes, n_features), 0.0, dtype=np.float32)
    intercept = np.full(n_classes, -10.0, dtype=np.float32)  # absent class: never chosen
    present = svm.classes_
    if len(present) == 2:  # binary LinearSVC has one row: positive class = present[1]
        coef[present[1]], intercept[present[1]] = svm.coef_[0], svm.intercept_[0]
        coef[present[0]], intercept[present[0]] = -svm.coef_[0], -svm.intercept_[0]
    else:
        coef[present], intercept[present] = svm.coef_, svm.intercept_
    return coef, intercept


def _fold_ids(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Stratified fold ids that never fail: each class is dealt round-robin from a rotating
    start, so a class with fewer rows than folds simply lands in fewer folds."""
    rng = np.random.default_rng(seed)
    folds = np.empty(len(y), dtype=int)
    offset = 0
    for cls in np.unique(y):
        idx = np.flatnonzero(y == cls)
        rng.shuffle(idx)
        folds[idx] = (offset + np.arange(len(idx))) % k
        offset = (offset + len(idx)) % k
    return folds


def _out_of_fold_scores(
    x: sparse.csr_matrix, y: np.ndarray, n_classes: int, config: TrainConfig
) -> np.ndarray | None:
    k = config.calibration_folds
    if k < 2 or len(y) < 2 * k:
        return None
    folds = _fold_ids(y, k, config.seed)
    scores = np.zeros((len(y), n_classes), dtype=np.float32)
    for f in range(k):
        train, test = folds != f, folds == f
        if len(np.unique(y[train])) < 2:
            return None
        coef, intercept = _full_coef(_svm(config).fit(x[train], y[train]), n_classes)
        scores[test] = np.asarray(x[test] @ coef.T) + intercept
    return scores


def _oof_metrics(scores: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Out-of-fold figures from the calibration folds: an honest estimate at no extra cost."""
    predicted = scores.argmax(axis=1)
    return {
        "oof_macro_f1": round(float(f1_score(y, predicted, average="macro")), 4),
        "oof_accuracy": round(float(np.mean(predicted == y)), 4),
    }


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of out-of-fold predictions."""

    def nll(t: float) -> float:
        p = _softmax(scores / t)
        return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))

    grid = np.logspace(-2.5, 1.5, 41)
    best = float(grid[int(np.argmin([nll(t) for t in grid]))])
    fine = np.linspace(best / 1.25, best * 1.25, 21)
    return float(fine[int(np.argmin([nll(t) for t in fine]))])
