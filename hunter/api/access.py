"""The access middleware: every request gets an id, every line logged while serving it carries
that id, its latency goes to the metrics by route template, and one access line is logged.

The id is the caller's ``X-Request-ID`` when it is sane (1–128 letters, digits, ``._:-``), else a
new one; it is sent back in ``X-Request-ID``.  (An unexpected error's 500 is answered outside
every middleware, without the header; its log line still carries the id.)
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import metrics
from .. import logs

log = logging.getLogger("hunter.api.access")
HEADER = b"x-request-id"
SANE = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
QUIET = frozenset({"/healthz", "/readyz", "/metrics"})      # probes and scrapes: access lines at DEBUG


class Access:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        status = 500
        started = time.perf_counter()

        async def respond(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (HEADER, request_id.encode())]
            await send(message)

        with logs.request_context(request_id):
            try:
                await self.app(scope, receive, respond)
            finally:
                _record(scope, status, time.perf_counter() - started)


def _request_id(scope: Scope) -> str:
    given = dict(scope.get("headers") or ()).get(HEADER)
    return given.decode() if given and SANE.fullmatch(given) else uuid.uuid4().hex


def _record(scope: Scope, status: int, seconds: float) -> None:
    route = route_of(scope, status)
    metrics.observe_request(scope["method"], route, status, seconds)
    level = logging.DEBUG if route in QUIET else logging.INFO
    log.log(level, "%s %s %d", scope["method"], scope["path"], status,
            extra={"event": "http_request", "method": scope["method"], "path": scope["path"], "route": route,
                   "status": status, "duration_ms": round(seconds * 1000, 1)})


def route_of(scope: Scope, status: int) -> str:
    """The route template (``/api/v1/leads/{lead_id}``), never the path with its values; a
    mount's prefix (static files); ``unmatched`` for anything else (404s)."""
    route: Any = scope.get("route")
    if route is not None and getattr(route, "path", None):
        return _prefix(scope, route) + str(route.path)
    mounted = str(scope.get("root_path") or "")
    return mounted if mounted.startswith("/") and status != 404 else "unmatched"


def _prefix(scope: Scope, route: Any) -> str:
    """The prefixes the route was included under (``/api/v1``): the path before the part the
    route matched — ``route.path`` holds only its own part in some FastAPI versions."""
    try:
        own = str(route.path_format).format(**(scope.get("path_params") or {}))
    except (AttributeError, KeyError, IndexError, ValueError):
        return ""
    path = str(scope.get("path") or "")
    return path[: len(path) - len(own)] if own and path.endswith(own) else ""
