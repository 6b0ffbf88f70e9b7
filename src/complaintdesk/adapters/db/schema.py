"""Every table module, imported once, so ``metadata`` is the whole schema.

Alembic's env.py and the test fixtures use this. A feature that adds tables in its own
``tables_<feature>.py`` (declared on ``tables.Base``) adds one import line here.
"""

from __future__ import annotations

from complaintdesk.adapters.db import tables
from complaintdesk.adapters.db import tables_clock  # noqa: F401
from complaintdesk.adapters.db import tables_intake  # noqa: F401
from complaintdesk.adapters.db import tables_evaluation  # noqa: F401
from complaintdesk.adapters.db.tables import Base

metadata = Base.metadata

__all__ = ["metadata", "tables"]
