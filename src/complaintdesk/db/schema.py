"""Every table module, imported once, so ``metadata`` is the whole schema.

Alembic's env.py and the test fixtures use this. A feature that adds a table module adds
one import line here (``tests/integration/test_migrations.py`` fails when one is missing).
"""

from __future__ import annotations

from complaintdesk.audit import tables as _audit  # noqa: F401
from complaintdesk.clock import tables as _clock  # noqa: F401
from complaintdesk.complaints import tables as _complaints  # noqa: F401
from complaintdesk.db import base as tables
from complaintdesk.db.base import Base
from complaintdesk.evaluation import tables as _evaluation  # noqa: F401
from complaintdesk.intake import tables as _intake  # noqa: F401
from complaintdesk.notify import tables as _notify  # noqa: F401
from complaintdesk.org import tables as _org  # noqa: F401
from complaintdesk.search import tables as _search  # noqa: F401
from complaintdesk.telecom import kpi_tables as _telecom_kpis  # noqa: F401
from complaintdesk.telecom import tables as _telecom  # noqa: F401
from complaintdesk.triage import tables as _triage  # noqa: F401

metadata = Base.metadata

__all__ = ["metadata", "tables"]
