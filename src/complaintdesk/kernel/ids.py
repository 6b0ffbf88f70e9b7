"""Database ids: the range every id, cursor and version number must fall in."""

from __future__ import annotations

# The largest value of PostgreSQL's BIGINT. A larger number cannot be an id, and handed to
# the driver it fails (a 500) instead of finding nothing: the edge refuses it first.
BIGINT_MAX = 2**63 - 1
