"""Tokens of the sandbox Entra ID: minting, validating, revoking.

Access tokens are RS256 JWTs in Entra's v1.0 access-token format, the one resources such as
``https://api.partner.microsoft.com`` receive (``ver`` "1.0", ``appid``/``appidacr``, ``upn``
and ``unique_name`` for users, ``scp`` for delegated or ``roles`` for app-only tokens), plus a
``jti``; ``iss`` is ``<sandbox url>/<tenant id>/`` where Entra writes
``https://sts.windows.net/<tenant id>/``.  ID tokens are v2.0 (``aud`` = client id, ``iss`` =
``<sandbox url>/<tenant id>/v2.0``).  ``client_info`` is base64url ``{"uid","utid"}`` as MSAL
asks with ``client_info=1``.  Refresh tokens are opaque; a new one comes with every refresh
and the old one stays valid until it expires or is revoked, as with Entra.

Unlike Entra, the sandbox remembers every token it issued, so ``revoke_all`` and
``expire_access_tokens`` take effect at once: a revoked token MSAL still serves from its cache
is refused by the API stand-ins.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from hunter.sandbox import entra_directory as directory
from hunter.sandbox.entra_directory import App, User
from hunter.sandbox.jws import Signer, b64url

__all__ = ["Claims", "Issue", "TokenIssuer", "TokenRejected"]

REFRESH_LIFETIME = 90 * 24 * 3600     # Entra's default inactivity limit for refresh tokens
DELEGATED_SCOPE = "user_impersonation"


@dataclass(frozen=True, slots=True)
class Claims:
    """The claims of a valid access token."""

    raw: dict[str, Any]

    @property
    def oid(self) -> str:
        return self.raw["oid"]

    @property
    def app_id(self) -> str:
        return self.raw["appid"]

    @property
    def upn(self) -> str | None:
        return self.raw.get("upn")

    @property
    def audience(self) -> str:
        return self.raw["aud"]

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.raw.get("roles", ()))

    @property
    def is_app(self) -> bool:
        return self.raw.get("idtyp") == "app"


@dataclass(frozen=True, slots=True)
class TokenRejected:
    """Why a bearer token is refused: ``missing``, ``malformed``, ``expired``, ``revoked`` or ``audience``."""

    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Issue:
    """What a successful grant earns: the caller app, the user (``None`` for app-only), the resource."""

    app: App
    user: User | None
    resource: str
    scopes: tuple[str, ...] = ()            # resource scopes asked for, e.g. ".../.default"
    openid: bool = False
    offline: bool = False
    mfa: bool = False                       # the user proved a second factor (device code sign-in)


@dataclass(frozen=True, slots=True)
class _Grant:
    issue: Issue
    expires: float


class TokenIssuer:
    """Mints and checks the tokens of one sandbox tenant; thread-safe."""

    def __init__(self, *, lifetime: int = 3600) -> None:
        if lifetime < 1:
            raise ValueError(f"token lifetime must be at least 1 second, got {lifetime}")
        self.lifetime = lifetime
        self.signer = Signer()
        self._lock = threading.Lock()
        self._access: dict[str, float] = {}          # jti -> exp of every live access token
        self._refresh: dict[str, _Grant] = {}
        self._revoked: set[str] = set()               # refresh tokens revoked (for AADSTS50173)

    # --- minting ---------------------------------------------------------------------------

    def mint(self, issue: Issue, *, base_url: str, client_info: bool) -> dict[str, Any]:
        """The fields of a v2.0 token response for ``issue``."""
        now = int(time.time())
        access = self._access_claims(issue, base_url, now)
        with self._lock:
            self._access = {jti: exp for jti, exp in self._access.items() if exp > now}
            self._access[access["jti"]] = access["exp"]
        fields: dict[str, Any] = {"token_type": "Bearer", "expires_in": self.lifetime,
                                  "ext_expires_in": self.lifetime, "access_token": self.signer.sign(access)}
        if issue.user is not None:
            fields["scope"] = " ".join(_granted(issue))
            fields.update(self._user_extras(issue, base_url, now, client_info=client_info))
        return fields

    def _user_extras(self, issue: Issue, base_url: str, now: int, *, client_info: bool) -> dict[str, str]:
        user = issue.user
        assert user is not None
        extras = {}
        if issue.offline:
            extras["refresh_token"] = self._new_refresh(issue)
        if issue.openid:
            extras["id_token"] = self.signer.sign(_id_claims(issue.app, user, base_url, now, self.lifetime))
        if client_info:
            info = json.dumps({"uid": user.oid, "utid": directory.TENANT_ID}, separators=(",", ":"))
            extras["client_info"] = b64url(info.encode())
        return extras

    def _new_refresh(self, issue: Issue) -> str:
        token = "0.A" + secrets.token_urlsafe(96)
        with self._lock:
            self._refresh[token] = _Grant(issue, time.time() + REFRESH_LIFETIME)
        return token

    def _access_claims(self, issue: Issue, base_url: str, now: int) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "aud": issue.resource, "iss": f"{base_url}/{directory.TENANT_ID}/", "iat": now, "nbf": now,
            "exp": now + self.lifetime, "appid": issue.app.client_id, "appidacr": "0" if issue.app.public else "1",
            "tid": directory.TENANT_ID, "ver": "1.0", "jti": str(uuid.uuid4()), "uti": secrets.token_urlsafe(16),
        }
        if issue.user is None:
            service_principal = directory.object_id(f"sp:{issue.app.client_id}")
            claims.update(idtyp="app", oid=service_principal, sub=service_principal, roles=list(issue.app.roles))
            return claims
        user = issue.user
        claims.update(idtyp="user", oid=user.oid, sub=_pairwise(user.oid, issue.app.client_id),
                      upn=user.username, unique_name=user.username, name=user.display_name,
                      scp=DELEGATED_SCOPE, amr=["pwd", "mfa"] if issue.mfa else ["pwd"], ipaddr="127.0.0.1")
        return claims

    # --- refresh tokens --------------------------------------------------------------------

    def redeem(self, refresh_token: str, client_id: str) -> Issue:
        """The grant a refresh token stands for; ``EntraError`` when revoked, unknown or expired."""
        with self._lock:
            grant = self._refresh.get(refresh_token)
            revoked = refresh_token in self._revoked
        if revoked:
            raise directory.revoked_grant()
        if grant is None or grant.expires < time.time() or grant.issue.app.client_id != client_id:
            raise directory.bad_grant()
        return grant.issue

    # --- validation and control ------------------------------------------------------------

    def validate(self, bearer: str | None, audience: str) -> Claims | TokenRejected:
        """Check an ``Authorization`` header value (``Bearer …``) or a bare token for ``audience``."""
        token = (bearer or "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            return TokenRejected("missing", "No bearer token was presented.")
        claims = self.signer.verify(token)
        if claims is None:
            return TokenRejected("malformed", "The token is malformed or its signature is invalid.")
        if claims.get("exp", 0) <= time.time():
            return TokenRejected("expired", "The token has expired.")
        with self._lock:
            live = claims.get("jti") in self._access
        if not live:
            return TokenRejected("revoked", "The token has been revoked or expired by the identity provider.")
        if claims.get("aud") != audience:
            return TokenRejected("audience", f"The token audience is not {audience}.")
        return Claims(claims)

    def revoke_all(self) -> None:
        """Every access and refresh token issued so far stops working."""
        with self._lock:
            self._access.clear()
            self._revoked.update(self._refresh)
            self._refresh.clear()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working; refresh tokens still redeem."""
        with self._lock:
            self._access.clear()

    @property
    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"access_tokens": len(self._access), "refresh_tokens": len(self._refresh)}


def _granted(issue: Issue) -> list[str]:
    """The ``scope`` of a delegated token response: the permission granted plus what was asked."""
    granted = [f"{issue.resource}/{DELEGATED_SCOPE}"]
    return granted + [scope for scope in issue.scopes if scope not in granted]


def _pairwise(oid: str, client_id: str) -> str:
    """Entra's ``sub``: a per-application pairwise identifier of the user."""
    return b64url(hashlib.sha256(f"{oid}:{client_id}".encode()).digest())


def _id_claims(app: App, user: User, base_url: str, now: int, lifetime: int) -> dict[str, Any]:
    return {"aud": app.client_id, "iss": f"{base_url}/{directory.TENANT_ID}/v2.0", "iat": now, "nbf": now,
            "exp": now + lifetime, "name": user.display_name, "oid": user.oid,
            "preferred_username": user.username, "sub": _pairwise(user.oid, app.client_id),
            "tid": directory.TENANT_ID, "ver": "2.0", "uti": secrets.token_urlsafe(16)}
