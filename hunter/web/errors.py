"""Errors of the lead screen as pages: a stranger is sent to sign in, a lower role, a missing
CSRF token, a missing lead, too many sign-in attempts each get a page in the reader's language.

``install(app)`` also wraps the API's handlers: an error on one of the screen's paths (an API
function called by a page raising ``NotFound``, an unknown page, a body over the limit) is a
page, while the API's own paths keep their ``application/problem+json`` answers unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from ..api import errors as api_errors
from ..errors import HunterError
from ..jobs.base import JobNotFound
from .security import is_page

Handler = Callable[[Request, Exception], Awaitable[Response]]


class PageError(Exception):
    status = 500
    key = "error.500"

    def __init__(self, detail: str | None = None, *, json: bool = False, retry_after: float | None = None) -> None:
        self.detail, self.json, self.retry_after = detail, json, retry_after
        super().__init__(detail or self.key)


class LoginRequired(PageError):
    status, key = 401, "error.401"


class Forbidden(PageError):
    status, key = 403, "error.403"


class CsrfRefused(PageError):
    status, key = 403, "error.csrf"


class NotFound(PageError):
    status, key = 404, "error.404"


class TooManyAttempts(PageError):
    status, key = 429, "error.429"


KEYS = {400: "error.400", 401: "error.401", 403: "error.403", 404: "error.404", 405: "error.405",
        409: "error.409", 413: "error.413", 415: "error.415", 422: "error.422", 429: "error.429",
        502: "error.502", 503: "error.503"}


def install(app: FastAPI, render_error: Callable[..., Response]) -> None:
    """Page errors on the screen's paths; the API's handlers everywhere else."""

    async def on_page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        if isinstance(exc, LoginRequired) and not exc.json:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        if exc.json:
            return JSONResponse({"status": exc.status, "detail": exc.key}, status_code=exc.status)
        headers = {"Retry-After": str(int(exc.retry_after + 0.999))} if exc.retry_after else None
        return render_error(request, exc.status, exc.key, detail=exc.detail, headers=headers)

    app.add_exception_handler(PageError, on_page_error)
    for kind in (api_errors.ApiProblem, HunterError, JobNotFound, HTTPException, RequestValidationError, Exception):
        previous = app.exception_handlers.get(kind)
        if previous is not None:
            app.add_exception_handler(kind, _as_page(previous, render_error))


def _as_page(previous: Handler, render_error: Callable[..., Response]) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        if not is_page(request.scope):
            return await previous(request, exc)
        status = _status(exc)
        if status >= 500:
            await previous(request, exc)           # the API's handler logs it; the page says less
            return render_error(request, status, KEYS.get(status, "error.500"), detail=None)
        detail = api_errors.detail_of(exc, status) if not isinstance(exc, HTTPException) else None
        return render_error(request, status, KEYS.get(status, "error.500"), detail=detail)

    return handler


def _status(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, RequestValidationError):
        return 422
    return api_errors.status_of(exc)
