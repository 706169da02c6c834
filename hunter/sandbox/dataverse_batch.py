"""The OData ``$batch`` multipart format of the Dataverse Web API (reference B.7): parse and render.

A batch body is ``multipart/mixed; boundary=batch_…``.  Each part is either one request
(``Content-Type: application/http``, ``Content-Transfer-Encoding: binary``, a blank line,
then the request line ``POST /api/data/v9.2/leads HTTP/1.1``, headers, a blank line and the
body) or a change set (``Content-Type: multipart/mixed; boundary=changeset_…``) holding such
requests, never a GET and never another change set.  ``Content-ID: n`` names a request inside
a change set so later ones can say ``$n``.  The answer has the same shape with
``batchresponse_…``/``changesetresponse_…`` boundaries and status lines
(``HTTP/1.1 204 No Content``).

As RFC 2046 says, the line break before a delimiter belongs to the delimiter, preamble and
epilogue are ignored, and a body without its closing ``--boundary--`` is refused.  Lines may
end in CRLF (as sent) or a bare LF (hand-written files); rendering always writes CRLF.
Nothing here touches the network or the store: ``dataverse_api`` runs the requests.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Any

__all__ = ["Answer", "BatchFormatError", "ChangeSet", "ChangeSetAnswer", "MAX_OPERATIONS", "Operation",
           "boundary_of", "count", "new_boundary", "parse_request", "parse_response", "render_request", "render_response"]

MAX_OPERATIONS = 1000
CRLF = "\r\n"
Headers = tuple[tuple[str, str], ...]
_GET_IN_CHANGESET = ("An invalid HTTP method 'GET' was detected for a request in a change set. Requests in change "
                     "sets only support the HTTP methods 'POST', 'PUT', 'DELETE', and 'PATCH'.")


class BatchFormatError(ValueError):
    """The body is not a ``$batch`` document the service accepts (answered 400)."""


def _find(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


class _Headed:
    """``header(name)``: a header's value, names compared without regard to case."""

    __slots__ = ()
    headers: Headers

    def header(self, name: str) -> str | None:
        return _find(self.headers, name)


