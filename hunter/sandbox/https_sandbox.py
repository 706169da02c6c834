"""``HttpsSandbox``: what every HTTPS stand-in shares (Partner Center, Dataverse).

One ``HttpsServer`` on a loopback address with a certificate from a throw-away CA kept in
``directory``, the Entra ID stand-in mounted on it, a ``FaultPlan`` in front of every route
(token endpoints answer faults in Entra's shape, the rest in the subclass's shape) and the
control endpoints every stand-in has, which need no token because the server listens on
loopback only:

- ``POST /_sandbox/faults`` (a ``http_faults.Fault`` as JSON; ``path`` defaults to the
  subclass's ``fault_path``), ``GET`` lists them, ``DELETE`` clears them;
- ``POST /_sandbox/tokens/revoke``, ``POST /_sandbox/tokens/expire``;
- ``GET``/``DELETE /_sandbox/requests`` (the request log), ``GET /_sandbox/state``.

A subclass mounts its API, then calls ``mount_control`` with its own extra routes;
``serve_forever`` runs any of them until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from hunter.sandbox import entra_directory
from hunter.sandbox.entra import EntraSandbox
from hunter.sandbox.http_faults import Fault, FaultPlan
from hunter.sandbox.https import HttpsServer, Request, Response
from hunter.sandbox.tls import ThrowawayCA

__all__ = ["ControlRoute", "HttpsSandbox", "check_loopback", "control_endpoint", "say", "serve_forever"]

ControlRoute = tuple[str, str, Callable[[dict[str, Any]], Any]]     # (method, path under /_sandbox/, action)


class HttpsSandbox:
    """CA + server + Entra + faults + common control endpoints; ``start()``/``stop()`` or ``with``."""

    label = "sandbox"                 # how messages name the stand-in
    fault_path = "token"              # the default ``path`` of a fault posted to /_sandbox/faults

    def __init__(self, directory: Path | str, *, host: str, port: int, name: str, entra: EntraSandbox) -> None:
        check_loopback(host, self.label)
        self.ca = ThrowawayCA.create(directory)
        self.server = HttpsServer(self.ca.server_context(), host=host, port=port, name=name)
        self.entra = entra
        self.faults = FaultPlan()
        self.server.intercept(self.faults.interceptor(self._fault_answer))
        self.entra.mount(self.server)

    # --- lifecycle and addresses -----------------------------------------------------------

    def start(self) -> Self:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def ca_file(self) -> Path:
        return self.ca.ca_file

    # --- control from Python ---------------------------------------------------------------

    def revoke_all(self) -> None:
        self.entra.revoke_all()

    def expire_access_tokens(self) -> None:
        self.entra.expire_access_tokens()

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.server.requests

    def clear_requests(self) -> None:
        self.server.clear_requests()

    def state(self) -> dict[str, Any]:
        """What every stand-in reports; subclasses add their own counts."""
        return {"tokens": self.entra.tokens.counts, "faults": self.faults.pending,
                "requests": len(self.server.requests)}

    # --- faults and control endpoints ------------------------------------------------------

    def api_fault(self, request: Request, status: int) -> Response:
        """The subclass's API answering an injected fault in its own error shape."""
        raise NotImplementedError

    def _fault_answer(self, request: Request, status: int) -> Response:
        if "/oauth2/" in request.path:
            error = entra_directory.throttled(status)
            return error.response(correlation_id=request.header("client-request-id"), base_url=self.url)
        return self.api_fault(request, status)

    def mount_control(self, extra: Iterable[ControlRoute] = ()) -> None:
        """Serve the common control endpoints and ``extra`` under ``/_sandbox/``."""
        routes: list[ControlRoute] = [
            *extra,
            ("POST", "faults", lambda body: {"added": asdict(self.faults.put(Fault.from_json(
                {"path": self.fault_path, **body})))}),
            ("GET", "faults", lambda body: {"faults": self.faults.pending}),
            ("DELETE", "faults", lambda body: self.faults.clear()),
            ("POST", "tokens/revoke", lambda body: self.revoke_all()),
            ("POST", "tokens/expire", lambda body: self.expire_access_tokens()),
            ("GET", "requests", lambda body: {"requests": self.requests}),
            ("DELETE", "requests", lambda body: self.clear_requests()),
            ("GET", "state", lambda body: self.state()),
        ]
        for method, path, action in routes:
            self.server.route(method, f"/_sandbox/{path}", control_endpoint(action))


def check_loopback(host: str, label: str) -> None:
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the {label} sandbox binds a loopback address only (127.0.0.1, ::1), got {host!r}")


def control_endpoint(action: Callable[[dict[str, Any]], Any]) -> Callable[[Request], Response]:
    """A control endpoint: JSON object in, JSON out (``{"ok": true}`` when the action returns nothing)."""
    def handle(request: Request) -> Response:
        try:
            body = request.json() or {}
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            result = action(body)
        except (ValueError, TypeError, KeyError) as error:
            message = str(error.args[0]) if error.args else type(error).__name__
            return Response.json({"error": {"code": "invalidRequest", "message": message}}, 400)
        return Response.json(result if result is not None else {"ok": True})
    return handle


def say(line: str) -> None:
    """Print one line at once (the demo's output goes through pipes)."""
    print(line, flush=True)


def serve_forever(sandbox: HttpsSandbox, lines: Callable[[Any], list[str]], *,
                  announce: Callable[[str], object] = say) -> None:
    """Start ``sandbox``, announce ``lines(sandbox)`` (the export lines …), serve until Ctrl-C."""
    with sandbox:
        for line in lines(sandbox):
            announce(line)
        with contextlib.suppress(KeyboardInterrupt):
            sandbox.server.wait()
