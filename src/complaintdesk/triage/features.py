"""TF-IDF n-gram features, counted with numpy instead of per-n-gram Python look-ups.

Every unit (a character for ``kind="char"``, a whitespace-separated token for ``kind="word"``)
gets an id from the alphabet seen at fit time (0 = unknown). An n-gram of ids ``d0 … dn-1`` is
the integer ``d0·Bⁿ⁻¹ + … + dn-1`` with ``B = len(alphabet) + 1``: an exact code, not a hash, so
there are no collisions, and n-grams of different lengths never share a code because the leading
digit is at least 1. A chunk of documents is concatenated into one id array; the codes of all
windows that stay inside their document are computed with a few vector operations, the row is
packed below the code in one uint64, and one sort groups the (n-gram, document) pairs: run
lengths are the counts, and the pairs come out in column order, so the distinct codes are looked
up with one ``searchsorted`` and the counts form a CSC matrix as they stand. Python touches each
document once (and, for words, each token once, inside ``map``), never each n-gram.

The weighting is sklearn's (smooth idf, sublinear tf, l2 norm); a test checks the matrices are
equal to ``TfidfVectorizer`` with the same vocabulary. Differences from sklearn: with
``max_features``, terms tied on corpus frequency at the cut-off are kept in code order (sklearn:
alphabetical), and columns are ordered by code. ``vocabulary`` (term -> column) is decoded on
demand for inspection and tests; files that pickled it (format 1) still load.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain, repeat
from typing import Any, Literal

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize

_WHITE_SPACES = re.compile(r"\s\s+")  # the same normalisation as sklearn's char analyzer
_CODE_BITS = 55  # an n-gram code leaves >= 8 bits of a uint64 for the row in its chunk
_CHUNK_ROWS = 4096


@dataclass
class NgramTfidf:
    """``kind="char"``: character n-grams of the text; ``kind="word"``: n-grams of
    whitespace-separated tokens."""

    kind: Literal["char", "word"]
    ngram_range: tuple[int, int]
    min_df: int = 1
    max_features: int | None = None
    alphabet: list[str] = field(default_factory=list)  # unit of id i+1, sorted
    codes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))  # sorted
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    def __post_init__(self) -> None:
        self._index()

    # -- persistence -----------------------------------------------------------------------
    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        vocabulary = state.pop("vocabulary", None)
        self.__dict__.update(state)
        if vocabulary is not None:  # a format-1 file: term -> column dict, idf by column
            self._adopt_vocabulary(vocabulary, np.asarray(state["idf"], dtype=np.float32))
        self._index()

    def _index(self) -> None:
        """Look-up structures derived from the alphabet (rebuilt on load, never pickled)."""
        self._base = len(self.alphabet) + 1
        self._vocabulary: dict[str, int] | None = None
        if self.kind == "char":
            self._points = np.fromiter(map(ord, self.alphabet), np.uint32, len(self.alphabet))
            # Code point -> id as one gather; the last slot (0) stands for every unknown point.
            top = int(self._points[-1]) + 2 if len(self._points) else 1
            self._table = np.zeros(top, dtype=np.uint64)
            self._table[self._points] = np.arange(1, len(self._points) + 1, dtype=np.uint64)
        else:
            self._ids = {unit: i + 1 for i, unit in enumerate(self.alphabet)}

    def _adopt_vocabulary(self, vocabulary: dict[str, int], idf_by_column: np.ndarray) -> None:
        terms = sorted(vocabulary, key=vocabulary.__getitem__)
        units = {u for t in terms for u in self._units(t)}
        self.alphabet = sorted(units)
        self._index()
        codes = np.fromiter(map(self._encode, terms), np.uint64, len(terms))
        order = np.argsort(codes, kind="stable")
        self.codes = codes[order]
        self.idf = idf_by_column[order]

    # -- encoding --------------------------------------------------------------------------
    def _units(self, doc: str) -> list[str]:
        return list(_WHITE_SPACES.sub(" ", doc)) if self.kind == "char" else doc.split()

    def _unit_ids(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Alphabet ids of all units of all documents, concatenated, and each document's length."""
        if self.kind == "char":
            texts = [_WHITE_SPACES.sub(" ", d) for d in docs]
            lengths = np.fromiter(map(len, texts), np.int64, len(texts))
            points = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
            ids = self._table[np.minimum(points, len(self._table) - 1)]
            return ids, lengths
        tokens = [d.split() for d in docs]
        lengths = np.fromiter(map(len, tokens), np.int64, len(tokens))
        flat = chain.from_iterable(tokens)
        ids = np.fromiter(map(self._ids.get, flat, repeat(0)), np.uint64, int(lengths.sum()))
        return ids, lengths

    def _chunks(self, docs: Sequence[str]) -> list[tuple[int, Sequence[str]]]:
        """Documents in chunks small enough that a row number fits below an n-gram code in one
        uint64, so that one sort groups and counts the (n-gram, document) pairs."""
        chunk = min(_CHUNK_ROWS, 1 << (63 - self._code_bits()))
        return [(i, docs[i : i + chunk]) for i in range(0, len(docs), chunk)] or [(0, docs)]

    def _code_bits(self) -> int:
        return max(1, (self._base ** self.ngram_range[1] - 1).bit_length())

    def _pairs(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each distinct (n-gram, document) of ``docs`` (one chunk): codes, rows and counts,
        ordered by code and then row."""
        ids, lengths = self._unit_ids(docs)
        total = len(ids)
        row_bits = 63 - self._code_bits()
        rows = np.repeat(np.arange(len(lengths), dtype=np.uint64), lengths)
        left = np.repeat(np.cumsum(lengths), lengths) - np.arange(total)  # units to doc end
        leading_known = ids != 0
        base, shift = np.uint64(self._base), np.uint64(row_bits)
        low, high = self.ngram_range
        packed: list[np.ndarray] = []
        code = np.zeros(total, dtype=np.uint64)
        for n in range(1, min(high, total) + 1):
            count = total - n + 1
            # Extend the (n-1)-grams starting at 0..count-1 by the unit that follows them. An
            # unknown unit (id 0) inside an n-gram yields a code no vocabulary term has; only an
            # unknown leading unit could alias a shorter n-gram, so those are dropped.
            code = code[:count] * base + ids[n - 1 :]
            if n >= low:
                keep = (left[:count] >= n) & leading_known[:count]
                packed.append(((code << shift) | rows[:count])[keep])
        keys = np.concatenate(packed) if packed else np.zeros(0, dtype=np.uint64)
        keys.sort()
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))[: len(keys)]
        counts = np.diff(np.append(starts, len(keys)))
        unique = keys[starts]
        codes = unique >> shift
        pair_rows = (unique & np.uint64((1 << row_bits) - 1)).astype(np.int64)
        return codes, pair_rows, counts

    def _encode(self, term: str) -> int:
        ids = self._points if self.kind == "char" else None
        code = 0
        for unit in self._units(term):
            digit = int(np.searchsorted(ids, ord(unit))) + 1 if ids is not None else self._ids[unit]
            code = code * self._base + digit
        return code

    def _decode(self, code: int) -> str:
        units: list[str] = []
        while code:
            code, digit = divmod(code, self._base)
            units.append(self.alphabet[digit - 1])
        return ("" if self.kind == "char" else " ").join(reversed(units))

    # -- fitting and transforming -----------------------------------------------------------
    def fit(self, docs: Sequence[str]) -> NgramTfidf:
        if self.kind == "char":  # _WHITE_SPACES turns runs into " ", adds no other character
            self.alphabet = sorted(set(chain.from_iterable(docs)) | {" "})
        else:
            self.alphabet = sorted(set(chain.from_iterable(map(str.split, docs))))
        self._index()
        if self._base ** self.ngram_range[1] >= 2**_CODE_BITS:
            raise ValueError(
                f"{self.ngram_range[1]}-grams over {len(self.alphabet)} distinct units do not fit "
                "64-bit codes / n-gram 过长，无法编码"
            )
        parts = [self._pairs(chunk)[::2] for _, chunk in self._chunks(docs)]
        codes = np.concatenate([p[0] for p in parts])
        counts = np.concatenate([p[1] for p in parts])
        # Pairs are distinct per (n-gram, document): df counts them, tf sums their counts.
        unique, inverse = np.unique(codes, return_inverse=True)
        df = np.bincount(inverse, minlength=len(unique))
        tf = np.bincount(inverse, weights=counts, minlength=len(unique))
        kept = np.flatnonzero(df >= self.min_df)
        if self.max_features is not None and len(kept) > self.max_features:
            # Like sklearn: the most frequent terms over the corpus (ties: lower code first).
            kept = kept[np.lexsort((unique[kept], -tf[kept]))][: self.max_features]
            kept.sort()
        self.codes = unique[kept]
        n_docs = len(docs)
        self.idf = (np.log((1 + n_docs) / (1 + df[kept])) + 1).astype(np.float32)
        self._vocabulary = None
        return self

    def transform(self, docs: Sequence[str]) -> sparse.csr_matrix:
        blocks = [self._counts(chunk) for _, chunk in self._chunks(docs)]
        matrix = blocks[0] if len(blocks) == 1 else sparse.vstack(blocks, format="csr")
        np.log(matrix.data, out=matrix.data)  # sublinear tf: 1 + log(count)
        matrix.data += 1.0
        matrix.data *= self.idf[matrix.indices]
        return normalize(matrix, norm="l2", copy=False)

    def _counts(self, docs: Sequence[str]) -> sparse.csr_matrix:
        """Term counts of one chunk. The pairs come ordered by code, i.e. by column (a column
        is the rank of its code), then by row: a CSC matrix as it stands, and scipy's
        conversion to CSR keeps the columns of each row sorted."""
        codes, rows, counts = self._pairs(docs)
        new = np.concatenate(([True], codes[1:] != codes[:-1]))[: len(codes)]
        distinct = codes[new]
        columns = np.searchsorted(self.codes, distinct)  # few, sorted queries
        columns[columns == len(self.codes)] = 0
        known = self.codes[columns] == distinct if len(self.codes) else columns < 0
        run = np.cumsum(new) - 1  # index into distinct of every pair
        found = known[run]
        columns = columns[run][found]
        if len(docs) == 1:  # one complaint (the filing path): already a CSR row
            return sparse.csr_matrix(
                (counts[found].astype(np.float32), columns.astype(np.int32), [0, len(columns)]),
                shape=(1, len(self.codes)),
            )
        indptr = np.zeros(len(self.codes) + 1, dtype=np.int64)
        np.cumsum(np.bincount(columns, minlength=len(self.codes)), out=indptr[1:])
        matrix = sparse.csc_matrix(
            (counts[found].astype(np.float32), rows[found].astype(np.int32), indptr),
            shape=(len(docs), len(self.codes)),
        )
        return matrix.tocsr()

    def fit_transform(self, docs: Sequence[str]) -> sparse.csr_matrix:
        return self.fit(docs).transform(docs)

    @property
    def vocabulary(self) -> dict[str, int]:
        """Term -> column, decoded from the codes (for inspection and tests)."""
        if self._vocabulary is None:
            self._vocabulary = {self._decode(int(c)): i for i, c in enumerate(self.codes)}
        return self._vocabulary

    @property
    def n_features(self) -> int:
        return len(self.codes)
