"""Request body limits: a pure ASGI middleware that refuses a body larger than its path allows.

A declared ``Content-Length`` over the limit is answered at once (nothing is read); a body that
grows past it while streaming raises ``BodyTooLarge`` from ``receive``, which FastAPI passes on
to the HTTP exception handler.  Either way the client gets the 413 problem of ``errors.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import errors


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=errors.status_of(errors.TooLarge("")),
                         detail=f"The request body is larger than the limit of {limit} bytes.")


class BodyLimit:
    def __init__(self, app: ASGIApp, *, default: int, paths: Mapping[str, int]) -> None:
        self.app, self.default, self.paths = app, default, dict(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.paths.get(scope["path"], self.default)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            problem = BodyTooLarge(limit)
            response = errors.problem(problem.status_code, problem.detail, instance=scope["path"])
            await response(scope, receive, send)
            return
        await self.app(scope, _counting(receive, limit), send)


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None

