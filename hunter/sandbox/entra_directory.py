"""The sandbox Entra ID tenant: its users, app registrations, resources, and Entra's error answers.

Everything here is throw-away test data (the passwords and the client secret are the
sandbox's own, printed by ``hunter sandbox partner-center``).  ``EntraError`` renders the
JSON error shape Entra's token endpoints use (``error``, ``error_description`` ending with
Trace ID / Correlation ID / Timestamp lines, ``error_codes``, ``timestamp``, ``trace_id``,
``correlation_id``, ``error_uri``); the AADSTS numbers and texts follow the answers Entra
gives for the same mistakes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from hunter.sandbox.https import Response

__all__ = [
    "App", "CONFIDENTIAL_CLIENT_ID", "CONFIDENTIAL_CLIENT_SECRET", "DEFAULT_APPS", "DEFAULT_USERS",
    "EntraError", "PARTNER_CENTER_RESOURCE", "PUBLIC_CLIENT_ID", "REFERRAL_ROLES", "SANDBOX_PASSWORD",
    "TENANT_DOMAIN", "TENANT_ID", "User", "GRAPH_RESOURCE",
]

TENANT_ID = "5d5409fa-55f0-409c-958b-a8e0a60f3f47"
TENANT_DOMAIN = "partner.test"
PUBLIC_CLIENT_ID = "216f2e5f-19c4-4a8a-83f0-c455bd78f351"        # "Hunter (public client)"
CONFIDENTIAL_CLIENT_ID = "350f5833-ddc2-4bc2-af3c-46b93ce8469a"  # "Hunter (confidential client)"
CONFIDENTIAL_CLIENT_SECRET = "sandbox-only~secret.771b9126d26e"  # throw-away, sandbox only
SANDBOX_PASSWORD = "sandbox-only-Passw0rd-7c1e"                       # every default user's password
PARTNER_CENTER_RESOURCE = "https://api.partner.microsoft.com"
GRAPH_RESOURCE = "https://graph.microsoft.com"
REFERRAL_ROLES = ("Global Admin", "Referrals Admin", "Referrals User")   # A.2: who may read referrals
_NAMESPACE = uuid.UUID("efe3735d-34aa-4b7c-9114-33d53884c80d")


def object_id(name: str) -> str:
    """A stable object id for a user or service principal of the sandbox tenant."""
    return str(uuid.uuid5(_NAMESPACE, name.lower()))


@dataclass(frozen=True, slots=True)
class User:
    username: str
    display_name: str
    role: str | None = None          # Partner Center role: one of REFERRAL_ROLES, or None
    mfa_required: bool = False       # conditional access demands MFA: ROPC fails with AADSTS50076
    password: str = SANDBOX_PASSWORD
    oid: str = field(default="")

    def __post_init__(self) -> None:
        if not self.oid:
            object.__setattr__(self, "oid", object_id(self.username))


@dataclass(frozen=True, slots=True)
class App:
    client_id: str
    name: str
    secret: str | None = None        # None: a public client (device code, ROPC without a secret)
    roles: tuple[str, ...] = ()      # application permissions granted (app-only tokens' ``roles``)

    @property
    def public(self) -> bool:
        return self.secret is None


DEFAULT_USERS = (
    User("referrals@partner.test", "Referans Yöneticisi", "Referrals Admin"),
    User("reader@partner.test", "Referans Okuyucu", "Referrals User"),
    User("noroles@partner.test", "Rolü Olmayan Kullanıcı", None),
    User("mfa@partner.test", "MFA Zorunlu Kullanıcı", "Referrals Admin", mfa_required=True),
)
DEFAULT_APPS = (
    App(PUBLIC_CLIENT_ID, "Hunter (public client)"),
    App(CONFIDENTIAL_CLIENT_ID, "Hunter (confidential client)", CONFIDENTIAL_CLIENT_SECRET,
        roles=("Referrals.Read.All",)),   # the role name is the sandbox's own: Microsoft documents none
)


def _timestamp(now: dt.datetime) -> str:
    return now.strftime("%Y-%m-%d %H:%M:%SZ")


class EntraError(Exception):
    """An OAuth error answer of Entra's token endpoints."""

    def __init__(self, status: int, error: str, code: int, text: str, **extra: Any) -> None:
        super().__init__(f"AADSTS{code}: {text}")
        self.status, self.error, self.code, self.text, self.extra = status, error, code, text, extra

    def body(self, *, correlation_id: str | None = None, base_url: str = "") -> dict[str, Any]:
        now = dt.datetime.now(dt.timezone.utc)
        trace, correlation = str(uuid.uuid4()), correlation_id or str(uuid.uuid4())
        description = (f"AADSTS{self.code}: {self.text}\r\nTrace ID: {trace}\r\n"
                       f"Correlation ID: {correlation}\r\nTimestamp: {_timestamp(now)}")
        return {"error": self.error, "error_description": description, "error_codes": [self.code],
                "timestamp": _timestamp(now), "trace_id": trace, "correlation_id": correlation,
                "error_uri": f"{base_url}/error?code={self.code}", **self.extra}

    def response(self, *, correlation_id: str | None = None, base_url: str = "") -> Response:
        body = self.body(correlation_id=correlation_id, base_url=base_url)
        return Response.json(body, self.status, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})


