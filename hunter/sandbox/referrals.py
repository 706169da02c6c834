"""A stand-in of the Partner Center Referrals API (``/v1.0/engagements/referrals``), read side.

Faithful to Microsoft's documentation (reference A.2–A.7):

- a bearer token for ``https://api.partner.microsoft.com`` from the sandbox Entra ID is
  required: missing, malformed, expired, revoked or for another audience → 401
  ``unauthenticated`` with ``WWW-Authenticate: Bearer …``; App+User only, so an app-only token
  or a user without a referral role (Global Admin, Referrals Admin, Referrals User) → 403
  ``accessDenied``; a "Referrals User" sees only referrals whose (top-level) team includes them;
- ``GET …/referrals`` with ``$filter`` (``odata``: the documented fields, the lambda
  ``team/any(t:t/email eq '…')``, dates with or without quotes at 100-ns precision),
  ``$orderby`` on ``createdDateTime``/``updatedDateTime`` (default ``createdDateTime asc``, ties
  by id), ``$top`` (page size, capped at 100, the documented page), ``$select``, an absolute
  ``@odata.nextLink`` whose opaque ``$skiptoken`` carries the filter and order (follow it
  verbatim), ``@odata.context`` and ``@odata.count`` (all matches, not the page);
- ``GET …/referrals/{id}`` with ``$metadata#Referrals/$entity`` and an ``ETag`` header;
- errors as ``{"error":{"code","message","target","innerError":{"code","message"}}}``; every
  answer has a fresh ``request-id``, echoes ``client-request-id`` and is
  ``application/json; charset=utf-8``.

Not documented, so the sandbox's own choice: a 429 answers ``tooManyRequests``; $skip and
$expand are refused (400) rather than silently ignored.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hunter.sandbox.entra import EntraSandbox
from hunter.sandbox.entra_directory import PARTNER_CENTER_RESOURCE, REFERRAL_ROLES, User
from hunter.sandbox.entra_tokens import TokenRejected
from hunter.sandbox.https import Handler, HttpsServer, Request, Response
from hunter.sandbox.jws import b64url, b64url_decode
from hunter.sandbox.odata import Kind, ODataError, parse_filter, parse_orderby, ticks
from hunter.sandbox.referral_store import ReferralStore

__all__ = ["BASE_PATH", "FILTER_FIELDS", "PAGE_LIMIT", "ReferralsApi"]

BASE_PATH = "/v1.0/engagements/referrals"
PAGE_LIMIT = 100
FILTER_FIELDS: dict[str, Kind] = {
    "id": "string", "engagementId": "string", "status": "string", "substatus": "string", "type": "string",
    "qualification": "string", "direction": "string", "createdDateTime": "datetime",
    "updatedDateTime": "datetime", "customerProfile/address/country": "string",
    "team": "collection", "team/email": "string",
}
ORDER_FIELDS: dict[str, Kind] = {"createdDateTime": "datetime", "updatedDateTime": "datetime"}
_STATUS_CODES = {400: "invalidRequest", 401: "unauthenticated", 403: "accessDenied", 404: "itemNotFound",
                 429: "tooManyRequests", 500: "generalException", 503: "serviceNotAvailable"}
_UNSUPPORTED = ("$skip", "$expand", "$search", "$apply")


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, inner: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.inner, self.headers = status, message, inner, headers or {}


@dataclass(frozen=True, slots=True)
class _Query:
    filter: str
    orderby: str
    top: int
    select: str
    after: tuple[Any, ...] | None = None      # the sort key of the last referral already sent


class ReferralsApi:
    """The Referrals API over a ``ReferralStore``, trusting tokens of ``entra``."""

    def __init__(self, entra: EntraSandbox, store: ReferralStore, *, audience: str = PARTNER_CENTER_RESOURCE) -> None:
        self.entra = entra
        self.store = store
        self.audience = audience
        self._server: HttpsServer | None = None

    def mount(self, server: HttpsServer) -> None:
        self._server = server
        server.route("GET", rf"{BASE_PATH}/?", self._answering(self._list))
        server.route("GET", rf"{BASE_PATH}/(?P<id>[^/]+)", self._answering(self._get))

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Referrals API sandbox is not mounted on a server")
        return self._server.url

    def error_response(self, request: Request, status: int, message: str | None = None, *,
                       inner: str = "", headers: dict[str, str] | None = None) -> Response:
        """An answer in the documented error shape (also used for injected faults)."""
        code = _STATUS_CODES.get(status, "generalException")
        text = message or {429: "Too many requests: the partner's throttling limit was exceeded.",
                           503: "The service is not available. Try again later."}.get(status, "An error occurred.")
        body = {"error": {"code": code, "message": text[:1024], "target": "referral",
                          "innerError": {"code": inner or code, "message": text[:1024]}}}
        return self._finish(request, Response.json(body, status, headers))

    def _finish(self, request: Request, response: Response) -> Response:
        response.headers["request-id"] = str(uuid.uuid4())
        client_request_id = request.header("client-request-id")
        if client_request_id:
            response.headers["client-request-id"] = client_request_id
        return response

    def _answering(self, handler: Handler) -> Handler:
        def answer(request: Request) -> Response:
            try:
                return self._finish(request, handler(request))
            except ApiError as error:
                return self.error_response(request, error.status, error.message, inner=error.inner,
                                           headers=error.headers)
        return answer

    # --- who is asking ---------------------------------------------------------------------

    def _caller(self, request: Request) -> User:
        verdict = self.entra.validate(request.header("Authorization"), self.audience)
        if isinstance(verdict, TokenRejected):
            raise ApiError(401, f"Authentication failed: {verdict.message}", inner=verdict.reason,
                           headers={"WWW-Authenticate": self._challenge(verdict)})
        if verdict.is_app:
            raise ApiError(403, "This API supports App+User authentication only; app-only tokens are not accepted.",
                           inner="appOnlyNotSupported")
        user = self.entra.find_user(verdict.upn or "")
        if user is None or user.role not in REFERRAL_ROLES:
            raise ApiError(403, "Caller is not authorized to access the resource: a Partner Center referral role "
                                "(Global Admin, Referrals Admin or Referrals User) is required.",
                           inner="missingReferralRole")
        return user

    def _challenge(self, verdict: TokenRejected) -> str:
        challenge = (f'Bearer authorization_uri="{self.entra.base_url}/common/oauth2/authorize", '
                     f'resource_id="{self.audience}"')
        if verdict.reason == "missing":       # RFC 6750 3.1: no error code when no token was sent
            return challenge
        return f'{challenge}, error="invalid_token", error_description="{verdict.message}"'

    @staticmethod
    def _visible(user: User) -> Callable[[dict[str, Any]], bool]:
        if user.role != "Referrals User":
            return lambda item: True
        me = user.username.lower()
        return lambda item: any((member.get("email") or "").strip().lower() == me for member in item.get("team") or ())

    # --- the two GETs ----------------------------------------------------------------------

    def _list(self, request: Request) -> Response:
        user = self._caller(request)
        query = _read_query(request.query)
        try:
            keep = parse_filter(query.filter, FILTER_FIELDS)
            order = parse_orderby(query.orderby, ORDER_FIELDS, default="createdDateTime asc")
        except ODataError as error:
            raise ApiError(400, str(error), inner="invalidQuery") from None
        visible = self._visible(user)
        key = _sort_key(order)
        matches = sorted(self.store.select(lambda item: visible(item) and keep(item)), key=key)
        remaining = [item for item in matches if query.after is None or key(item) > query.after]
        page = remaining[:query.top]
        body: dict[str, Any] = {"@odata.context": f"{self.url}/v1.0/$metadata#Referrals",
                                "@odata.count": len(matches), "value": [self._render(item, query.select) for item in page]}
        if len(remaining) > len(page):
            body["@odata.nextLink"] = f"{self.url}{BASE_PATH}?$skiptoken={_skiptoken(query, key(page[-1]))}"
        return Response.json(body)

    def _get(self, request: Request) -> Response:
        user = self._caller(request)
        item = self.store.get(request.params["id"])
        if item is None or not self._visible(user)(item):
            raise ApiError(404, f"Referral '{request.params['id']}' was not found.", inner="referralNotFound")
        body = {"@odata.context": f"{self.url}/v1.0/$metadata#Referrals/$entity", **self._render(item, "")}
        return Response.json(body, headers={"ETag": item["eTag"]})

    def _render(self, item: dict[str, Any], select: str) -> dict[str, Any]:
        base = f"{self.url}{BASE_PATH}"
        item["links"] = {"relatedReferrals": {"uri": f"{base}?$filter=engagementId eq '{item['engagementId']}'",
                                              "method": "GET"},
                         "self": {"uri": f"{base}/{item['id']}", "method": "GET"}}
        if not select:
            return item
        return {name: item.get(name) for name in _select_fields(select, item)}


def _read_query(params: dict[str, str]) -> _Query:
    """The query of a first page, or the one carried by ``$skiptoken``."""
    for option in _UNSUPPORTED:
        if option in params:
            raise ApiError(400, f"The query option {option} is not supported by this API.", inner="invalidQuery")
    if "$skiptoken" in params:
        return _from_skiptoken(params["$skiptoken"])
    top = params.get("$top", str(PAGE_LIMIT))
    if not top.isdigit() or int(top) < 1:
        raise ApiError(400, f"$top must be a positive integer, got '{top}'.", inner="invalidQuery")
    return _Query(params.get("$filter", ""), params.get("$orderby", ""), min(int(top), PAGE_LIMIT),
                  params.get("$select", ""))


def _sort_key(order: list[tuple[str, bool]]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    def key(item: dict[str, Any]) -> tuple[Any, ...]:
        return (*(-ticks(item[field]) if descending else ticks(item[field]) for field, descending in order), item["id"])
    return key


def _skiptoken(query: _Query, after: tuple[Any, ...]) -> str:
    data = {"f": query.filter, "o": query.orderby, "t": query.top, "s": query.select, "a": list(after)}
    return b64url(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())


def _from_skiptoken(token: str) -> _Query:
    try:
        data = json.loads(b64url_decode(token))
        return _Query(str(data["f"]), str(data["o"]), int(data["t"]), str(data["s"]), tuple(data["a"]))
    except (ValueError, KeyError, TypeError):
        raise ApiError(400, "The $skiptoken is not valid: follow @odata.nextLink exactly as it was returned.",
                       inner="invalidSkipToken") from None


def _select_fields(select: str, item: dict[str, Any]) -> list[str]:
    names = [name.strip() for name in select.split(",") if name.strip()]
    unknown = [name for name in names if name not in item]
    if unknown:
        raise ApiError(400, f"$select: unknown property {', '.join(unknown)}.", inner="invalidQuery")
    return names
