"""Domain errors. Messages are Chinese first, then English: a person reads them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


class DomainError(Exception):
    """Base of every rule the domain refuses to break."""


class InvalidInput(DomainError):
    """The request is well-formed but breaks a rule (empty reason, too many days, ...)."""


class NotFound(DomainError):
    """The thing does not exist, or the viewer may not know that it does."""


class PermissionDenied(DomainError):
    """The actor's role or jurisdiction does not allow this."""


class QuotaExceeded(DomainError):
    """Too many of something: HTTP 429, with ``Retry-After`` when the wait is known.

    One type for every 429: a daily SMS quota (``quota_exceeded``) and the per-address
    request limits (``http.ratelimit.RateLimited``, ``rate_limited``).
    """

    code = "quota_exceeded"

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConcurrencyConflict(DomainError):
    """Somebody else changed the complaint first (optimistic version check)."""

    def __init__(self, complaint_id: int, expected_version: int, current_version: int | None):
        self.complaint_id = complaint_id
        self.expected_version = expected_version
        self.current_version = current_version
        super().__init__(
            f"投诉已被他人修改（版本 {expected_version} → {current_version}），请刷新后重试"
            f" / the complaint was changed by someone else (version {expected_version} →"
            f" {current_version}); reload and try again"
        )
