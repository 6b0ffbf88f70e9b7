"""What a search box query means, and the SQL that matches its words.

Pure parsing (:func:`parse`) and highlighting (:func:`highlight`) first, then the conditions
:meth:`ComplaintQueries.search <complaintdesk.complaints.queries.ComplaintQueries.search>`
puts under the viewer's jurisdiction.

A search first reads the newest 2,000, then 20,000 complaints (:data:`RECENT_WINDOWS`) with
``LIKE``: a common word fills its page there. Only if it does not does PostgreSQL ask
the bigram GIN index of migration 0014 (``cd_bigrams(title, summary, content) @> bigrams of
the word``, rechecked with ``LIKE`` on the columns the viewer may search); SQLite walks on.
Both steps are needed because the planner cannot know that the ``LIKE`` matches every row
the index returns: left to choose, it fetches and sorts 100,000 rows for a common word.
A one-character word cannot be served by a bigram index; it looks at the newest
:data:`RECENT_WINDOW` complaints only, on both databases. (Small windows first because the
planner, expecting few matches, reads a whole window before sorting it.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ARRAY, Text, and_, bindparam, func, or_

from complaintdesk.complaints.tables import ComplaintRow

RECENT_WINDOWS = (2_000, 20_000)
RECENT_WINDOW = RECENT_WINDOWS[-1]
MAX_WORDS = 5
MAX_QUERY = 60

_TRACKING = re.compile(r"TS\d{8}-\d{1,6}", re.IGNORECASE)
_TRACKING_PREFIX = re.compile(r"TS\d{2,8}(-\d{0,6})?", re.IGNORECASE)
_PHONE = re.compile(r"\+?[\d\s()\-]{7,24}")


class QueryKind(StrEnum):
    EMPTY = "empty"
    TRACKING = "tracking"  # exact: TS20261201-000001
    TRACKING_PREFIX = "tracking_prefix"  # TS202612…
    PHONE = "phone"  # centre side only
    WORDS = "words"


@dataclass(frozen=True)
class SearchQuery:
    kind: QueryKind
    text: str = ""
    words: tuple[str, ...] = field(default=())
    phones: tuple[str, ...] = field(default=())

    @property
    def one_character_only(self) -> bool:
        return bool(self.words) and all(len(w) < 2 for w in self.words)


def parse(raw: str) -> SearchQuery:
    text = " ".join(raw.split())[:MAX_QUERY]
    if not text:
        return SearchQuery(QueryKind.EMPTY)
    if _TRACKING.fullmatch(text):
        day, number = text.upper().split("-")
        return SearchQuery(QueryKind.TRACKING, f"{day}-{int(number):06d}")
    if _TRACKING_PREFIX.fullmatch(text):
        return SearchQuery(QueryKind.TRACKING_PREFIX, text.upper())
    digits = re.sub(r"\D", "", text)
    if _PHONE.fullmatch(text) and 7 <= len(digits) <= 15:
        # As typed and as bare digits: phones are stored as the operator entered them.
        variants = dict.fromkeys([text, text.replace(" ", ""), digits, "+" + digits])
        return SearchQuery(QueryKind.PHONE, text, phones=tuple(variants))
    words = tuple(dict.fromkeys(w.lower() for w in text.split(" ")))[:MAX_WORDS]
    return SearchQuery(QueryKind.WORDS, text, words=words)


def bigrams(word: str) -> list[str]:
    """The two-character pieces of a word, as ``cd_bigrams`` (migration 0014) cuts them."""
    word = word.lower()
    return sorted({word[i : i + 2] for i in range(len(word) - 1)})


def highlight(text: str, words: tuple[str, ...]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) runs, case-insensitively, for ``<mark>``."""
    if not text or not words:
        return [(text, False)] if text else []
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.I)
    out: list[tuple[str, bool]] = []
    at = 0
    for m in pattern.finditer(text):
        if m.start() > at:
            out.append((text[at : m.start()], False))
        out.append((m.group(0), True))
        at = m.end()
    if at < len(text):
        out.append((text[at:], False))
    return out


def _contains(column: Any, word: str) -> Any:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # Rendered into the SQL (safely quoted) rather than bound: the planner must see the
    # word to estimate how many rows match, also once psycopg prepares the statement.
    pattern = bindparam(None, f"%{escaped}%", type_=Text, literal_execute=True)
    return func.lower(column).like(pattern, escape="\\")


def word_condition(dialect: str, word: str, owner_side: Any, *, indexed: bool) -> Any:
    """The complaint's title or summary holds ``word``, or — for rows ``owner_side`` is
    true of, the centre's own — its letter does (SPEC §5: a unit never searches the letter
    it is not shown). ``indexed``: through the bigram index, where there is one."""
    seen = or_(
        _contains(ComplaintRow.title, word),
        _contains(ComplaintRow.summary, word),
        and_(owner_side, _contains(ComplaintRow.content, word)),
    )
    if not indexed or dialect != "postgresql" or len(word) < 2:
        return seen
    grams = bindparam(None, bigrams(word), type_=ARRAY(Text), literal_execute=True)
    pieces = func.cd_bigrams(ComplaintRow.title, ComplaintRow.summary, ComplaintRow.content)
    return and_(pieces.op("@>")(grams), seen)
