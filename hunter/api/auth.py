"""Bearer tokens and roles: viewer < sales < admin.

``require(role)`` is the dependency every protected route states (through the ``Viewer``,
``Sales`` and ``Admin`` aliases of ``deps.py``).  The token itself is never logged or echoed:
only its SHA-256 digest reaches the database, and every failure has the same generic detail.
(No ``from __future__ import annotations`` here: FastAPI must resolve the closure's annotations.)
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from ..store import tokens
from ..store.tokens import TokenRepository
from .errors import Forbidden, Unauthorized

bearer = HTTPBearer(auto_error=False, scheme_name="BearerToken",
                    description="An API token (`hnt_…`) from `hunter token create` or `POST /api/v1/tokens`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
INVALID = "A valid API token is required: send 'Authorization: Bearer <token>'."


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's id, role and name (never the token)."""

    token_id: int
    role: str
    name: str | None

    def may(self, role: str) -> bool:
        return tokens.rank(self.role) >= tokens.rank(role)


def authenticate(session: Session, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller behind the bearer token; raises ``Unauthorized`` when missing, unknown or revoked."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized(INVALID)
    repo = TokenRepository(session)
    row = repo.by_token(credentials.credentials)
    if row is None:
        session.rollback()
        raise Unauthorized(INVALID)
    principal = Principal(token_id=row.id, role=row.role, name=row.name)
    repo.touch(row)
    session.commit()          # ends the read too, so no connection is held while the route awaits
    return principal


def require(role: str, session_dep: Callable[..., object]) -> Callable[..., Principal]:
    """A dependency admitting callers whose role is at least ``role`` (403 otherwise)."""

    def dependency(credentials: Credentials,
                   session: Annotated[Session, Depends(session_dep)]) -> Principal:
        principal = authenticate(session, credentials)
        if not principal.may(role):
            raise Forbidden(f"This needs the {role} role; the token has the {principal.role} role.")
        return principal

    dependency.__name__ = f"require_{role}"
    return dependency
