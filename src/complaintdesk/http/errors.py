"""Which HTTP status answers which domain error: one table for the API and the pages."""

from __future__ import annotations

from complaintdesk.complaints.vocabulary import IllegalTransition
from complaintdesk.kernel.errors import (
    ConcurrencyConflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
)
from complaintdesk.org.auth import AuthenticationFailed

STATUS_BY_ERROR: list[tuple[type[DomainError], int, str]] = [
    (AuthenticationFailed, 401, "unauthenticated"),
    (PermissionDenied, 403, "forbidden"),
    (NotFound, 404, "not_found"),
    (ConcurrencyConflict, 409, "version_conflict"),
    (IllegalTransition, 409, "illegal_transition"),
    (InvalidInput, 422, "invalid"),
    (QuotaExceeded, 429, "quota_exceeded"),
]
