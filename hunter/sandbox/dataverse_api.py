"""A stand-in of the Dataverse Web API (``/api/data/v9.2/``, also ``v9.0``/``v9.1``) on the sandbox server.

Faithful to Microsoft's documentation (reference B.1, B.7–B.9):

- a bearer token of the sandbox Entra ID whose ``aud`` is the environment URL is required;
  missing, malformed, expired, revoked or for another audience → 401 in the Dataverse error
  shape with ``WWW-Authenticate: Bearer authorization_uri=…, resource_id=<environment url>/``;
- the calling app must be an **application user** of the environment (B.1): an app that is
  not gets 403 ``0x80072560`` "The user is not a member of the organization."; one without a
  security role gets 403 ``0x80040220`` (PrivilegeDenied) on table operations;
- service protection per application user (``dataverse_limits``), checked after the caller is
  known;
- ``GET WhoAmI``, ``GET $metadata``, ``GET EntityDefinitions(LogicalName='lead')`` (with
  ``/Attributes`` and ``/Keys``), the ``leads`` entity set (``dataverse_leads``) and ``POST
  $batch``: change sets run atomically; without ``Prefer: odata.continue-on-error`` the first
  failing part ends the batch and the answer is 400 (as B.7 says), with it every part runs and
  the answer is 200; inner creates answer ``Location`` and ``OData-EntityId``; ``$n`` names the
  record created by ``Content-ID: n`` of the same change set; at most 1000 requests;
- every answer has ``OData-Version: 4.0`` and a request id in ``REQ_ID`` and
  ``x-ms-service-request-id``; JSON is ``application/json; odata.metadata=minimal``.

Choices: delegated (user) tokens are refused like an app that is not an application user, as
the stand-in has no licensed users; unknown entity sets are 404 "Resource not found for the
segment …"; a batch inside a batch is 400.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import unquote, urlsplit

from hunter.sandbox import dataverse_batch as batch
from hunter.sandbox import dataverse_errors as errors
from hunter.sandbox import dataverse_metadata as metadata
from hunter.sandbox.dataverse_errors import DataverseError
from hunter.sandbox.dataverse_leads import JSON_TYPE, LeadsResource, Prefer, json_response
from hunter.sandbox.dataverse_limits import ServiceProtection
from hunter.sandbox.dataverse_schema import metadata_id
from hunter.sandbox.dataverse_store import LeadStore
from hunter.sandbox.entra import EntraSandbox
from hunter.sandbox.entra_directory import CONFIDENTIAL_CLIENT_ID, TENANT_ID
from hunter.sandbox.entra_tokens import TokenRejected
from hunter.sandbox.https import HttpsServer, Request, Response

__all__ = ["API_PATH", "ApplicationUser", "DEFAULT_APPLICATION_USERS", "DataverseApi", "ORGANIZATION_ID"]

API_PATH = r"/api/data/v(?P<version>9\.[012])/(?P<rest>.*)"
ORGANIZATION_ID = metadata_id("organization:hunter-sandbox")
BUSINESS_UNIT_ID = metadata_id("businessunit:hunter-sandbox")
_PRIVILEGES = {"GET": "prvReadLead", "POST": "prvCreateLead", "PATCH": "prvWriteLead", "PUT": "prvWriteLead",
               "DELETE": "prvDeleteLead"}
_ENTITY_DEFINITION = re.compile(
    r"EntityDefinitions\((?:LogicalName='(?P<name>[^']*)'|(?P<id>[0-9A-Fa-f-]{36}))\)"
    r"(?:/(?P<nav>Attributes|Keys)(?:\(LogicalName='(?P<attribute>[^']*)'\)|/(?P<cast>[\w.]+))?)?")
_ENTITY_SET = re.compile(r"(?P<set>[A-Za-z_]\w*)(?:\((?P<key>.*)\))?(?P<tail>/.*)?")


@dataclass(frozen=True, slots=True)
class ApplicationUser:
    """An app registration made an application user of the environment, with its security roles."""

    client_id: str
    roles: tuple[str, ...] = ("System Administrator",)
    name: str = "# Hunter"

    @property
    def user_id(self) -> str:
        """The ``systemuserid`` the environment gave it."""
        return metadata_id(f"systemuser:{self.client_id.lower()}")


DEFAULT_APPLICATION_USERS = (ApplicationUser(CONFIDENTIAL_CLIENT_ID),)


class _RolledBack(Exception):
    """A request of a change set failed: the change set is undone and this answer stands for it."""

    def __init__(self, answer: batch.Answer) -> None:
        super().__init__(answer.status)
        self.answer = answer


class DataverseApi:
    """The Web API over a ``LeadStore``, trusting tokens of ``entra``."""

    def __init__(self, entra: EntraSandbox, store: LeadStore, *, protection: ServiceProtection | None = None,
                 application_users: tuple[ApplicationUser, ...] = DEFAULT_APPLICATION_USERS,
                 latency: float = 0.0) -> None:
        self.entra = entra
        self.store = store
        self.leads = LeadsResource(store)
        self.protection = protection or ServiceProtection()
        self.application_users = {user.client_id: user for user in application_users}
        self.latency = latency                   # seconds each Web API request takes (inside the limits)
        self._server: HttpsServer | None = None

    def mount(self, server: HttpsServer) -> None:
        self._server = server
        for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            server.route(method, API_PATH, self.serve)

    @property
    def url(self) -> str:
        """The environment URL (the server's own): the token audience and the scope's resource."""
        if self._server is None:
            raise RuntimeError("the Dataverse sandbox is not mounted on a server")
        return self._server.url

    # --- the outer request -----------------------------------------------------------------

    def serve(self, request: Request) -> Response:
        """One Web API request: caller, limits, then the resource; errors in the Dataverse shape."""
        try:
            caller = self._caller(request)
            with self.protection.admit(caller.client_id) as debug:
                if self.latency:
                    time.sleep(self.latency)
                response = self._answer(request, caller)
            response.headers.update(debug)
        except DataverseError as error:
            response = _error_response(request, error)
        return self._finish(response)

    def fault_response(self, request: Request, status: int) -> Response:
        """The answer to an injected fault (``http_faults``): 429 or 5xx in the Dataverse shape."""
        if status == 429:
            error = errors.too_many_requests(self.protection.limits.requests,
                                             int(self.protection.limits.window_seconds), 0)
            error.headers.clear()
        else:
            error = errors.unavailable(status)
        return self._finish(_error_response(request, error))

    @staticmethod
    def _finish(response: Response) -> Response:
        request_id = str(uuid.uuid4())
        response.headers.setdefault("OData-Version", "4.0")
        response.headers["REQ_ID"] = request_id
        response.headers["x-ms-service-request-id"] = request_id
        return response

    # --- who is asking ---------------------------------------------------------------------

    def _caller(self, request: Request) -> ApplicationUser:
        verdict = self.entra.validate(request.header("Authorization"), self.url)
        if isinstance(verdict, TokenRejected):
            challenge = (f"Bearer authorization_uri={self.entra.base_url}/{TENANT_ID}/oauth2/authorize, "
                         f"resource_id={self.url}/")
            raise errors.unauthenticated(verdict.reason, challenge)
        user = self.application_users.get(verdict.app_id) if verdict.is_app else None
        if user is None:
            raise errors.not_a_member()
        return user

    def _authorize(self, caller: ApplicationUser, method: str) -> None:
        if not caller.roles:
            raise errors.privilege_denied(caller.user_id, _PRIVILEGES.get(method, "prvReadLead"),
                                          self.store.schema.entity)

    # --- routing ---------------------------------------------------------------------------

    def _answer(self, request: Request, caller: ApplicationUser) -> Response:
        """The answer to a request already admitted (also each request of a batch)."""
        try:
            return self._route(request, caller)
        except DataverseError as error:
            return _error_response(request, error)

    def _route(self, request: Request, caller: ApplicationUser) -> Response:
        rest, method = request.params["rest"].rstrip("/"), request.method
        base = f"{self.url}/api/data/v{request.params['version']}"
        if rest in ("", "$metadata", "WhoAmI", "WhoAmI()") or rest.startswith("EntityDefinitions"):
            _only(method, "GET", rest)
            return self._describe(request, caller, base, rest)
        if rest == "$batch":
            _only(method, "POST", rest)
            return self._batch(request, caller, base)
        match = _ENTITY_SET.fullmatch(rest)
        if match is None:
            raise errors.no_segment(rest)
        if match["set"] != self.store.schema.entity_set or match["tail"]:
            raise errors.no_segment(match["set"] if match["set"] != self.store.schema.entity_set
                                    else match["tail"].lstrip("/"))
        self._authorize(caller, method)
        return self._entity_set(request, base, match["key"])

    def _entity_set(self, request: Request, base: str, key: str | None) -> Response:
        method = request.method
        if key is None:
            _only(method, ("GET", "POST"), self.store.schema.entity_set)
            return self.leads.query(request, base) if method == "GET" else self.leads.create(request, base)
        _only(method, ("GET", "PATCH", "DELETE"), f"{self.store.schema.entity_set}({key})")
        if method == "GET":
            return self.leads.read(request, base, key)
        if method == "PATCH":
            return self.leads.write(request, base, key)
        return self.leads.delete(request, base, key)

    def _describe(self, request: Request, caller: ApplicationUser, base: str, rest: str) -> Response:
        if rest == "":
            return json_response({"@odata.context": f"{base}/$metadata", "value": [
                {"name": self.store.schema.entity_set, "kind": "EntitySet", "url": self.store.schema.entity_set}]})
        if rest == "$metadata":
            return Response(200, metadata.csdl(self.store.schema), {"Content-Type": "application/xml"})
        if rest.startswith("WhoAmI"):
            return json_response({"@odata.context": f"{base}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
                                  "BusinessUnitId": BUSINESS_UNIT_ID, "UserId": caller.user_id,
                                  "OrganizationId": ORGANIZATION_ID})
        return self._entity_definitions(request, base, rest)

    def _entity_definitions(self, request: Request, base: str, rest: str) -> Response:
        match = _ENTITY_DEFINITION.fullmatch(rest)
        schema = self.store.schema
        entity_id = metadata_id(f"entity:{schema.entity}")
        if match is None:
            raise errors.bad_request(f"The EntityDefinitions path '{rest}' is not supported by the sandbox.")
        if (match["name"] or "").lower() != schema.entity and (match["id"] or "").lower() != entity_id:
            raise errors.DataverseError(404, "0x80040217", f"Could not find entity with logical name "
                                                           f"'{match['name'] or match['id']}'.")
        options, context = request.query, f"{base}/$metadata#EntityDefinitions('{entity_id}')"
        if match["nav"] is None:
            shape = _shape(options.get("$select"))
            return json_response(metadata.entity(schema, f"{base}/$metadata#EntityDefinitions{shape}/$entity",
                                                 options))
        if match["nav"] == "Keys":
            return json_response(metadata.keys(schema, f"{context}/Keys{_shape(options.get('$select'))}", options))
        if match["attribute"] is not None:
            return json_response(metadata.attribute(schema, match["attribute"], f"{context}/Attributes/$entity",
                                                    options))
        cast = f"/{match['cast']}" if match["cast"] else ""
        return json_response(metadata.attributes(schema, f"{context}/Attributes{cast}{_shape(options.get('$select'))}",
                                                 options, match["cast"]))

    # --- $batch ----------------------------------------------------------------------------

    def _batch(self, request: Request, caller: ApplicationUser, base: str) -> Response:
        try:
            parts = batch.parse_request(request.body, request.header("Content-Type"))
        except batch.BatchFormatError as error:
            raise errors.bad_request(str(error)) from None
        if batch.count(parts) > batch.MAX_OPERATIONS:
            raise errors.bad_request(f"The batch contains {batch.count(parts)} requests: a batch request can "
                                     f"contain at most {batch.MAX_OPERATIONS} requests.")
        keep_going = Prefer(request).continue_on_error
        answers: list[batch.Answer | batch.ChangeSetAnswer] = []
        stopped = False
        for part in parts:
            answer, ok = (self._change_set(part, caller, base) if isinstance(part, batch.ChangeSet)
                          else self._one(part, caller, base, {}))
            answers.append(answer)
            if not ok and not keep_going:
                stopped = True
                break
        boundary = batch.new_boundary("batchresponse")
        headers = {"Content-Type": f"multipart/mixed; boundary={boundary}"}
        if keep_going:
            headers["Preference-Applied"] = "odata.continue-on-error"
        return Response(400 if stopped else 200, batch.render_response(answers, boundary), headers)

    def _one(self, operation: batch.Operation, caller: ApplicationUser, base: str,
             ids: dict[str, str]) -> tuple[batch.Answer, bool]:
        try:
            inner = self._inner_request(operation, base, ids)
        except DataverseError as error:
            response = json_response(error.body(), error.status, dict(error.headers))
        else:
            response = self._answer(inner, caller)
        return _as_answer(response, operation.content_id), response.status < 400

    def _change_set(self, change_set: batch.ChangeSet, caller: ApplicationUser,
                    base: str) -> tuple[batch.Answer | batch.ChangeSetAnswer, bool]:
        ids: dict[str, str] = {}
        answers = []
        try:
            with self.store.transaction():
                for operation in change_set.operations:
                    answer, ok = self._one(operation, caller, base, ids)
                    if not ok:
                        raise _RolledBack(answer)
                    answers.append(answer)
                    created = _created_url(answer, f"{base}/{self.store.schema.entity_set}")
                    if operation.content_id and created:
                        ids[operation.content_id] = created
        except _RolledBack as failure:
            return failure.answer, False
        return batch.ChangeSetAnswer(tuple(answers)), True

    def _inner_request(self, operation: batch.Operation, base: str, ids: dict[str, str]) -> Request:
        """A request of a batch as the routes see it (``$n`` resolved, URL made a path)."""
        url = operation.url
        if url.startswith("$"):
            name, _, rest = url[1:].partition("/")
            if name not in ids:
                raise errors.bad_request(f"Content-ID Reference: '${name}' does not exist in the batch context.")
            url = ids[name] + (f"/{rest}" if rest else "")
        parts = urlsplit(url if "://" in url or url.startswith("/") else f"{base}/{url}")
        match = re.fullmatch(API_PATH, unquote(parts.path))
        if match is None:
            raise errors.no_segment(parts.path)
        if match["rest"].rstrip("/") == "$batch":
            raise errors.bad_request("A batch request cannot contain another batch request.")
        headers = Message()
        for name, value in operation.headers:
            headers[name] = value
        return Request(operation.method, unquote(parts.path), parts.query, headers, operation.body,
                       params=match.groupdict())


def _error_response(request: Request, error: DataverseError) -> Response:
    """The error in the B.9 shape (with the CDS details when ``odata.include-annotations`` is preferred)."""
    return json_response(error.body(annotations=Prefer(request).annotations), error.status, dict(error.headers))


def _only(method: str, allowed: str | tuple[str, ...], path: str) -> None:
    if method not in ((allowed,) if isinstance(allowed, str) else allowed):
        raise errors.method_not_allowed(method, path)


def _shape(select: str | None) -> str:
    return f"({select})" if select else ""


def _as_answer(response: Response, content_id: str | None) -> batch.Answer:
    headers = [("Content-Type", JSON_TYPE)] if response.body else []
    headers.append(("OData-Version", "4.0"))
    for name in ("Location", "OData-EntityId", "Preference-Applied", "ETag", "Retry-After"):
        value = response.headers.get(name)
        if value:
            headers.append((name, value))
        if name == "Location" and not value and response.headers.get("OData-EntityId"):
            headers.append(("Location", response.headers["OData-EntityId"]))
    return batch.Answer(response.status, errors.reason(response.status), tuple(headers), response.body, content_id)


def _created_url(answer: batch.Answer, entity_set_url: str) -> str | None:
    """The URL of the record an answer created or changed (``OData-EntityId``, else its body's id)."""
    entity_id = answer.header("OData-EntityId")
    if entity_id:
        return entity_id
    try:
        body: Any = json.loads(answer.body) if answer.body else {}
    except ValueError:
        return None
    lead_id = body.get("leadid") if isinstance(body, dict) else None
    return f"{entity_set_url}({lead_id})" if lead_id else None
