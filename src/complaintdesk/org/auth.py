"""Staff users, passwords (argon2), bearer tokens and lock-out."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, literal, or_, select, update

from complaintdesk.db.unit_of_work import SqlUnitOfWork
from complaintdesk.kernel.errors import DomainError, InvalidInput, PermissionDenied
from complaintdesk.org.model import Actor, Role
from complaintdesk.org.tables import ApiTokenRow, UnitRow, UserRow

_hasher = PasswordHasher()
MIN_PASSWORD_CHARS = 8


class AuthenticationFailed(DomainError):
    """Wrong credentials, locked or disabled account, expired token."""


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(
            f"密码至少{MIN_PASSWORD_CHARS}位"
            f" / password needs at least {MIN_PASSWORD_CHARS} characters"
        )
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_roles(value: str) -> frozenset[Role]:
    return frozenset(Role(r) for r in value.split(",") if r)


def actor_for(uow: SqlUnitOfWork, user: UserRow) -> Actor:
    unit = uow.session.get(UnitRow, user.unit_id)
    assert unit is not None
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=parse_roles(user.roles),
        unit_id=unit.id,
        unit_path=unit.path,
    )


def create_user(
    uow: SqlUnitOfWork,
    *,
    username: str,
    display_name: str,
    password: str | None = None,
    password_hash: str | None = None,
    roles: set[Role],
    unit_id: int,
) -> UserRow:
    username = username.strip()
    if not username:
        raise InvalidInput("用户名不能为空 / username must not be empty")
    if uow.users.by_username(username) is not None:
        raise InvalidInput(f"用户名已存在 / username already exists: {username}")
    if not roles:
        raise InvalidInput("至少需要一个角色 / at least one role is required")
    uow.units.get(unit_id)
    hashed = password_hash or hash_password(password or "")
    user = UserRow(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hashed,
        roles=",".join(sorted(r.value for r in roles)),
        unit_id=unit_id,
    )
    uow.session.add(user)
    uow.session.flush()
    return user


def login(
    uow: SqlUnitOfWork,
    username: str,
    password: str,
    *,
    now: datetime,
    ttl_hours: int,
    max_failures: int,
    lockout_minutes: int,
) -> tuple[str, UserRow]:
    """Check a password; ``max_failures`` wrong ones lock the account for a while.

    An unknown user, a disabled or locked account and a wrong password get the same answer
    after the same work (an argon2 verification), so the answer does not tell an attacker
    which usernames exist.
    """
    refused = AuthenticationFailed(LOGIN_REFUSED)
    user = uow.users.by_username(username.strip())
    if user is None or not user.active or _locked(user, now):
        _verify_dummy(password)
        raise refused
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        _count_failure(uow, user.id, now, max_failures, lockout_minutes)
        uow.commit()
        raise refused from None
    # Only while still unlocked: a parallel guess may have locked it since it was read.
    cleared = uow.session.execute(
        update(UserRow)
        .where(
            UserRow.id == user.id,
            or_(UserRow.locked_until.is_(None), UserRow.locked_until <= now),
        )
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    if cleared.rowcount != 1:  # type: ignore[attr-defined]
        uow.rollback()
        raise refused
    token = secrets.token_urlsafe(32)
    uow.session.add(
        ApiTokenRow(
            user_id=user.id,
            token_hash=_token_hash(token),
            created_at=now,
            expires_at=now + timedelta(hours=ttl_hours),
        )
    )
    uow.commit()
    return token, user


LOGIN_REFUSED = (
    "用户名或密码错误，或账号因多次失败已被临时锁定"
    " / wrong username or password, or the account is locked for a while after repeated failures"
)


def _locked(user: UserRow, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify_dummy(password: str) -> None:
    """The same argon2 work as a real check, against a hash nothing can match."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), password)


def _count_failure(
    uow: SqlUnitOfWork, user_id: int, now: datetime, max_failures: int, lockout_minutes: int
) -> None:
    """One atomic UPDATE, so parallel wrong guesses each count (no read-then-write).

    On PostgreSQL a second UPDATE of the row waits for the first transaction and then
    re-reads the counter; on SQLite the write lock serialises them. Both sides of each SET
    see the row before this statement.
    """
    reaches = UserRow.failed_logins + 1 >= max_failures
    until = now + timedelta(minutes=lockout_minutes)
    uow.session.execute(
        update(UserRow)
        .where(UserRow.id == user_id)
        .values(
            failed_logins=case((reaches, 0), else_=UserRow.failed_logins + 1),
            locked_until=case(
                # Typed as the column, so the time is stored as naive UTC like every other.
                (reaches, literal(until, UserRow.locked_until.type)),
                else_=UserRow.locked_until,
            ),
        )
        .execution_options(synchronize_session=False)
    )


