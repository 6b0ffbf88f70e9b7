"""Per-address rate limits for the doors anyone can knock on: filing, status look-ups, sign-in.

A sliding window per client address, kept in this process with bounded memory: at most
``max_keys`` addresses are tracked, the least recently seen forgotten first. With N server
processes each keeps its own count, so the effective limit is N times the setting; put a
limit in the reverse proxy in front (docs/reliability.md, "HTTP edge") when that matters.

The address is ``request.client.host``: the proxy's, unless proxy headers are trusted
(``COMPLAINTDESK_PROXY_HEADERS``), when it is the one the trusted proxy reports.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request

from complaintdesk.config import Settings
from complaintdesk.kernel.errors import QuotaExceeded

MAX_KEYS = 10_000


class RateLimited(QuotaExceeded):
    """Too many requests from one address: answered 429 with ``Retry-After``."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after)


class SlidingWindow:
    """At most ``limit`` hits per key in any ``window`` seconds."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        # Sync endpoints run in a thread pool: one lock keeps the counts exact.
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count a hit; None when allowed, else the seconds until the next one would be."""
        now = self.clock()
        with self._lock:
            hits = self._hits.pop(key, None) or deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            self._hits[key] = hits
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            return None


BUCKETS = {
    "login": ("登录尝试过于频繁", "too many sign-in attempts"),
    "filing": ("提交投诉过于频繁", "too many complaints filed"),
    "status": ("查询过于频繁", "too many progress look-ups"),
}


def limiters(settings: Settings) -> dict[str, SlidingWindow]:
    window = settings.rate_limit_window_seconds
    return {
        "login": SlidingWindow(settings.login_rate_limit, window),
        "filing": SlidingWindow(settings.filing_rate_limit, window),
        "status": SlidingWindow(settings.status_rate_limit, window),
    }


def rate_limit(bucket: str) -> Any:
    """A route dependency counting each request from the client's address in ``bucket``."""
    chinese, english = BUCKETS[bucket]

    def check(request: Request) -> None:
        address = request.client.host if request.client else "unknown"
        wait = request.app.state.rate_limits[bucket].hit(address)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(
                f"{chinese}，请{seconds}秒后再试 / {english}; try again in {seconds} s",
                seconds,
            )

    return Depends(check)
