"""Every HTTP error is an RFC 9457 problem (``application/problem+json``); status codes are
chosen here and nowhere else.

    ApiProblem              raised by routes and auth for HTTP-level outcomes
    ├── BadRequest      400
    ├── Unauthorized    401 (+ WWW-Authenticate: Bearer)
    ├── Forbidden       403
    ├── NotFound        404
    ├── Conflict        409
    ├── TooLarge        413
    ├── UnsupportedType 415
    └── Unavailable     503
    JobNotFound 404.
    HunterError families: InputError 422 (413 for size/row limits), ConfigError/RulesError 500
    (generic detail), IntegrationUnavailable/RateLimited 503, other IntegrationError 502.
    RequestValidationError 422 with ``errors[{loc, msg, type}]``; anything else 500, generic.

A detail never carries a stack trace, SQL, a server path or a secret: HunterError messages are
written for users, InputError paths are cut to the file name, and the rest is logged, not sent.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from pathlib import PurePath
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ..errors import (ConfigError, HunterError, InputError, IntegrationError, IntegrationUnavailable,
                      RateLimited, RulesError)
from ..jobs.base import JobNotFound

log = logging.getLogger("hunter.api")
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:hunter:problem:"
LIMIT_MARKERS = ("(max_bytes)", "(max_rows)")


class ApiProblem(Exception):
    """An HTTP-level outcome; ``detail`` is shown to the client as is."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail)


class BadRequest(ApiProblem): ...
class Unauthorized(ApiProblem): ...
class Forbidden(ApiProblem): ...
class NotFound(ApiProblem): ...
class Conflict(ApiProblem): ...
class TooLarge(ApiProblem): ...
class UnsupportedType(ApiProblem): ...
class Unavailable(ApiProblem): ...


STATUS: dict[type[Exception], int] = {
    BadRequest: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, Conflict: 409,
    TooLarge: 413, UnsupportedType: 415, Unavailable: 503, JobNotFound: 404,
    InputError: 422, ConfigError: 500, RulesError: 500,
    IntegrationUnavailable: 503, RateLimited: 503, IntegrationError: 502,
}
SLUG = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
        405: "method-not-allowed", 409: "conflict", 413: "too-large", 415: "unsupported-media-type",
        422: "invalid-input", 500: "internal", 502: "integration-failed", 503: "unavailable"}
GENERIC = "The server could not complete the request; the error has been logged."


def status_of(exc: Exception) -> int:
    """The HTTP status of an exception: the first class of its MRO named in ``STATUS``."""
    if isinstance(exc, InputError) and any(m in str(exc) for m in LIMIT_MARKERS):
        return 413
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def problem(status: int, detail: str, *, instance: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """One problem document; ``extra`` adds members such as ``errors``."""
    body: dict[str, Any] = {"type": TYPE_BASE + SLUG.get(status, str(status)),
                            "title": _title(status), "status": status, "detail": detail,
                            "instance": instance, **extra}
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def detail_of(exc: Exception, status: int) -> str:
    """What the client may read about ``exc``."""
    if status >= 500 and not isinstance(exc, (ApiProblem, IntegrationError)):
        return GENERIC
    if isinstance(exc, ApiProblem):
        return exc.detail
    if isinstance(exc, JobNotFound):
        return f"There is no job {exc.job_id!r}."
    if isinstance(exc, InputError) and exc.source:
        return str(exc).replace(exc.source, PurePath(exc.source).name)
    if isinstance(exc, IntegrationError):
        return f"{exc.system} is not available right now; try again later."
    return str(exc)


async def _on_known(request: Request, exc: Exception) -> JSONResponse:
    status = status_of(exc)
    if status >= 500:
        log.error("request failed: %s", type(exc).__name__, extra={"path": request.url.path},
                  exc_info=not isinstance(exc, IntegrationError))
    headers = _retry_after(exc)
    return problem(status, detail_of(exc, status), instance=request.url.path, headers=headers)


def _retry_after(exc: Exception) -> dict[str, str] | None:
    if isinstance(exc, RateLimited) and exc.retry_after:
        return {"Retry-After": str(int(exc.retry_after + 0.999))}
    return None


async def _on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
              for e in exc.errors()]
    where = ", ".join(".".join(e["loc"]) for e in errors[:5])
    return problem(422, f"The request is not valid: {where}.", instance=request.url.path, errors=errors)


async def _on_http(request: Request, exc: HTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code < 500 else _title(exc.status_code)
    return problem(exc.status_code, detail, instance=request.url.path, headers=exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error", extra={"path": request.url.path}, exc_info=exc)
    return problem(500, GENERIC, instance=request.url.path)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ApiProblem, _on_known)
    app.add_exception_handler(HunterError, _on_known)
    app.add_exception_handler(JobNotFound, _on_known)
    app.add_exception_handler(RequestValidationError, _on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _on_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _on_unexpected)


class Problem(BaseModel):
    """The body of every error answer (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None    # validation problems: [{loc, msg, type}]


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting problem answers."""
    schema = Problem.model_json_schema()
    return {s: {"description": _title(s), "content": {MEDIA_TYPE: {"schema": schema}}} for s in statuses}
