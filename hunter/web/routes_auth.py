"""Sign in, sign out.

The sign-in form carries its own CSRF token (a random value in a short-lived SameSite=Strict
cookie and in the form: both must match), failed attempts are limited per name and address
(``ratelimit``), and a successful one starts a new session (any old one of this browser ends).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..api.deps import Services, services
from ..store.users import UserRepository, WebSessionRepository
from . import auth
from .auth import AnyAction
from .errors import CsrfRefused
from .pages import flash, render
from .ratelimit import LoginLimiter
from .security import secure_cookies

router = APIRouter(include_in_schema=False)
LOGIN_COOKIE = "hunter_login"
HOME = "/leads"


def limiter(request: Request) -> LoginLimiter:
    return request.app.state.login_limiter


def safe_next(target: str | None) -> str:
    """Only a path of this site: never another host (``//evil``, ``/\\evil``, ``https:``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\n" in target or "\r" in target:
        return HOME
    return target


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    if auth.current_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(request, next=safe_next(next))


def _form(request: Request, *, next: str, status: int = 200, error: tuple[str, int] | None = None,
          name: str = "", headers: dict[str, str] | None = None) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "login.html", status=status, login_csrf=token, next=next, error=error,
                      name=name, headers=headers)
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict", path="/login",
                        secure=secure_cookies(request, services(request).settings))
    return response


@router.post("/login")
async def login(request: Request, username: Annotated[str, Form(max_length=200)] = "",
                password: Annotated[str, Form(max_length=1024)] = "",
                csrf: Annotated[str, Form(max_length=200)] = "",
                next: Annotated[str, Form(max_length=2000)] = HOME) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
        raise CsrfRefused()
    svc, address = services(request), request.client.host if request.client else "?"
    wait = limiter(request).retry_after(username, address)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        return _form(request, next=safe_next(next), status=429, name=username,
                     error=("login.too_many", minutes), headers={"Retry-After": str(int(wait + 0.999))})
    opened = await run_in_threadpool(_sign_in, svc, username, password, request.cookies.get(auth.COOKIE))
    if opened is None:
        limiter(request).fail(username, address)
        return _form(request, next=safe_next(next), status=401, name=username, error=("login.failed", 0))
    limiter(request).succeed(username, address)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(auth.COOKIE, opened, max_age=int(svc.settings.session_hours * 3600), httponly=True,
                        samesite="lax", path="/", secure=secure_cookies(request, svc.settings))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


def _sign_in(svc: Services, name: str, password: str, old: str | None) -> str | None:
    """A new session's cookie value for a right name and password, else None."""
    with svc.sessions() as session:
        user = UserRepository(session).verify(name, password) if name and password else None
        if user is None:
            session.rollback()
            return None
        sessions = WebSessionRepository(session)
        if old:
            sessions.close(old)
        sessions.purge(policy=auth.policy(svc.settings))
        _, token = sessions.open(user, policy=auth.policy(svc.settings))
        session.commit()
    return token


@router.post("/logout")
def logout(request: Request, user: AnyAction) -> Response:
    _sign_out(services(request), request.cookies.get(auth.COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    return flash(response, "flash.signed_out")


def _sign_out(svc: Services, token: str) -> None:
    with svc.sessions() as session:
        WebSessionRepository(session).close(token)
        session.commit()
