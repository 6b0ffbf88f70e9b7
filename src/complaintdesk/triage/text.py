"""Text normalisation and Chinese/English tokenisation for the routing model.

rjieba (jieba-rs, ~10x faster) is used when installed, otherwise jieba; the dictionary loads
lazily on first use and jieba's start-up chatter is silenced. The tokenizer's name is stored in
the model metadata because the two can segment a few words differently.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache

_CJK = "\u3400-\u9fff\uf900-\ufaff"
_SPACES = re.compile(r"[\s\u3000\u00a0]+")
# Spaces between two CJK characters are artefacts (scraped padding, pre-segmented text).
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")


def normalise(text: str) -> str:
    """Lower-case, strip the scraped ``\\n\\t\\t`` padding and full-width spaces, join CJK runs."""
    text = _SPACES.sub(" ", text).strip().lower()
    return _CJK_GAP.sub("", text)


def join_fields(values: Iterable[object]) -> str:
    """Join several text columns (e.g. 留言主题 and 留言详情) into one text."""
    return " ".join(str(v) for v in values if v is not None and str(v).strip())


@cache
def _cutter() -> tuple[str, Callable[[str], list[str]]]:
    try:
        import rjieba

        return "rjieba", rjieba.cut
    except ImportError:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        logging.getLogger("jieba").setLevel(logging.WARNING)
        return "jieba", lambda s: jieba.lcut(s, HMM=False)


def tokenizer_name() -> str:
    return _cutter()[0]


def tokenise(text: str) -> str:
    """Space-joined word tokens of an already normalised text (Chinese and English)."""
    # Joining and re-splitting drops the whitespace tokens in C rather than one Python test
    # per token (the words are the same: the word featuriser splits on whitespace).
    return " ".join(" ".join(_cutter()[1](text)).split())


def tokenise_all(texts: Sequence[str]) -> list[str]:
    cut = _cutter()[1]
    return [" ".join(" ".join(cut(t)).split()) for t in texts]
