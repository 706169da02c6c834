"""The Dataverse Web API over httpx: reads with retries, and ``$batch`` exchanges.

* Every request carries the OData headers of B.1 (``Accept``, ``OData-MaxVersion``,
  ``OData-Version``; ``If-None-Match: null`` on GETs) and a fresh ``x-ms-client-request-id`` /
  ``client-request-id``; the service's request id is read from ``x-ms-service-request-id``
  (or ``REQ_ID``) and named in logs and errors.
* 401 once: a fresh token (``force_refresh``, unless another thread just got one) and the same
  request again; a second 401 is ``AuthFailed``, as is 403 (not an application user, or no
  security role).
* ``get_json`` retries 429 and 503 after ``Retry-After`` (seconds or an HTTP date), else with
  exponential backoff and full jitter; other 5xx and network errors the same way; all within
  ``max_attempts``.
* ``send_batch(requests)`` sends one ``$batch`` (``Prefer: odata.continue-on-error``, one change
  set per request) and returns one ``Reply`` per request: the request's own answer, or the
  batch's failure (network, 429, 5xx …) repeated for each request it held, or "not answered".
  It never retries; ``push`` does, per lead.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from ...errors import AuthFailed, IntegrationUnavailable, Rejected
from ..http_retry import Backoff, exhausted, pause, retry_after
from . import batch

log = logging.getLogger("hunter.dynamics")

SYSTEM = "dataverse"
ODATA = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}
APP_USER = ("the app registration must be an application user of the environment with a security role "
            "that may read and write leads (Power Platform admin center → Environment → Settings → "
            "Application users)")
_GUID = re.compile(r"\(([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\)\s*$")


class Tokens(Protocol):
    def token(self, *, force_refresh: bool = False) -> str: ...


@dataclass(frozen=True, slots=True)
class Reply:
    """What became of one request of a batch.  ``status`` is None when no answer came for it
    (network error, or the batch answered without it); ``error`` is the service's own message."""

    status: int | None
    request_id: str | None = None
    record_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class WebApi:
    """One environment's Web API at ``base_url`` (``https://<org>/api/data/v9.2``); thread-safe."""

    def __init__(self, *, base_url: str, tokens: Tokens, http: httpx.Client, max_attempts: int = 6,
                 backoff: Backoff = Backoff(), sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url, self.tokens, self.http = base_url.rstrip("/"), tokens, http
        self.max_attempts, self.backoff, self.sleep = max_attempts, backoff, sleep
        self._refresh = threading.Lock()

    # --- reads -------------------------------------------------------------------------------

    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """``GET <base>/<path>`` as JSON, with the retry policy of the module docstring."""
        url = f"{self.base_url}/{path}"
        for attempt in range(self.max_attempts):
            last = attempt == self.max_attempts - 1
            try:
                response = self.exchange("GET", url, params=params)
            except httpx.TransportError as exc:
                log.warning("dataverse call failed: %s", brief(exc), extra={"event": "d365_call_failed", "url": url})
                if last:
                    raise IntegrationUnavailable(SYSTEM, f"unreachable after {self.max_attempts} attempts: "
                                                         f"{brief(exc)}") from None
                self.sleep(self.backoff.delay(attempt))
                continue
            if response.is_success:
                try:
                    return response.json()
                except ValueError:
                    raise Rejected(SYSTEM, f"unreadable answer from {url} "
                                           f"(request id {request_id(response)})") from None
            self._log(response, url)
            wait = self._wait(response, attempt)
            if wait is None or last:
                raise self._error(response, attempts=attempt + 1)
            self.sleep(wait)
        raise AssertionError("unreachable")        # the loop returns or raises

    def _wait(self, response: httpx.Response, attempt: int) -> float | None:
        return pause(response.status_code, response.headers.get("Retry-After"), attempt, self.backoff)

    def _error(self, response: httpx.Response, *, attempts: int) -> Exception:
        code, message = error_of(response)
        said = described(response.status_code, code, message, request_id(response))
        if response.status_code == 403:
            return AuthFailed(SYSTEM, f"access refused: {said}; {APP_USER}")
        return exhausted(SYSTEM, response.status_code, said, attempts=attempts,
                         retry_after_header=response.headers.get("Retry-After")) \
            or Rejected(SYSTEM, f"request refused: {said}")

    # --- $batch ------------------------------------------------------------------------------

    def send_batch(self, requests: Sequence[batch.Request]) -> list[Reply]:
        """One ``$batch``: one ``Reply`` per request, in order (see the module docstring)."""
        boundary = batch.new_boundary("batch")
        headers = {"Content-Type": f"multipart/mixed; boundary={boundary}", "Prefer": "odata.continue-on-error"}
        url = f"{self.base_url}/$batch"
        try:
            response = self.exchange("POST", url, content=batch.render(requests, boundary), headers=headers)
        except httpx.TransportError as exc:
            log.warning("dataverse batch failed: %s", brief(exc), extra={
                "event": "d365_batch_failed", "requests": len(requests), "error": brief(exc)})
            return [Reply(None, error=f"Dataverse unreachable: {brief(exc)}")] * len(requests)
        rid = request_id(response)
        if batch.boundary_of(response.headers.get("Content-Type")) is None:
            self._log(response, url)
            return [self._whole(response)] * len(requests)
        try:
            answers = batch.parse(response.content, response.headers.get("Content-Type"))
        except batch.BatchFormatError as exc:
            log.warning("unreadable dataverse batch answer: %s", exc, extra={
                "event": "d365_batch_unreadable", "request_id": rid})
            return [Reply(None, rid, error=f"unreadable $batch answer: {exc}")] * len(requests)
        return [_reply(answer, rid) if answer is not None else
                Reply(None, rid, error="not answered in the $batch (not applied)")
                for answer in _by_request(answers, len(requests))]

    def _whole(self, response: httpx.Response) -> Reply:
        """The batch's own failure, for each request it held."""
        status = response.status_code
        code, message = error_of(response)
        if status == 403:
            raise AuthFailed(SYSTEM, f"access refused: {described(status, code, message, request_id(response))}; "
                                     f"{APP_USER}")
        return Reply(status, request_id(response), None, code, message or f"HTTP {status}",
                     retry_after(response.headers.get("Retry-After")))

    # --- one exchange ------------------------------------------------------------------------

    def exchange(self, method: str, url: str, *, params: Mapping[str, str] | None = None,
                 content: bytes | None = None, headers: Mapping[str, str] | None = None) -> httpx.Response:
        """One request, and once more with a fresh token after a 401; ``AuthFailed`` after two."""
        token = self.tokens.token()
        response = self.http.request(method, url, params=params, content=content,
                                     headers=self._headers(method, token, headers))
        if response.status_code != 401:
            return response
        self._log(response, url)
        response = self.http.request(method, url, params=params, content=content,
                                     headers=self._headers(method, self._fresh_token(token), headers))
        if response.status_code == 401:
            code, message = error_of(response)
            raise AuthFailed(SYSTEM, f"the Web API refused the token even after a fresh sign-in: "
                                     f"{described(401, code, message, request_id(response))}")
        return response

    def _fresh_token(self, refused: str) -> str:
        """A token other than ``refused``: the one another thread just fetched, else a forced refresh."""
        with self._refresh:
            current = self.tokens.token()
            return current if current != refused else self.tokens.token(force_refresh=True)

    def _headers(self, method: str, token: str, extra: Mapping[str, str] | None) -> dict[str, str]:
        rid = str(uuid.uuid4())
        headers = {"Authorization": f"Bearer {token}", **ODATA, "x-ms-client-request-id": rid,
                   "client-request-id": rid, **(extra or {})}
        if method == "GET":
            headers["If-None-Match"] = "null"          # B.1: defeats caching
        return headers

    def _log(self, response: httpx.Response, url: str) -> None:
        code, message = error_of(response)
        log.warning("dataverse answered HTTP %s %s", response.status_code, code or "", extra={
            "event": "d365_call_failed", "status": response.status_code, "url": url.split("?", 1)[0],
            "request_id": request_id(response), "error_code": code, "error": message})


def _by_request(answers: list[batch.Answer], count: int) -> list[batch.Answer | None]:
    """Answers matched to requests by ``Content-ID`` (1…n), else by position."""
    found: list[batch.Answer | None] = [None] * count
    loose = []
    for answer in answers:
        number = answer.content_id.strip() if answer.content_id else ""
        if number.isdigit() and 1 <= int(number) <= count and found[int(number) - 1] is None:
            found[int(number) - 1] = answer
        else:
            loose.append(answer)
    for index in range(count):
        if found[index] is None and loose and len(answers) == count:
            found[index] = loose.pop(0)
    return found


def _reply(answer: batch.Answer, batch_request_id: str | None) -> Reply:
    rid = answer.header("x-ms-service-request-id") or answer.header("REQ_ID") or batch_request_id
    after = retry_after(answer.header("Retry-After"))
    if 200 <= answer.status < 300:
        entity = answer.header("OData-EntityId") or answer.header("Location") or ""
        match = _GUID.search(entity)
        return Reply(answer.status, rid, match.group(1).lower() if match else None)
    code, message = _error_body(answer.body)
    return Reply(answer.status, rid, None, code, message or f"HTTP {answer.status}", after)


def error_of(response: httpx.Response) -> tuple[str | None, str | None]:
    return _error_body(response.content)


def _error_body(body: bytes) -> tuple[str | None, str | None]:
    """``(code, message)`` of ``{"error": {"code", "message"}}`` (B.9), else the text's start."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return None, body.decode("utf-8", "replace").strip()[:300] or None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, None
    code, message = error.get("code"), error.get("message")
    return (str(code) if code else None), (str(message)[:1000] if message else None)


def request_id(response: httpx.Response) -> str | None:
    headers = response.headers
    return headers.get("x-ms-service-request-id") or headers.get("REQ_ID") or headers.get("request-id")


def described(status: int, code: str | None, message: str | None, rid: str | None) -> str:
    return f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "") + \
        f" (request id {rid or 'none'})"


def brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


__all__ = ["Reply", "SYSTEM", "WebApi", "described"]
