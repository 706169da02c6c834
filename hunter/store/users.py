"""Users of the lead screen and their browser sessions.

A password is kept only as its argon2id hash (argon2-cffi); ``verify`` spends the same time on
an unknown name as on a wrong password, so a login does not tell which names exist.  A session
is a random cookie value; only its SHA-256 digest is stored (like the API tokens), beside the
session's CSRF token, its last activity and its absolute end.  A session ends at logout, when it
has been idle too long, at its absolute end, and as soon as its user is disabled.  Like every
repository, these never commit: the caller does.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..errors import InputError
from .models import User, WebSession
from .tokens import ROLES

NAME = re.compile(r"^[\w.@+-]{1,100}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
TOUCH_EVERY = timedelta(minutes=1)
# argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): ~40 ms a sign-in on a
# small server; a hash made with other parameters is upgraded at the next sign-in.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY = _HASHER.hash("not a password of anyone")


def name_key(name: str) -> str:
    """The stored form of a user name: trimmed, lower case (a dotted capital I is an i)."""
    return name.strip().replace("İ", "i").lower()


def hash_password(password: str) -> str:
    check_password(password)
    return _HASHER.hash(password)


def check_password(password: str) -> None:
    """Raise ``InputError`` for a password too short or too long."""
    if len(password) < MIN_PASSWORD:
        raise InputError(f"a password needs at least {MIN_PASSWORD} characters", column="password")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"a password has at most {MAX_PASSWORD} characters", column="password")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(self, name: str, *, password: str, role: str) -> User:
        key = name_key(name)
        if not NAME.match(key):
            raise InputError("a user name is 1–100 letters, digits or . _ @ + -", column="name")
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}; one of {', '.join(ROLES)}", column="role")
        if self.by_name(key) is not None:
            raise InputError(f"there is already a user {key!r}", column="name")
        user = User(name=key, password_hash=hash_password(password), role=role, created_at=_now(),
                    last_login_at=None, disabled=False)
        self.session.add(user)
        self.session.flush()
        return user

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def by_name(self, name: str) -> User | None:
        return self.session.scalar(select(User).where(User.name == name_key(name)))

    def list(self) -> list[User]:
        return list(self.session.scalars(select(User).order_by(User.name)))

    def verify(self, name: str, password: str) -> User | None:
        """The enabled user with this name and password, else None (constant work either way);
        records the login and upgrades an outdated hash."""
        user = self.by_name(name)
        if user is None or user.disabled:
            _matches(_DUMMY, password)
            return None
        if not _matches(user.password_hash, password):
            return None
        if _HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = _HASHER.hash(password)
        user.last_login_at = _now()
        return user

    def set_password(self, user: User, password: str) -> None:
        user.password_hash = hash_password(password)
        WebSessionRepository(self.session).close_all(user.id)

    def set_role(self, user: User, role: str) -> None:
        if role not in ROLES:
            raise InputError(f"unknown role {role!r}; one of {', '.join(ROLES)}", column="role")
        user.role = role

    def set_disabled(self, user: User, disabled: bool) -> None:
        """Disable (every session of the user ends now) or enable a user."""
        user.disabled = disabled
        if disabled:
            WebSessionRepository(self.session).close_all(user.id)


def _matches(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    lifetime: timedelta = timedelta(hours=12)     # absolute
    idle: timedelta = timedelta(hours=2)          # since the last request


class WebSessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open(self, user: User, *, policy: SessionPolicy, now: datetime | None = None) -> tuple[WebSession, str]:
        """A new session for ``user`` and the cookie value (the only time it is known)."""
        now = now or _now()
        token = secrets.token_urlsafe(32)
        row = WebSession(id=digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                         created_at=now, last_seen_at=now, expires_at=now + policy.lifetime)
        self.session.add(row)
        self.session.flush()
        return row, token

    def resolve(self, token: str, *, policy: SessionPolicy,
                now: datetime | None = None) -> tuple[WebSession, User] | None:
        """The live session of this cookie value and its (enabled) user; an expired or idle
        session is deleted.  Records the activity at most once per ``TOUCH_EVERY``."""
        now = now or _now()
        found = self.session.execute(select(WebSession, User).join(User, User.id == WebSession.user_id)
                                     .where(WebSession.id == digest(token))).first()
        if found is None:
            return None
        row, user = found
        if user.disabled or _aware(row.expires_at) <= now or now - _aware(row.last_seen_at) > policy.idle:
            self.session.delete(row)
            return None
        if now - _aware(row.last_seen_at) >= TOUCH_EVERY:
            row.last_seen_at = now
        return row, user

    def close(self, token: str) -> None:
        self.session.execute(delete(WebSession).where(WebSession.id == digest(token)))

    def close_all(self, user_id: int) -> int:
        return self.session.execute(delete(WebSession).where(WebSession.user_id == user_id)).rowcount or 0

    def purge(self, *, policy: SessionPolicy, now: datetime | None = None) -> int:
        """Delete the sessions past their absolute end or idle too long."""
        now = now or _now()
        stale = (WebSession.expires_at <= now) | (WebSession.last_seen_at < now - policy.idle)
        return self.session.execute(delete(WebSession).where(stale)).rowcount or 0

    def count(self, user_id: int) -> int:
        return len(self.session.scalars(select(WebSession.id).where(WebSession.user_id == user_id)).all())


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were written as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


__all__ = ["MIN_PASSWORD", "SessionPolicy", "UserRepository", "WebSessionRepository", "check_password",
           "hash_password", "name_key"]
