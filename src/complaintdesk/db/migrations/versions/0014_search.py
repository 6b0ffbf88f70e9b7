"""Search over complaints' words (issue 13 item 7): a character-bigram GIN index on PostgreSQL.

Chinese has no spaces, and the words people look for are mostly two characters (噪音, 物业,
拖延), which pg_trgm's trigrams cannot serve from an index. ``cd_bigrams(title, summary,
content)`` turns the text into the set of its lower-cased two-character pieces; a GIN index on
that expression answers ``cd_bigrams(…) @> cd_bigrams(query)`` for any query of 2+
characters, and the page rechecks with ``LIKE`` on the columns the viewer may search. The
index is an expression over the row itself, so PostgreSQL keeps it in step with every filing
and edit in the same transaction: no trigger, no second table.

SQLite (the single-office install) has no such index: its search is a bounded ``LIKE`` walk
from the newest complaint backwards (see ``complaintdesk/search/matching.py``).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Declared again in complaintdesk/search/tables.py (the expression index) — keep them equal.
BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION cd_bigrams(title text, summary text, content text)
RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
    FROM (SELECT lower(coalesce(title, '') || ' ' || coalesce(summary, '') || ' '
                       || coalesce(content, '')) AS t) s,
         generate_series(1, length(t) - 1) AS i
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(BIGRAMS_FUNCTION)
    op.execute(
        "CREATE INDEX ix_complaints_search_bigrams ON complaints "
        "USING gin (cd_bigrams(title, summary, content))"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_complaints_search_bigrams")
    op.execute("DROP FUNCTION IF EXISTS cd_bigrams(text, text, text)")