# --- the errors, one function each (AADSTS number, OAuth error, HTTP status as Entra answers) ----

def missing(parameter: str) -> EntraError:
    return EntraError(400, "invalid_request", 900144,
                      f"The request body must contain the following parameter: '{parameter}'.")


def unknown_client(client_id: str) -> EntraError:
    return EntraError(400, "unauthorized_client", 700016,
                      f"Application with identifier '{client_id}' was not found in the directory "
                      f"'{TENANT_DOMAIN}'. This can happen if the application has not been installed by the "
                      "administrator of the tenant or consented to by any user in the tenant. You may have "
                      "sent your authentication request to the wrong tenant.")


def secret_required() -> EntraError:
    return EntraError(401, "invalid_client", 7000218,
                      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")


def public_with_secret() -> EntraError:
    return EntraError(401, "invalid_client", 700025,
                      "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")


def wrong_secret(client_id: str) -> EntraError:
    return EntraError(401, "invalid_client", 7000215,
                      "Invalid client secret provided. Ensure the secret being sent in the request is the "
                      f"client secret value, not the client secret ID, for a secret added to app '{client_id}'.")


def unknown_user() -> EntraError:
    return EntraError(400, "invalid_grant", 50034,
                      f"The user account {{EmailHidden}} does not exist in the {TENANT_DOMAIN} directory. "
                      "To sign into this application, the account must be added to the directory.")


def wrong_password() -> EntraError:
    return EntraError(400, "invalid_grant", 50126,
                      "Error validating credentials due to invalid username or password.")


def mfa_required(resource: str) -> EntraError:
    return EntraError(400, "invalid_grant", 50076,
                      "Due to a configuration change made by your administrator, or because you moved to a "
                      f"new location, you must use multi-factor authentication to access '{resource}'.",
                      suberror="basic_action",
                      claims='{"access_token":{"capolids":{"essential":true,"values":'
                             '["32cde54b-b232-4207-ae6e-d16a498d1ff5"]}}}')


def unsupported_grant(grant_type: str) -> EntraError:
    return EntraError(400, "unsupported_grant_type", 70003,
                      f"The app requested an unsupported grant type '{grant_type}'.")


def invalid_tenant(tenant: str) -> EntraError:
    return EntraError(400, "invalid_tenant", 90002,
                      f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and "
                      "are signing into the correct cloud.")


def unknown_resource(resource: str) -> EntraError:
    return EntraError(400, "invalid_resource", 500011,
                      f"The resource principal named {resource} was not found in the tenant named "
                      f"{TENANT_DOMAIN}. This can happen if the application has not been installed by the "
                      "administrator of the tenant or consented to by any user in the tenant.")


def many_resources() -> EntraError:
    return EntraError(400, "invalid_scope", 28000,
                      "Provided value for the input parameter scope is not valid because it contains more "
                      "than one resource.")


def default_scope_required(scope: str) -> EntraError:
    return EntraError(400, "invalid_scope", 1002012,
                      f"The provided value for scope {scope} is not valid. Client credential flows must have "
                      "a scope value with /.default suffixed to the resource identifier (application ID URI).")


def bad_grant() -> EntraError:
    return EntraError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")


def revoked_grant() -> EntraError:
    return EntraError(400, "invalid_grant", 50173,
                      "The provided grant has expired due to it being revoked, a fresh auth token is needed. "
                      "The user might have changed or reset their password.")


def authorization_pending() -> EntraError:
    return EntraError(400, "authorization_pending", 70016,
                      "The provided request has not yet been authorized by the user. The user must input their code.")


def expired_device_code() -> EntraError:
    return EntraError(400, "expired_token", 70020,
                      "The provided value for the input parameter 'device_code' is not valid. "
                      "This device code has expired.")


def declined_device_code() -> EntraError:
    return EntraError(400, "authorization_declined", 70000, "The user denied the authorization request.")


def bad_device_code() -> EntraError:
    return EntraError(400, "bad_verification_code", 70000,
                      "The provided value for the input parameter 'device_code' is not valid.")


def throttled(status: int) -> EntraError:
    """A 429/5xx answer of the token endpoint (fault injection)."""
    return EntraError(status, "temporarily_unavailable", 90033,
                      "A transient error has occurred. Please try again.")
