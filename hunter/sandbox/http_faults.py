"""Fault injection for the sandbox HTTPS servers, consumed one request at a time.

A ``Fault`` names a kind, a path pattern (a regular expression searched in the request path;
the names ``referrals``, ``dataverse`` and ``token`` are aliases (``ALIASES``) of the Referrals
API, the Dataverse Web API and the Entra token endpoints) and how many matching requests it hits:

- ``429``: Too Many Requests, with ``Retry-After: N`` when ``retry_after`` is set, else without;
- ``500``; ``503`` (with or without ``Retry-After``);
- ``latency``: ``seconds`` added before the request is served normally;
- ``drop``: the connection is closed without an answer;
- ``down``: every matching request answers 503 until ``clear()`` (``count`` is ignored).

Paths under ``exempt`` (the sandbox's own ``/_sandbox/`` control endpoints) are never hit.
The body of a faulted answer comes from the ``render`` function of the stand-in that owns the
path, so each API fails in its own error shape.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

from hunter.sandbox.https import Interceptor, Request, Response

__all__ = ["KINDS", "Fault", "FaultPlan", "Render"]

Kind = Literal["429", "500", "503", "latency", "drop", "down"]
KINDS: tuple[str, ...] = ("429", "500", "503", "latency", "drop", "down")
Render = Callable[[Request, int], Response]     # (request, status) -> the error answer


#: Short names for the paths the stand-ins serve (a user name such as ``referrals@partner.test``
#: in a user-realm URL must not match "referrals").
ALIASES = {
    "referrals": r"^/v\d+\.\d+/engagements/referrals",
    "token": r"/oauth2/(v2\.0/)?(token|devicecode)$",
    "dataverse": r"^/api/data/v\d+\.\d+/",
}


@dataclass(slots=True)
class Fault:
    kind: Kind
    path: str = "referrals"
    count: int = 1
    retry_after: int | None = None
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (one of {', '.join(KINDS)})")
        if self.count < 1:
            raise ValueError(f"a fault hits at least one request, got count={self.count}")
        if self.retry_after is not None and self.retry_after < 0:
            raise ValueError(f"retry_after must be 0 or more seconds, got {self.retry_after}")
        if not 0 <= self.seconds <= 120:
            raise ValueError(f"latency seconds must be between 0 and 120, got {self.seconds}")
        re.compile(self.pattern)

    @property
    def pattern(self) -> str:
        return ALIASES.get(self.path, self.path)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """From the control endpoint's body, e.g. ``{"kind": "429", "path": "token", "retry_after": 2}``."""
        known = {"kind", "path", "count", "retry_after", "seconds"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(kind=str(data.get("kind")), path=str(data.get("path", "referrals")),  # type: ignore[arg-type]
                   count=int(data.get("count", 1)),
                   retry_after=None if data.get("retry_after") is None else int(data["retry_after"]),
                   seconds=float(data.get("seconds", 0.0)))


class FaultPlan:
    """Faults waiting for requests, first added first used; thread-safe."""

    def __init__(self, *, exempt: str = "/_sandbox/") -> None:
        self.exempt = exempt
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: Kind, *, path: str = "referrals", count: int = 1, retry_after: int | None = None,
            seconds: float = 0.0) -> Fault:
        return self.put(Fault(kind, path, count, retry_after, seconds))

    def put(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(fault) for fault in self._faults]

    def take(self, path: str) -> Fault | None:
        """The fault for a request to ``path`` (one use of it consumed), or ``None``."""
        if path.startswith(self.exempt):
            return None
        with self._lock:
            for fault in self._faults:
                if re.search(fault.pattern, path):
                    if fault.kind != "down":
                        fault.count -= 1
                        if fault.count == 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def interceptor(self, render: Render) -> Interceptor:
        """The ``HttpsServer`` interceptor applying this plan; ``render`` shapes the error bodies."""
        def intercept(request: Request) -> Response | None:
            fault = self.take(request.path)
            if fault is None:
                return None
            if fault.kind == "latency":
                time.sleep(fault.seconds)
                return None
            if fault.kind == "drop":
                return Response.dropped()
            response = render(request, 503 if fault.kind == "down" else int(fault.kind))
            if fault.retry_after is not None:
                response.headers["Retry-After"] = str(fault.retry_after)
            return response
        return intercept
