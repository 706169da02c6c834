"""API tokens: issued once, stored only as their SHA-256 digest, looked up by that digest.

A token is ``hnt_`` + 32 random bytes (URL-safe base64), so a leaked one is recognisable
in a secret scanner.  Like every repository, this one never commits: the caller does.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ApiToken

PREFIX = "hnt_"
ROLES = ("viewer", "sales", "admin")          # each role may do everything the ones before it may
TOUCH_EVERY = timedelta(minutes=1)


def generate() -> str:
    """A new random token (shown once, never stored)."""
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def rank(role: str) -> int:
    """0 for viewer, 1 for sales, 2 for admin; -1 for anything else."""
    return ROLES.index(role) if role in ROLES else -1


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def issue(self, *, role: str, name: str | None = None) -> tuple[ApiToken, str]:
        """A new token row and the token itself (the only time it is known)."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        token = generate()
        row = ApiToken(name=name, role=role, token_hash=digest(token), created_at=_now(),
                       last_used_at=None, revoked=False)
        self.session.add(row)
        self.session.flush()
        return row, token

    def get(self, token_id: int) -> ApiToken | None:
        return self.session.get(ApiToken, token_id)

    def by_token(self, token: str) -> ApiToken | None:
        """The active (not revoked) row of ``token``, or None."""
        query = select(ApiToken).where(ApiToken.token_hash == digest(token), ApiToken.revoked.is_(False))
        return self.session.scalars(query).first()

    def list(self) -> list[ApiToken]:
        return list(self.session.scalars(select(ApiToken).order_by(ApiToken.id)))

    def revoke(self, token_id: int) -> ApiToken | None:
        row = self.get(token_id)
        if row is not None:
            row.revoked = True
        return row

    def touch(self, row: ApiToken, *, now: datetime | None = None) -> bool:
        """Record a use; writes at most once per ``TOUCH_EVERY``.  True when it wrote."""
        now = now or _now()
        last = row.last_used_at
        if last is not None and now - _aware(last) < TOUCH_EVERY:
            return False
        row.last_used_at = now
        return True


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were written as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
