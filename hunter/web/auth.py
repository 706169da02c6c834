"""Who is looking at the page: the session cookie, the user behind it, the role checks and the
CSRF token of every form.

- The cookie ``hunter_session`` holds a random value (HttpOnly, SameSite=Lax, Secure over HTTPS);
  the database keeps only its digest (``store.users``), so logout, expiry and disabling a user
  end the session for real.
- ``require(role)`` admits a signed-in user whose role is at least ``role`` (viewer < sales <
  admin, as the API tokens): a stranger is sent to the sign-in page, a lower role gets 403.
- ``act(role)`` is the same for a POST, and also wants the session's CSRF token in the form
  field ``csrf`` or the header ``X-CSRF-Token``: without it the POST is refused with 403.

(No ``from __future__ import annotations`` here: FastAPI must resolve the closures' annotations.)
"""

import hmac
from collections.abc import Awaitable, Callable
from typing import Optional
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from ..api.deps import Services, services
from ..settings import Settings
from ..store import tokens
from ..store.users import SessionPolicy, WebSessionRepository
from .errors import CsrfRefused, Forbidden, LoginRequired

COOKIE = "hunter_session"
MAX_COOKIE = 200
_UNSEEN = object()


@dataclass(frozen=True, slots=True)
class WebUser:
    """The signed-in person (never the cookie value)."""

    id: int
    name: str
    role: str
    csrf: str

    def may(self, role: str) -> bool:
        return tokens.rank(self.role) >= tokens.rank(role)


def policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(lifetime=timedelta(hours=settings.session_hours),
                         idle=timedelta(minutes=settings.session_idle_minutes))


def current_user(request: Request) -> Optional["WebUser"]:
    """The user of this request's session cookie, looked up once per request."""
    known = getattr(request.state, "user", _UNSEEN)
    if known is not _UNSEEN:
        return known
    token = request.cookies.get(COOKIE)
    user = _resolve(services(request), token) if token and len(token) <= MAX_COOKIE else None
    request.state.user = user
    return user


def _resolve(svc: Services, token: str) -> Optional["WebUser"]:
    with svc.sessions() as session:
        found = WebSessionRepository(session).resolve(token, policy=policy(svc.settings))
        user = WebUser(id=found[1].id, name=found[1].name, role=found[1].role,
                       csrf=found[0].csrf_token) if found else None
        session.commit()
    return user


def require(role: str, *, json: bool = False) -> Callable[[Request], WebUser]:
    def dependency(request: Request) -> WebUser:
        user = current_user(request)
        if user is None:
            raise LoginRequired(json=json)
        if not user.may(role):
            raise Forbidden(json=json)
        return user

    dependency.__name__ = f"page_{role}"
    return dependency


def act(role: str) -> Callable[..., Awaitable[WebUser]]:
    async def dependency(request: Request, user: Annotated[WebUser, Depends(require(role))]) -> WebUser:
        form = await request.form()
        sent = form.get("csrf") or request.headers.get("x-csrf-token") or ""
        if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), user.csrf.encode()):
            raise CsrfRefused()
        return user

    dependency.__name__ = f"action_{role}"
    return dependency


Viewer = Annotated[WebUser, Depends(require("viewer"))]
Sales = Annotated[WebUser, Depends(require("sales"))]
Admin = Annotated[WebUser, Depends(require("admin"))]
ViewerJson = Annotated[WebUser, Depends(require("viewer", json=True))]
AnyAction = Annotated[WebUser, Depends(act("viewer"))]
SalesAction = Annotated[WebUser, Depends(act("sales"))]
AdminAction = Annotated[WebUser, Depends(act("admin"))]
