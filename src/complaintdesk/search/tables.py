"""The search index, declared so the schema and the migrations agree (migration 0014).

On PostgreSQL, a GIN index over the character bigrams of a complaint's title, summary and
letter: ``cd_bigrams``, an immutable SQL function. The migration creates it; a schema built
with ``metadata.create_all`` (bench/kpi.py) gets it from the DDL hook below, before the
index that calls it. SQLite gets neither (``ddl_if``): its search is a bounded scan, see
``matching.py``.
"""

from __future__ import annotations

from sqlalchemy import DDL, Index, event, func

from complaintdesk.complaints.tables import ComplaintRow

# Migration 0014 holds the same text (a migration is a snapshot); a unit test keeps them equal.
BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION cd_bigrams(title text, summary text, content text)
RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}')
    FROM (SELECT lower(coalesce(title, '') || ' ' || coalesce(summary, '') || ' '
                       || coalesce(content, '')) AS t) s,
         generate_series(1, length(t) - 1) AS i
$$
"""

event.listen(
    ComplaintRow.__table__,
    "before_create",
    DDL(BIGRAMS_FUNCTION).execute_if(dialect="postgresql"),
)

search_bigrams_index = Index(
    "ix_complaints_search_bigrams",
    func.cd_bigrams(ComplaintRow.title, ComplaintRow.summary, ComplaintRow.content),
    postgresql_using="gin",
).ddl_if(dialect="postgresql")
