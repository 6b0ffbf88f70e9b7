"""Lock-out under parallel guessing: every wrong password counts (SPEC access rules)."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from complaintdesk.bootstrap import Container
from complaintdesk.org import auth

GUESSES = 8


def _guess(container: Container, max_failures: int) -> None:
    with container.uow() as uow, contextlib.suppress(auth.AuthenticationFailed):
        auth.login(
            uow,
            "operator",
            "wrong-password",
            now=container.clock.now(),
            ttl_hours=1,
            max_failures=max_failures,
            lockout_minutes=15,
        )


def _parallel(container: Container, max_failures: int) -> None:
    start = threading.Barrier(GUESSES)

    def run() -> None:
        start.wait()
        _guess(container, max_failures)

    threads = [threading.Thread(target=run) for _ in range(GUESSES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_parallel_wrong_passwords_each_count(container: Container, org: dict[str, Any]) -> None:
    _parallel(container, max_failures=100)
    with container.uow() as uow:
        user = uow.users.by_username("operator")
        assert user is not None
        assert user.failed_logins == GUESSES


def test_parallel_guesses_past_the_limit_lock_the_account(
    container: Container, org: dict[str, Any]
) -> None:
    _parallel(container, max_failures=GUESSES)
    with container.uow() as uow:
        user = uow.users.by_username("operator")
        assert user is not None
        assert user.locked_until is not None and user.failed_logins == 0
        try:
            auth.login(
                uow,
                "operator",
                "demo12345",
                now=container.clock.now(),
                ttl_hours=1,
                max_failures=GUESSES,
                lockout_minutes=15,
            )
        except auth.AuthenticationFailed as exc:
            assert str(exc) == auth.LOGIN_REFUSED
        else:
            raise AssertionError("a locked account signed in")
