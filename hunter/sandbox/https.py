"""A small threaded HTTPS/1.1 server for the sandbox stand-ins (Entra ID, Partner Center, Dataverse).

Standard library only: ``http.server.ThreadingHTTPServer``, TLS per connection (the handshake
runs in the connection's own thread, so a client that never finishes it holds up nobody),
HTTP/1.1 keep-alive, ``Content-Length`` on every response, chunked request bodies accepted.
Routes are (method, regular expression on the percent-decoded path) → handler; a handler gets
a ``Request`` and returns a ``Response``.  Interceptors run before routing and may answer
instead (fault injection, latency) or return ``Response.dropped()`` to close the connection
without an answer.  Every exchange is appended to ``requests`` (no bodies, no header values
that carry secrets: only whether ``Authorization`` was sent); nothing is written to stderr.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["Handler", "HttpsServer", "Interceptor", "Request", "Response"]

log = logging.getLogger(__name__)

LOGGED_HEADERS = ("client-request-id", "ms-correlationid", "x-client-sku")
_IDLE_SECONDS = 30.0
_MAX_BODY = 16 * 1024 * 1024
_LOG_SIZE = 10_000                # the request log keeps the latest entries only (long demo runs)


@dataclass(slots=True)
class Request:
    """One request as a handler sees it; ``params`` are the named groups of the matched route."""

    method: str
    path: str                       # percent-decoded, without the query
    query_string: str               # raw, as sent
    headers: Message
    body: bytes = b""
    params: dict[str, str] = field(default_factory=dict)
    peer: str = ""                  # the client's address:port (one per connection)

    @property
    def query(self) -> dict[str, str]:
        """Query parameters, first value of each (``+`` read as a space, as browsers send it)."""
        return {key: values[0] for key, values in parse_qs(self.query_string, keep_blank_values=True).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def form(self) -> dict[str, str]:
        """An ``application/x-www-form-urlencoded`` body, first value of each field."""
        pairs = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[0] for key, values in pairs.items()}

    def json(self) -> Any:
        """The JSON body (``None`` when empty); ``ValueError`` when it is not JSON."""
        return json.loads(self.body) if self.body.strip() else None


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False              # close the connection without answering

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        return cls(status, body, {"Content-Type": "application/json; charset=utf-8", **(headers or {})})

    @classmethod
    def html(cls, text: str, status: int = 200) -> Response:
        return cls(status, text.encode(), {"Content-Type": "text/html; charset=utf-8"})

    @classmethod
    def dropped(cls) -> Response:
        return cls(0, drop=True)


Handler = Callable[[Request], Response]
Interceptor = Callable[[Request], Response | None]


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class HttpsServer:
    """Routes plus a listening socket on ``host``; ``tls=None`` serves plain HTTP (tests only)."""

    def __init__(self, tls: ssl.SSLContext | None, *, host: str = "127.0.0.1", port: int = 0,
                 name: str = "sandbox-https") -> None:
        self.tls = tls
        self.host = host
        self.name = name
        self._wanted_port = port
        self._routes: list[_Route] = []
        self._interceptors: list[Interceptor] = []
        self._log: deque[dict[str, Any]] = deque(maxlen=_LOG_SIZE)
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- configuration ---------------------------------------------------------------------

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Serve ``method`` on paths fully matching ``pattern`` (first registered wins)."""
        self._routes.append(_Route(method.upper(), re.compile(pattern), handler))

    def intercept(self, interceptor: Interceptor) -> None:
        """Run ``interceptor`` before routing; a ``Response`` it returns is the answer."""
        self._interceptors.append(interceptor)

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{self.name} is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def start(self) -> HttpsServer:
        """Bind (``port=0``: a free port) and serve from a daemon thread."""
        if self._server is not None:
            raise RuntimeError(f"{self.name} already started")
        self._server = _Server((self.host, self._wanted_port), self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every open connection; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C interrupts the wait)."""
        while self._thread is not None and self._thread.is_alive() and self._server is not None:
            self._thread.join(timeout=0.5)

    def __enter__(self) -> HttpsServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- the request log -------------------------------------------------------------------

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A copy of the request log (the latest 10 000 exchanges), oldest first."""
        with self._lock:
            return [dict(entry) for entry in self._log]

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def record(self, request: Request, response: Response, started: float) -> None:
        """Append one exchange to the request log."""
        entry = {"method": request.method, "path": request.path, "query": request.query_string, "peer": request.peer,
                 "status": None if response.drop else response.status,
                 "authorization": request.header("Authorization") is not None,
                 "time": time.time(), "duration": round(time.monotonic() - started, 6)}
        entry.update({name: request.header(name) for name in LOGGED_HEADERS})
        with self._lock:
            self._log.append(entry)

    # --- dispatch --------------------------------------------------------------------------

    def dispatch(self, request: Request) -> Response:
        """The response to ``request``: interceptors, then the first matching route."""
        for interceptor in self._interceptors:
            answer = interceptor(request)
            if answer is not None:
                return answer
        allowed = []
        for route in self._routes:
            match = route.pattern.fullmatch(request.path)
            if match is None:
                continue
            if route.method == request.method:
                request.params = {k: v for k, v in match.groupdict().items() if v is not None}
                return _call(route.handler, request)
            allowed.append(route.method)
        if allowed:
            return _error(405, "methodNotAllowed", f"{request.method} is not allowed on {request.path}",
                          {"Allow": ", ".join(sorted(set(allowed)))})
        return _error(404, "notFound", f"no resource at {request.path}")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response.json({"error": {"code": code, "message": message}}, status, headers)


def _call(handler: Handler, request: Request) -> Response:
    try:
        return handler(request)
    except Exception:  # a bug in a stand-in: answer 500 like a real service, keep serving
        log.exception("sandbox handler failed on %s %s", request.method, request.path)
        return _error(500, "generalException", "internal error in the sandbox")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: HttpsServer) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.owner = owner
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without ``HTTPServer``'s reverse DNS lookup of the address."""
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()[:2]
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake in this connection's thread, then serve it until it closes."""
        connection = request
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # headers and body go out at once
            if self.owner.tls is not None:
                request.settimeout(_IDLE_SECONDS)
                connection = self.owner.tls.wrap_socket(request, server_side=True)
            with self._open_lock:
                self._open.add(connection)
            _Handler(connection, client_address, self)
        except (ssl.SSLError, OSError):
            pass   # the client went away or did not trust us: nothing to answer
        finally:
            with self._open_lock:
                self._open.discard(connection)
            connection.close()

    def close_connections(self) -> None:
        with self._open_lock:
            open_now, self._open = list(self._open), set()
        for connection in open_now:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HunterSandbox/1.0"
    timeout = _IDLE_SECONDS
    server: _Server

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is on the server object."""

    def _serve(self) -> None:
        started = time.monotonic()
        body = self._read_body()
        if body is None:
            self.close_connection = True
            self._write(_error(400, "invalidRequest", "unreadable request body"))
            return
        parts = urlsplit(self.path)
        peer = f"{self.client_address[0]}:{self.client_address[1]}"
        request = Request(self.command, unquote(parts.path), parts.query, self.headers, body, peer=peer)
        response = self.server.owner.dispatch(request)
        self.server.owner.record(request, response, started)
        if response.drop:
            self.close_connection = True
            return
        self._write(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return None
        return self.rfile.read(length) if 0 <= length <= _MAX_BODY else None

    def _read_chunked(self) -> bytes | None:
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                while self.rfile.readline(1024).strip():   # trailers
                    pass
                return b"".join(chunks)
            total += size
            if total > _MAX_BODY:
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)
