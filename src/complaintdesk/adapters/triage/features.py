"""TF-IDF n-gram features, fitted and applied with C-level loops.

sklearn's ``TfidfVectorizer`` builds and counts n-grams in per-feature Python loops
(``_char_ngrams``, ``_count_vocab``, ``_sort_features``), which made it ~75% of training and
nearly all of prediction time. Here overlapping character n-grams come from one regex ``findall``
each, word n-grams from ``map``/``zip``, counting from ``collections.Counter`` and the vocabulary
look-up from a key intersection. The weighting is sklearn's (smooth idf, sublinear tf, l2 norm);
a test checks the matrices are equal to ``TfidfVectorizer`` with the same vocabulary.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

_WHITE_SPACES = re.compile(r"\s\s+")  # the same normalisation as sklearn's char analyzer


@dataclass
class NgramTfidf:
    """``kind="char"``: character n-grams of the text; ``kind="word"``: n-grams of
    whitespace-separated tokens."""

    kind: Literal["char", "word"]
    ngram_range: tuple[int, int]
    min_df: int = 1
    max_features: int | None = None
    vocabulary: dict[str, int] = field(default_factory=dict)
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    def __post_init__(self) -> None:
        low, high = self.ngram_range
        self._windows = [
            re.compile("(?=(" + "." * n + "))", re.S) for n in range(max(low, 2), high + 1)
        ]

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state.pop("_windows", None)  # compiled patterns are rebuilt on load
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.__post_init__()

    def analyse(self, doc: str) -> list[str]:
        low, high = self.ngram_range
        if self.kind == "char":
            doc = _WHITE_SPACES.sub(" ", doc)
            grams = list(doc) if low == 1 else []
            for window in self._windows:
                grams += window.findall(doc)
            return grams
        tokens = doc.split()
        grams = list(tokens) if low == 1 else []
        for n in range(max(low, 2), high + 1):
            grams += map(" ".join, zip(*(tokens[i:] for i in range(n)), strict=False))
        return grams

    def fit(self, docs: Sequence[str]) -> NgramTfidf:
        df: Counter[str] = Counter()
        tf: Counter[str] = Counter()
        for doc in docs:
            grams = self.analyse(doc)
            tf.update(grams)
            df.update(set(grams))
        kept = [g for g, n in df.items() if n >= self.min_df]
        if self.max_features is not None and len(kept) > self.max_features:
            # Like sklearn: the most frequent terms over the corpus, ties broken by the term.
            kept.sort(key=lambda g: (-tf[g], g))
            kept = kept[: self.max_features]
        kept.sort()
        self.vocabulary = {g: i for i, g in enumerate(kept)}
        n_docs = len(docs)
        counts = np.fromiter((df[g] for g in kept), dtype=np.float64, count=len(kept))
        self.idf = (np.log((1 + n_docs) / (1 + counts)) + 1).astype(np.float32)
        return self

    def transform(self, docs: Sequence[str]) -> sparse.csr_matrix:
        vocabulary = self.vocabulary
        known = vocabulary.keys()
        lookup = vocabulary.__getitem__
        indices: list[int] = []
        counts: list[int] = []
        indptr = [0]
        for doc in docs:
            counted = Counter(self.analyse(doc))
            common = counted.keys() & known
            indices.extend(map(lookup, common))
            counts.extend(map(counted.__getitem__, common))
            indptr.append(len(indices))
        matrix = sparse.csr_matrix(
            (
                np.asarray(counts, dtype=np.float32),
                np.asarray(indices, dtype=np.int32),
                np.asarray(indptr, dtype=np.int64),
            ),
            shape=(len(docs), len(vocabulary)),
        )
        matrix.sort_indices()
        np.log(matrix.data, out=matrix.data)  # sublinear tf: 1 + log(count)
        matrix.data += 1.0
        matrix.data *= self.idf[matrix.indices]
        return normalize(matrix, norm="l2", copy=False)

    def fit_transform(self, docs: Sequence[str]) -> sparse.csr_matrix:
        return self.fit(docs).transform(docs)

    @property
    def n_features(self) -> int:
        return len(self.vocabulary)
