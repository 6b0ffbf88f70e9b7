"""Every table module, imported once, so ``metadata`` is the whole schema.

Alembic's env.py and the test fixtures use this. A feature that adds tables in its own
``tables_<feature>.py`` (declared on ``tables.Base``) adds one import line here.
"""

from __future__ import annotations

from complaintdesk.adapters.db import (  # noqa: F401
    audit_chain,
    tables,
    tables_access,
    tables_clock,
    tables_evaluation,
    tables_intake,
    tables_telecom,
    tables_triage,
)
from complaintdesk.adapters.db.tables import Base

metadata = Base.metadata

__all__ = ["metadata", "tables"]
