"""The Web API's ``$batch`` format (reference B.7), as Hunter uses it.  Pure: bytes in, bytes out.

``render(requests, boundary)`` writes a ``multipart/mixed`` body with **one change set per
request** (so one failing request never rolls back another), each part with ``Content-Type:
application/http``, ``Content-Transfer-Encoding: binary`` and ``Content-ID: <n>`` (1, 2, … in
order), CRLF line ends, closed by ``--<boundary>--``.  ``parse(body, content_type)`` reads the
``batchresponse_…`` answer back into one ``Answer`` per answered request, opening the
``changesetresponse_…`` parts; a failed change set may come back as a bare part.  As RFC 2046
says, the line break before a delimiter belongs to the delimiter.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

CRLF = "\r\n"
MAX_REQUESTS = 1000                    # per $batch (B.7)

Headers = tuple[tuple[str, str], ...]


class BatchFormatError(ValueError):
    """The answer is not a ``$batch`` response this module can read."""


@dataclass(frozen=True, slots=True)
class Request:
    """One request of a batch (a change set of its own)."""

    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Answer:
    """One response of a batch answer."""

    status: int
    headers: Headers = ()
    body: bytes = b""
    content_id: str | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


def new_boundary(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4()}"


def boundary_of(content_type: str | None) -> str | None:
    """The boundary of a ``multipart/mixed`` content type (quoted or not)."""
    if not content_type or not content_type.strip().lower().startswith("multipart/mixed"):
        return None
    match = re.search(r';\s*boundary\s*=\s*("([^"]+)"|[^;\s]+)', content_type, re.IGNORECASE)
    return (match.group(2) or match.group(1)) if match else None


# --- rendering -------------------------------------------------------------------------------

def render(requests: Sequence[Request], boundary: str) -> bytes:
    """The request body for ``Content-Type: multipart/mixed; boundary=<boundary>``."""
    if len(requests) > MAX_REQUESTS:
        raise ValueError(f"a $batch holds at most {MAX_REQUESTS} requests, got {len(requests)}")
    chunks = []
    for number, request in enumerate(requests, start=1):
        changeset = new_boundary("changeset")
        head = f"Content-Type: multipart/mixed; boundary={changeset}{CRLF}{CRLF}"
        chunks.append(head.encode() + _multipart(changeset, [_part(request, str(number))]))
    return _multipart(boundary, chunks)


def _part(request: Request, content_id: str) -> bytes:
    mime = ["Content-Type: application/http", "Content-Transfer-Encoding: binary", f"Content-ID: {content_id}"]
    lines = [f"{request.method} {request.url} HTTP/1.1", *(f"{name}: {value}" for name, value in request.headers)]
    return (CRLF.join(mime) + CRLF + CRLF + CRLF.join(lines) + CRLF + CRLF).encode() + request.body


def _multipart(boundary: str, chunks: Sequence[bytes]) -> bytes:
    out = b"".join(f"--{boundary}{CRLF}".encode() + chunk + CRLF.encode() for chunk in chunks)
    return out + f"--{boundary}--{CRLF}".encode()


# --- parsing ---------------------------------------------------------------------------------

def parse(body: bytes, content_type: str | None) -> list[Answer]:
    """Every answer of a ``$batch`` response, change sets opened, in order."""
    boundary = boundary_of(content_type)
    if boundary is None:
        raise BatchFormatError(f"not a multipart/mixed answer with a boundary: {content_type!r}")
    answers: list[Answer] = []
    for chunk in _split(body, boundary):
        mime, content = _head(chunk)
        inner = boundary_of(_find(mime, "Content-Type"))
        if inner is None:
            answers.append(_answer(mime, content))
            continue
        for item in _split(content, inner):
            item_mime, item_content = _head(item)
            answers.append(_answer(item_mime, item_content))
    return answers


def _split(body: bytes, boundary: str) -> list[bytes]:
    delimiter = b"--" + boundary.encode("ascii", "replace")
    chunks: list[bytes] = []
    current: list[bytes] | None = None
    for line in body.splitlines(keepends=True):
        bare = line.rstrip(b"\r\n").rstrip(b" \t")
        if bare in (delimiter, delimiter + b"--"):
            if current is not None:
                data = b"".join(current)
                chunks.append(data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data)
            if bare != delimiter:
                return chunks
            current = []
        elif current is not None:
            current.append(line)
    raise BatchFormatError(f"the multipart body does not end with --{boundary}--")


def _head(data: bytes) -> tuple[Headers, bytes]:
    """Header lines up to the first blank line, and what follows (leading blank lines skipped)."""
    lines = data.lstrip(b"\r\n").splitlines(keepends=True)
    headers: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        text = line.rstrip(b"\r\n").decode("utf-8", "replace")
        if not text.strip():
            return tuple(headers), b"".join(lines[index + 1:])
        if text[0] in " \t" and headers:
            headers[-1] = (headers[-1][0], f"{headers[-1][1]} {text.strip()}")
            continue
        name, colon, value = text.partition(":")
        headers.append((name.strip(), value.strip()) if colon else (text.strip(), ""))
    return tuple(headers), b""


def _answer(mime: Headers, content: bytes) -> Answer:
    start, _, rest = content.lstrip(b"\r\n").partition(b"\n")
    words = start.rstrip(b"\r").decode("utf-8", "replace").split(" ", 2)
    if len(words) < 2 or not words[0].upper().startswith("HTTP/") or not words[1].isdigit():
        raise BatchFormatError(f"not a status line: {start[:80]!r}")
    headers, body = _head(rest) if not rest.startswith((b"\r\n", b"\n")) else ((), rest.lstrip(b"\r\n"))
    content_id = _find(mime, "Content-ID") or _find(headers, "Content-ID")
    return Answer(int(words[1]), headers, body.rstrip(b"\r\n"), content_id)


def _find(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


__all__ = ["Answer", "BatchFormatError", "MAX_REQUESTS", "Request", "boundary_of", "new_boundary", "parse", "render"]
