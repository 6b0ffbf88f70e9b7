"""Every table module, imported once, so ``metadata`` is the whole schema.

Alembic's env.py and the test fixtures use this. A feature that adds tables in its own
``tables_<feature>.py`` (declared on ``tables.Base``) adds one import line here.
"""

from __future__ import annotations

from complaintdesk.db import base as tables
from complaintdesk.db.base import Base

metadata = Base.metadata

__all__ = ["metadata", "tables"]