def authenticate(uow: SqlUnitOfWork, token: str, *, now: datetime) -> Actor:
    row = uow.session.scalar(
        select(ApiTokenRow).where(ApiTokenRow.token_hash == _token_hash(token))
    )
    if row is None or row.revoked or row.expires_at <= now:
        raise AuthenticationFailed("登录已失效，请重新登录 / not signed in or session expired")
    user = uow.users.get(row.user_id)
    if user is None or not user.active:
        raise AuthenticationFailed("账号已停用 / account disabled")
    return actor_for(uow, user)


def logout(uow: SqlUnitOfWork, token: str) -> None:
    row = uow.session.scalar(
        select(ApiTokenRow).where(ApiTokenRow.token_hash == _token_hash(token))
    )
    if row is not None:
        row.revoked = True
        uow.commit()


# --- user administration (issue 6) ----------------------------------------------------


def _user_or_refuse(uow: SqlUnitOfWork, username: str) -> UserRow:
    user = uow.users.by_username(username.strip())
    if user is None:
        raise InvalidInput(f"用户不存在 / no such user: {username}")
    return user


def reset_password(
    uow: SqlUnitOfWork, username: str, password: str, *, now: datetime, by: int | None = None
) -> UserRow:
    """A new password; the lock-out is lifted and every open session is signed out."""
    from complaintdesk.audit import service as audit

    user = _user_or_refuse(uow, username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    _revoke_tokens(uow, user.id)
    audit.record(uow, actor_id=by, kind="user_password_reset", at=now, detail={"user": user.id})
    uow.commit()
    return user


def disable_user(
    uow: SqlUnitOfWork, username: str, *, now: datetime, by: int | None = None
) -> UserRow:
    """A disabled account cannot sign in, and its sessions and tokens stop working at once."""
    from complaintdesk.audit import service as audit

    user = _user_or_refuse(uow, username)
    if by is not None and user.id == by:
        raise InvalidInput("不能停用自己的账号 / you cannot disable your own account")
    user.active = False
    _revoke_tokens(uow, user.id)
    audit.record(uow, actor_id=by, kind="user_disabled", at=now, detail={"user": user.id})
    uow.commit()
    return user


def _revoke_tokens(uow: SqlUnitOfWork, user_id: int) -> None:
    uow.session.execute(
        update(ApiTokenRow)
        .where(ApiTokenRow.user_id == user_id, ApiTokenRow.revoked.is_(False))
        .values(revoked=True)
    )


def register_user(
    uow: SqlUnitOfWork,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: list[str],
    unit_code_or_id: str,
    now: datetime,
    by: int | None = None,
) -> UserRow:
    """Create a staff user from text input (CLI, admin API), with bilingual refusals."""
    from complaintdesk.audit import service as audit

    try:
        parsed = {Role(r.strip()) for r in roles if r.strip()}
    except ValueError:
        valid = ", ".join(r.value for r in Role)
        raise InvalidInput(f"未知角色 / unknown role; valid roles: {valid}") from None
    unit = uow.units.by_code(unit_code_or_id.strip())
    if unit is None and unit_code_or_id.strip().isdigit():
        unit = uow.units.get(int(unit_code_or_id))
    if unit is None:
        raise InvalidInput(f"单位不存在 / no such unit: {unit_code_or_id}")
    user = create_user(
        uow,
        username=username,
        display_name=display_name,
        password=password,
        roles=parsed,
        unit_id=unit.id,
    )
    audit.record(
        uow,
        actor_id=by,
        kind="user_created",
        at=now,
        detail={"user": user.id, "roles": sorted(r.value for r in parsed), "unit": unit.id},
    )
    uow.commit()
    return user


def require_role(actor: Actor, *roles: Role) -> None:
    """Admins, or one of ``roles``; anyone else is refused."""
    if not (actor.is_admin or actor.roles & set(roles)):
        raise PermissionDenied("仅限管理员 / administrators only")
