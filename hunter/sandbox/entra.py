"""A stand-in of Entra ID (Azure AD) for MSAL for Python and plain OAuth clients, on 127.0.0.1.

It serves the endpoints MSAL really calls once ``instance_discovery=False``:

- ``GET /{tenant}/v2.0/.well-known/openid-configuration`` and the v1 form without ``/v2.0``,
  with endpoints on this server (host and port); ``{tenant}`` may be ``organizations``,
  ``common``, the tenant GUID or its domain (others: 400 ``invalid_tenant``, AADSTS90002);
- ``GET /common/userrealm/{username}?api-version=1.0`` (MSAL asks it before ROPC, at the
  authority host WITHOUT its port: the client maps it back, see ``PartnerCenterSandbox``);
- ``POST /{tenant}/oauth2/v2.0/token``: grants ``password`` (ROPC),
  ``urn:ietf:params:oauth:grant-type:device_code``, ``refresh_token``, ``client_credentials``;
- ``POST /{tenant}/oauth2/token``: the v1 endpoint with ``resource=``, answering like the
  documented Partner Center sample (``expires_in``, ``expires_on`` … as strings);
- ``POST /{tenant}/oauth2/v2.0/devicecode`` (and v1 ``/oauth2/devicecode``), ``/devicelogin``;
- ``GET /{tenant}/discovery/v2.0/keys`` and ``/discovery/keys``: the signing key as a JWKS.

Clients are authenticated as Entra does (``client_secret`` in the body or HTTP Basic; a public
client must not send one, a confidential one must).  Errors have Entra's JSON shape and
AADSTS codes (``entra_directory``).  Tokens are described in ``entra_tokens``.  Every answer
carries ``x-ms-request-id`` and echoes ``client-request-id``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from hunter.sandbox import entra_directory as directory
from hunter.sandbox.entra_device import DeviceCodes
from hunter.sandbox.entra_directory import (
    DEFAULT_APPS, DEFAULT_USERS, GRAPH_RESOURCE, PARTNER_CENTER_RESOURCE, TENANT_DOMAIN, TENANT_ID, App,
    EntraError, User,
)
from hunter.sandbox.entra_tokens import Claims, Issue, TokenIssuer, TokenRejected
from hunter.sandbox.https import Handler, HttpsServer, Request, Response

__all__ = ["DEVICE_CODE_GRANT", "EntraSandbox"]

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
_OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
_PLACEHOLDER_TENANTS = ("common", "organizations")
_T = r"(?P<tenant>[^/]+)"
_NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


class EntraSandbox:
    """One sandbox tenant (``TENANT_ID``, domain ``partner.test``) served from a ``HttpsServer``."""

    def __init__(self, *, users: Iterable[User] = DEFAULT_USERS, apps: Iterable[App] = DEFAULT_APPS,
                 resources: Iterable[str] = (PARTNER_CENTER_RESOURCE, GRAPH_RESOURCE), token_lifetime: int = 3600,
                 auto_approve: str | None = None, device_interval: int = 5, device_lifetime: int = 900) -> None:
        self.users = {user.username.lower(): user for user in users}
        self.apps = {app.client_id: app for app in apps}
        self.resources = set(resources)
        self.tokens = TokenIssuer(lifetime=token_lifetime)
        self.device = DeviceCodes(self.find_user, lifetime=device_lifetime, interval=device_interval)
        self.auto_approve = auto_approve
        self._server: HttpsServer | None = None

    # --- wiring ----------------------------------------------------------------------------

    def mount(self, server: HttpsServer) -> None:
        """Serve the Entra routes from ``server`` (its URL becomes the authority host)."""
        self._server = server
        routes: list[tuple[str, str, Handler]] = [
            ("GET", rf"/{_T}/v2\.0/\.well-known/openid-configuration", lambda r: self._openid(r, v2=True)),
            ("GET", rf"/{_T}/\.well-known/openid-configuration", lambda r: self._openid(r, v2=False)),
            ("GET", rf"/{_T}/discovery(?:/v2\.0)?/keys", self._keys),
            ("GET", r"/common/userrealm/(?P<username>[^/]+)", self._user_realm),
            ("POST", rf"/{_T}/oauth2/v2\.0/token", self._token_v2),
            ("POST", rf"/{_T}/oauth2/token", self._token_v1),
            ("POST", rf"/{_T}/oauth2(?P<v2>/v2\.0)?/devicecode", self._device_code),
            ("GET", r"/devicelogin", self.device.page),
            ("POST", r"/devicelogin", self.device.submit),
        ]
        for method, pattern, handler in routes:
            server.route(method, pattern, self._answering(handler))

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Entra sandbox is not mounted on a server")
        return self._server.url

    def find_user(self, username: str) -> User | None:
        return self.users.get(username.strip().lower())

    def add_resource(self, resource: str) -> None:
        """Accept tokens for another resource (e.g. a Dataverse environment URL)."""
        self.resources.add(resource.rstrip("/"))

    # --- control (tests, the demo, /_sandbox/ endpoints) -----------------------------------

    @property
    def auto_approve(self) -> str | None:
        """A username every new poll of a pending device code is approved for, or ``None``."""
        return self.device.auto_approve

    @auto_approve.setter
    def auto_approve(self, username: str | None) -> None:
        if username is not None and self.find_user(username) is None:
            raise ValueError(f"cannot auto-approve for {username!r}: no such user in the sandbox tenant")
        self.device.auto_approve = username

    def approve(self, user_code: str, username: str) -> None:
        """Sign ``username`` in for a pending device code, as on the ``/devicelogin`` page."""
        self.device.approve(user_code, username)

    def decline(self, user_code: str) -> None:
        self.device.decline(user_code)

    def revoke_all(self) -> None:
        """Every access and refresh token issued so far stops working."""
        self.tokens.revoke_all()

    def expire_access_tokens(self) -> None:
        """Access tokens stop working; refresh tokens still redeem."""
        self.tokens.expire_access_tokens()

    def validate(self, bearer: str | None, audience: str) -> Claims | TokenRejected:
        """Check an ``Authorization`` value for ``audience`` (used by the API stand-ins)."""
        return self.tokens.validate(bearer, audience)

    # --- handlers --------------------------------------------------------------------------

    def _answering(self, handler: Handler) -> Handler:
        def answer(request: Request) -> Response:
            correlation = request.header("client-request-id")
            try:
                response = handler(request)
            except EntraError as error:
                response = error.response(correlation_id=correlation, base_url=self.base_url)
            response.headers["x-ms-request-id"] = str(uuid.uuid4())
            if correlation:
                response.headers["client-request-id"] = correlation
            return response
        return answer

    def _tenant(self, request: Request) -> str:
        """The tenant segment as Entra writes it in endpoints: the placeholder, or the tenant id."""
        tenant = request.params["tenant"].lower()
        if tenant in _PLACEHOLDER_TENANTS:
            return tenant
        if tenant in (TENANT_ID, TENANT_DOMAIN):
            return TENANT_ID
        raise directory.invalid_tenant(request.params["tenant"])

    def _openid(self, request: Request, *, v2: bool) -> Response:
        """The OpenID configuration, v2.0 or v1; endpoints keep the placeholder tenant as Entra does."""
        tenant = self._tenant(request)
        base = f"{self.base_url}/{tenant}"
        oauth = f"{base}/oauth2/v2.0" if v2 else f"{base}/oauth2"
        issuer_tenant = "{tenantid}" if tenant in _PLACEHOLDER_TENANTS else TENANT_ID
        region = {} if tenant in _PLACEHOLDER_TENANTS else {"tenant_region_scope": "EU"}
        return Response.json({
            "token_endpoint": f"{oauth}/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys" if v2 else f"{self.base_url}/common/discovery/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"] if v2 else ["openid"],
            "issuer": f"{self.base_url}/{issuer_tenant}/v2.0" if v2 else f"{self.base_url}/{issuer_tenant}/",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{oauth}/authorize", "device_authorization_endpoint": f"{oauth}/devicecode",
            "end_session_endpoint": f"{oauth}/logout", "http_logout_supported": True,
            "frontchannel_logout_supported": True, "claims_supported": _CLAIMS, **region,
            "cloud_instance_name": "microsoftonline.com", "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com", "rbac_url": "https://pas.windows.net",
        })

    def _keys(self, request: Request) -> Response:
        self._tenant(request)
        return Response.json(self.tokens.signer.jwks())

    def _user_realm(self, request: Request) -> Response:
        username = request.params["username"]
        domain = username.rpartition("@")[2].lower()
        if domain != TENANT_DOMAIN:
            return Response.json({"ver": "1.0", "account_type": "Unknown", "cloud_instance_name": "microsoftonline.com"})
        return Response.json({"ver": "1.0", "account_type": "Managed", "domain_name": TENANT_DOMAIN,
                              "cloud_instance_name": "microsoftonline.com",
                              "cloud_audience_urn": "urn:federation:MicrosoftOnline"})

    def _device_code(self, request: Request) -> Response:
        self._tenant(request)
        form = request.form()
        app = self._client(form, request)
        v2 = "v2" in request.params
        scope = form.get("scope", "") if v2 else _v1_scope(form)
        self._scopes(scope)                       # Entra checks the scope before handing out a code
        answer = self.device.start(app, scope, verification_uri=f"{self.base_url}/devicelogin")
        if not v2:                                # the v1 endpoint spells it verification_url
            answer["verification_url"] = answer.pop("verification_uri")
        return Response.json(answer, headers=_NO_STORE)

    def _token_v2(self, request: Request) -> Response:
        self._tenant(request)
        form = request.form()
        issue = self._grant(form, request, form.get("scope", ""))
        fields = self.tokens.mint(issue, base_url=self.base_url, client_info=form.get("client_info") == "1")
        return Response.json(fields, headers=_NO_STORE)

    def _token_v1(self, request: Request) -> Response:
        """The v1 answer: times as strings, ``resource``, ``expires_on``/``not_before`` (A.2 sample)."""
        self._tenant(request)
        form = request.form()
        issue = self._grant(form, request, _v1_scope(form))
        fields = self.tokens.mint(issue, base_url=self.base_url, client_info=form.get("client_info") == "1")
        now, lifetime = int(time.time()), self.tokens.lifetime
        fields.update(expires_in=str(lifetime), ext_expires_in=str(lifetime), expires_on=str(now + lifetime),
                      not_before=str(now), resource=issue.resource)
        if issue.user is not None:
            fields["scope"] = "user_impersonation"
        return Response.json(fields, headers=_NO_STORE)

    # --- grants ----------------------------------------------------------------------------

    def _grant(self, form: dict[str, str], request: Request, scope: str) -> Issue:
        grant_type = form.get("grant_type") or _raise(directory.missing("grant_type"))
        app = self._client(form, request)
        if grant_type == "password":
            return self._password(app, form, scope)
        if grant_type == DEVICE_CODE_GRANT:
            pending = self.device.poll(form.get("device_code") or _raise(directory.missing("device_code")),
                                       app.client_id)
            return self._issue(app, pending.user, pending.scope, mfa=True)
        if grant_type == "refresh_token":
            return self._refresh(app, form, scope)
        if grant_type == "client_credentials":
            return self._client_credentials(app, scope)
        raise directory.unsupported_grant(grant_type)

    def _client(self, form: dict[str, str], request: Request) -> App:
        """The calling app, authenticated as Entra does it."""
        basic_id, secret = _basic(request.header("Authorization"))
        client_id = form.get("client_id") or basic_id or _raise(directory.missing("client_id"))
        secret = form.get("client_secret") or secret
        app = self.apps.get(client_id) or _raise(directory.unknown_client(client_id))
        if app.public and secret:
            raise directory.public_with_secret()
        if not app.public and not secret:
            raise directory.secret_required()
        if not app.public and not secrets.compare_digest(app.secret.encode(), secret.encode()):
            raise directory.wrong_secret(client_id)
        return app

    def _password(self, app: App, form: dict[str, str], scope: str) -> Issue:
        username = form.get("username") or _raise(directory.missing("username"))
        password = form.get("password") or _raise(directory.missing("password"))
        user = self.find_user(username) or _raise(directory.unknown_user())
        if not secrets.compare_digest(user.password.encode(), password.encode()):
            raise directory.wrong_password()
        issue = self._issue(app, user, scope)
        if user.mfa_required:
            raise directory.mfa_required(issue.resource)
        return issue

    def _refresh(self, app: App, form: dict[str, str], scope: str) -> Issue:
        previous = self.tokens.redeem(form.get("refresh_token") or _raise(directory.missing("refresh_token")),
                                      app.client_id)
        if not scope.split():
            return Issue(app, previous.user, previous.resource, previous.scopes, previous.openid, True, previous.mfa)
        issue = self._issue(app, previous.user, scope, mfa=previous.mfa)
        return Issue(app, issue.user, issue.resource, issue.scopes, issue.openid, True, issue.mfa)

    def _client_credentials(self, app: App, scope: str) -> Issue:
        if app.public:
            raise directory.secret_required()
        words = [word for word in scope.split() if word not in _OIDC_SCOPES] or _raise(directory.missing("scope"))
        if any(not word.endswith("/.default") for word in words):
            raise directory.default_scope_required(scope)
        resource, scopes, _openid, _offline = self._scopes(scope)
        return Issue(app, None, resource, scopes)

    def _issue(self, app: App, user: User | None, scope: str, *, mfa: bool = False) -> Issue:
        resource, scopes, openid, offline = self._scopes(scope)
        return Issue(app, user, resource, scopes, openid, offline, mfa)

    def _scopes(self, scope: str) -> tuple[str, tuple[str, ...], bool, bool]:
        """(resource, resource scopes, openid asked, offline_access asked); one resource only."""
        words = scope.split()
        asked = tuple(word for word in words if word not in _OIDC_SCOPES)
        resources = {_resource_of(word) for word in asked} or {GRAPH_RESOURCE}
        if len(resources) > 1:
            raise directory.many_resources()
        resource = resources.pop()
        if resource not in self.resources:
            raise directory.unknown_resource(resource)
        return resource, asked, "openid" in words, "offline_access" in words


_CLAIMS = ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
           "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name",
           "tid", "ver", "at_hash", "c_hash", "email"]


def _raise(error: EntraError) -> Any:
    raise error


def _resource_of(scope: str) -> str:
    """``https://api.partner.microsoft.com/.default`` → ``https://api.partner.microsoft.com``; bare names are Graph's."""
    return scope.rsplit("/", 1)[0].rstrip("/") if "/" in scope else GRAPH_RESOURCE


def _v1_scope(form: dict[str, str]) -> str:
    """A v1 request (``resource=``) as the v2 scope it stands for; v1 always hands out refresh tokens.
    A v1 refresh without ``resource`` keeps the resource of the refresh token."""
    if not form.get("resource") and form.get("grant_type") == "refresh_token":
        return ""
    resource = (form.get("resource") or _raise(directory.missing("resource"))).rstrip("/")
    extra = ["openid"] if "openid" in form.get("scope", "").split() else []
    return " ".join([f"{resource}/.default", *extra, "offline_access"])


def _basic(authorization: str | None) -> tuple[str | None, str | None]:
    """client_secret_basic: (client id, secret) from ``Authorization: Basic …``."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " ")) or None