@dataclass(frozen=True, slots=True)
class Operation(_Headed):
    """One request of a batch."""

    method: str
    url: str                       # as written: absolute, /api/data/v9.2/…, relative, or $n…
    headers: Headers = ()
    body: bytes = b""
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Requests that succeed or fail together."""

    operations: tuple[Operation, ...]


@dataclass(frozen=True, slots=True)
class Answer(_Headed):
    """One response of a batch answer."""

    status: int
    reason: str = ""
    headers: Headers = ()
    body: bytes = b""
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeSetAnswer:
    answers: tuple[Answer, ...]


@dataclass(frozen=True, slots=True)
class _Raw:
    """A part taken apart: its MIME headers, start line, HTTP headers and body."""

    mime: Headers
    start: str
    headers: Headers
    body: bytes

    @property
    def content_id(self) -> str | None:
        """``Content-ID`` of the MIME part, or (as some clients send it) of the inner message."""
        return _find(self.mime, "Content-ID") or _find(self.headers, "Content-ID")


def boundary_of(content_type: str | None) -> str | None:
    """The boundary of a ``multipart/mixed`` content type (quoted or not), else ``None``."""
    if not content_type:
        return None
    message = Message()
    message["Content-Type"] = content_type
    if message.get_content_type() != "multipart/mixed":
        return None
    boundary = message.get_param("boundary")
    return str(boundary) if isinstance(boundary, str) and boundary else None


def count(parts: Iterable[Operation | ChangeSet]) -> int:
    """How many requests the batch holds (change sets counted by their requests)."""
    return sum(len(part.operations) if isinstance(part, ChangeSet) else 1 for part in parts)


# --- parsing -------------------------------------------------------------------------------

def parse_request(body: bytes, content_type: str | None) -> list[Operation | ChangeSet]:
    """The parts of a ``$batch`` request; ``BatchFormatError`` when it is malformed."""
    parts: list[Operation | ChangeSet] = []
    for raw in _parts(body, _boundary(content_type, "batch request")):
        if isinstance(raw, list):
            operations = tuple(_operation(item) for item in raw)
            if any(operation.method == "GET" for operation in operations):
                raise BatchFormatError(_GET_IN_CHANGESET)
            parts.append(ChangeSet(operations))
        else:
            parts.append(_operation(raw))
    return parts


def parse_response(body: bytes, content_type: str | None) -> list[Answer | ChangeSetAnswer]:
    """The parts of a ``$batch`` answer (for clients and tests)."""
    return [ChangeSetAnswer(tuple(_answer(item) for item in raw)) if isinstance(raw, list) else _answer(raw)
            for raw in _parts(body, _boundary(content_type, "batch response"))]


def _boundary(content_type: str | None, what: str) -> str:
    boundary = boundary_of(content_type)
    if boundary is None:
        raise BatchFormatError(f"The {what} must have the content type multipart/mixed with a boundary, "
                               f"got '{content_type or ''}'.")
    return boundary


def _parts(body: bytes, boundary: str, *, nested: bool = False) -> list[_Raw | list[_Raw]]:
    """The body parts between the delimiters, change sets opened one level deep."""
    found: list[_Raw | list[_Raw]] = []
    for chunk in _split(body, boundary):
        mime, content = _head(chunk)
        inner = boundary_of(_find(mime, "Content-Type"))
        if inner is not None:
            if nested:
                raise BatchFormatError("A change set cannot contain another change set or batch.")
            found.append([item for item in _parts(content, inner, nested=True) if isinstance(item, _Raw)])
            continue
        kind = (_find(mime, "Content-Type") or "").split(";")[0].strip().lower()
        if kind != "application/http":
            raise BatchFormatError(f"Each part of a batch must have the content type application/http, got '{kind}'.")
        start, rest = _first_line(content)
        headers, message_body = _head(rest)
        found.append(_Raw(mime, start, headers, message_body.rstrip(b"\r\n")))
    return found


def _split(body: bytes, boundary: str) -> list[bytes]:
    delimiter = b"--" + boundary.encode("ascii", "replace")
    chunks: list[bytes] = []
    current: list[bytes] | None = None
    for line in body.splitlines(keepends=True):
        bare = line.rstrip(b"\r\n").rstrip(b" \t")
        if bare in (delimiter, delimiter + b"--"):
            if current is not None:
                chunks.append(_without_last_break(b"".join(current)))
            if bare != delimiter:
                return chunks
            current = []
        elif current is not None:
            current.append(line)
    raise BatchFormatError(f"The multipart body does not end with its closing delimiter --{boundary}--.")


def _without_last_break(data: bytes) -> bytes:
    return data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data


def _first_line(data: bytes) -> tuple[str, bytes]:
    data = data.lstrip(b"\r\n")
    line, _, rest = data.partition(b"\n")
    return line.rstrip(b"\r").decode("utf-8", "replace").strip(), rest


def _head(data: bytes) -> tuple[Headers, bytes]:
    """Header lines up to the first blank line (folded lines joined), and what follows."""
    headers: list[tuple[str, str]] = []
    lines = data.splitlines(keepends=True)
    for index, line in enumerate(lines):
        text = line.rstrip(b"\r\n").decode("utf-8", "replace")
        if not text.strip():
            return tuple(headers), b"".join(lines[index + 1:])
        if text[0] in " \t" and headers:
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {text.strip()}")
            continue
        name, colon, value = text.partition(":")
        if not colon:
            raise BatchFormatError(f"The header line '{text}' is not valid (expected 'Name: value').")
        headers.append((name.strip(), value.strip()))
    return tuple(headers), b""


def _operation(raw: _Raw) -> Operation:
    words = raw.start.split()
    if len(words) != 3 or not words[2].upper().startswith("HTTP/"):
        raise BatchFormatError(f"The request line '{raw.start}' is not valid (expected 'METHOD URL HTTP/1.1').")
    return Operation(words[0].upper(), words[1], raw.headers, raw.body, raw.content_id)


def _answer(raw: _Raw) -> Answer:
    version, _, rest = raw.start.partition(" ")
    status, _, reason = rest.partition(" ")
    if not version.upper().startswith("HTTP/") or not status.isdigit():
        raise BatchFormatError(f"The status line '{raw.start}' is not valid (expected 'HTTP/1.1 204 No Content').")
    return Answer(int(status), reason, raw.headers, raw.body, raw.content_id)


# --- rendering -----------------------------------------------------------------------------

def new_boundary(prefix: str) -> str:
    """``batch_<guid>``, ``changesetresponse_<guid>`` …"""
    return f"{prefix}_{uuid.uuid4()}"


def render_request(parts: Sequence[Operation | ChangeSet], boundary: str) -> bytes:
    """A ``$batch`` request body (``Content-Type: multipart/mixed; boundary=<boundary>``)."""
    def one(operation: Operation) -> bytes:
        return _message(f"{operation.method} {operation.url} HTTP/1.1", operation.headers, operation.body,
                        operation.content_id)
    return _multipart(boundary, [_group(part.operations, "changeset", one) if isinstance(part, ChangeSet)
                                 else one(part) for part in parts])


def render_response(parts: Sequence[Answer | ChangeSetAnswer], boundary: str) -> bytes:
    """A ``$batch`` answer body (``Content-Type: multipart/mixed; boundary=<boundary>``)."""
    def one(answer: Answer) -> bytes:
        return _message(f"HTTP/1.1 {answer.status} {answer.reason}".rstrip(), answer.headers, answer.body,
                        answer.content_id)
    return _multipart(boundary, [_group(part.answers, "changesetresponse", one) if isinstance(part, ChangeSetAnswer)
                                 else one(part) for part in parts])


def _group(items: Sequence[Any], prefix: str, render: Callable[[Any], bytes]) -> bytes:
    boundary = new_boundary(prefix)
    inner = _multipart(boundary, [render(item) for item in items])
    return f"Content-Type: multipart/mixed; boundary={boundary}{CRLF}{CRLF}".encode() + inner


def _message(start: str, headers: Headers, body: bytes, content_id: str | None) -> bytes:
    mime = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id is not None:
        mime.append(f"Content-ID: {content_id}")
    lines = [start, *(f"{name}: {value}" for name, value in headers if name.lower() != "content-id")]
    head = CRLF.join(mime) + CRLF + CRLF + CRLF.join(lines) + CRLF + CRLF
    return head.encode() + body


def _multipart(boundary: str, chunks: Iterable[bytes]) -> bytes:
    out = b"".join(f"--{boundary}{CRLF}".encode() + chunk + CRLF.encode() for chunk in chunks)
    return out + f"--{boundary}--{CRLF}".encode()
