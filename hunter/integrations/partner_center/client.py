"""The Partner Center Referrals API over httpx: paging, retries, throttling, errors.

* ``$top=100`` and ``@odata.nextLink`` followed verbatim (never rebuilt: the documented samples
  even use another path and ``http``);
* a fresh ``client-request-id`` on every call; the service's ``request-id`` of every failed call
  in the log and in the error;
* 429 and 503 honour ``Retry-After`` (seconds or an HTTP date); without it, exponential backoff
  with full jitter; other 5xx and network errors are retried the same way; all within
  ``max_attempts``;
* 401 once: the token is fetched again with ``force_refresh`` (MSAL serves a server-revoked token
  from its cache) and the call retried; 403 names the roles the account needs.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import httpx

from ...errors import AuthFailed, IntegrationUnavailable, Rejected
from ..http_retry import Backoff, exhausted, pause
from . import mapping

log = logging.getLogger("hunter.partner_center")

SYSTEM = "partner_center"
PAGE_SIZE = 100
ROLES = "Referrals Admin or Referrals User (Partner Center → Account settings → User management)"


class Tokens(Protocol):
    def token(self, *, force_refresh: bool = False) -> str: ...


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Any]
    next_link: str | None
    request_id: str | None


class ReferralsClient:
    """``pages(since)`` yields the referral pages of a full read or a delta."""

    def __init__(self, *, base_url: str, tokens: Tokens, http: httpx.Client, max_attempts: int = 5,
                 backoff: Backoff = Backoff(), sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url, self.tokens, self.http = base_url.rstrip("/"), tokens, http
        self.max_attempts, self.backoff, self.sleep = max_attempts, backoff, sleep

    def pages(self, *, since: str | None) -> Iterator[Page]:
        params: dict[str, str] = {"$top": str(PAGE_SIZE), "$orderby": "createdDateTime asc"}
        if since:
            params["$filter"] = mapping.filter_since(since)
        url: str | None = f"{self.base_url}?{urlencode(params, quote_via=quote, safe='$')}"   # spaces as %20
        while url is not None:
            response = self.get(url)
            try:
                items, url = mapping.page(response.json())
            except ValueError as exc:
                raise Rejected(SYSTEM, f"unreadable page from {_path(response.url)} "
                                       f"(request-id {_request_id(response)}): {exc}") from None
            yield Page(items, url, _request_id(response))

    def get(self, url: str) -> httpx.Response:
        """One GET with the retry policy of the module docstring."""
        refreshed = False
        for attempt in range(self.max_attempts):
            last = attempt == self.max_attempts - 1
            try:
                response = self.http.get(url, headers=self._headers(force_refresh=False))
            except httpx.TransportError as exc:
                log.warning("partner center call failed: %s", _brief(exc), extra={"event": "pc_call_failed", "url": _path(url)})
                if last:
                    raise IntegrationUnavailable(SYSTEM, f"unreachable after {self.max_attempts} attempts: {_brief(exc)}") from None
                self.sleep(self.backoff.delay(attempt))
                continue
            if response.is_success:
                return response
            self._log(response)
            if response.status_code == 401 and not refreshed:
                refreshed = True
                response = self._retry_with_fresh_token(url)
                if response.is_success:
                    return response
                self._log(response)
            wait = self._wait(response, attempt)
            if wait is None or last:
                raise self._error(response, attempts=attempt + 1)
            self.sleep(wait)
        raise AssertionError("unreachable")        # the loop returns or raises

    def _retry_with_fresh_token(self, url: str) -> httpx.Response:
        try:
            return self.http.get(url, headers=self._headers(force_refresh=True))
        except httpx.TransportError as exc:
            raise IntegrationUnavailable(SYSTEM, f"unreachable: {_brief(exc)}") from None

    def _headers(self, *, force_refresh: bool) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.token(force_refresh=force_refresh)}",
                "Accept": "application/json", "client-request-id": str(uuid.uuid4())}

    def _wait(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before the next attempt, or None when the answer is final."""
        return pause(response.status_code, response.headers.get("Retry-After"), attempt, self.backoff)

    def _error(self, response: httpx.Response, *, attempts: int) -> Exception:
        status, rid = response.status_code, _request_id(response)
        code, message = _error_body(response)
        said = f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "") + f" (request-id {rid})"
        if status == 401:
            return AuthFailed(SYSTEM, f"the API refused the token even after a fresh sign-in: {said}")
        if status == 403:
            return AuthFailed(SYSTEM, f"the account may not read referrals: it needs the role {ROLES}; {said}")
        return exhausted(SYSTEM, status, said, attempts=attempts,
                         retry_after_header=response.headers.get("Retry-After")) \
            or Rejected(SYSTEM, f"request refused: {said}")

    def _log(self, response: httpx.Response) -> None:
        code, message = _error_body(response)
        log.warning("partner center answered HTTP %s %s", response.status_code, code or "",
                    extra={"event": "pc_call_failed", "status": response.status_code, "url": _path(response.url),
                           "request_id": _request_id(response), "error_code": code, "error": message})


def _error_body(response: httpx.Response) -> tuple[str | None, str | None]:
    try:
        return mapping.error_of(response.json())
    except ValueError:
        return None, (response.text or "").strip()[:200] or None


def _request_id(response: httpx.Response) -> str | None:
    return response.headers.get("request-id") or response.headers.get("x-ms-request-id")


def _path(url: object) -> str:
    """The URL without its query (a skiptoken is noise in a log line)."""
    return str(url).split("?", 1)[0]


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
