"""Signing in to Microsoft Entra ID with MSAL for Python — shared by Partner Center and Dataverse.

Three ways in, each MSAL's own call (nothing hand-rolled):

* ``ropc``: a service user's name and password (``acquire_token_by_username_password``), with a
  public client or a confidential one (client secret).  An account that needs MFA is refused by
  Entra (AADSTS50076 and kin): one clear message says to use ``device_code``.
* ``device_code``: ``login()`` prints Entra's code and URL and waits (``initiate_device_flow`` /
  ``acquire_token_by_device_flow``); afterwards every token comes silently from the persisted
  cache (refresh token).
* ``client_credentials``: an application (Dataverse application user).

Every call first asks MSAL's cache.  MSAL treats a token within 5 minutes of expiry as expired,
but a token revoked or expired on the server is still served from its cache: a caller that gets
401 asks once more with ``force_refresh=True``.

The HTTP session given to MSAL trusts only ``HUNTER_CA_BUNDLE`` when it is set (``trust_env`` off,
so ``REQUESTS_CA_BUNDLE`` and proxies in the environment cannot override it; MSAL's bare
``verify=`` would lose to them), has a timeout, and puts the authority's port back on MSAL's
user-realm discovery, which MSAL sends to the authority host without its port.  Instance
discovery (a call to login.microsoftonline.com) is off for a host that is not one of Microsoft's
login hosts.  No secret or token is ever logged or put in an error message.
"""

from __future__ import annotations

import logging
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import msal
import requests
from msal.exceptions import MsalError

from ..errors import AuthFailed, ConfigError, IntegrationUnavailable
from .tokencache import TokenCacheFile

log = logging.getLogger("hunter.entra")

Mode = Literal["ropc", "device_code", "client_credentials"]

#: Microsoft's own login hosts (public and national clouds): MSAL's instance discovery stays on.
MICROSOFT_LOGIN_HOSTS = frozenset({
    "login.microsoftonline.com", "login.microsoft.com", "login.windows.net", "sts.windows.net",
    "login.microsoftonline.us", "login.chinacloudapi.cn", "login.partner.microsoftonline.cn",
    "login.microsoftonline.de", "login-us.microsoftonline.com", "login.usgovcloudapi.net",
})

#: Entra error codes meaning "this account must do multi-factor authentication".
MFA_CODES = frozenset({50072, 50074, 50076, 50079, 50158})


class MsalHttp(requests.Session):
    """The ``http_client`` handed to MSAL (see the module docstring)."""

    def __init__(self, *, authority: str, ca_bundle: Path | None, timeout: float) -> None:
        super().__init__()
        self.trust_env = False
        self.verify = str(ca_bundle) if ca_bundle else True
        self.timeout = timeout
        parts = urlsplit(authority)
        self._host, self._port = (parts.hostname or "").lower(), parts.port

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, self._with_port(str(url)), *args, **kwargs)

    def _with_port(self, url: str) -> str:
        parts = urlsplit(url)
        if self._port and parts.scheme == "https" and parts.port is None and (parts.hostname or "").lower() == self._host:
            return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{self._port}"))
        return url


def https_trust(ca_bundle: Path | None) -> ssl.SSLContext | bool:
    """``verify=`` for an httpx client with ``trust_env=False``: ``HUNTER_CA_BUNDLE`` alone when
    set (no environment variable can override it), else the system's trust."""
    if ca_bundle is None:
        return True
    if not ca_bundle.is_file():
        raise ConfigError("HUNTER_CA_BUNDLE", f"{ca_bundle} is not a file")
    return ssl.create_default_context(cafile=str(ca_bundle))


def instance_discovery(authority: str) -> bool:
    """On for Microsoft's login hosts, off for any other host (derived, not a setting)."""
    return (urlsplit(authority).hostname or "").lower() in MICROSOFT_LOGIN_HOSTS


@dataclass(frozen=True, slots=True)
class SignIn:
    """Everything one sign-in needs; secrets are plain strings here and never printed."""

    system: str                         # "partner_center", "dataverse": names errors and logs
    mode: Mode
    authority: str
    client_id: str
    scope: str
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    ca_bundle: Path | None = None
    timeout: float = 30.0
    cache: TokenCacheFile | None = None     # persisted cache (user flows); None: in memory
    login_command: str = "hunter partner-center login"

    def __repr__(self) -> str:             # dataclass repr would show the secrets
        return f"SignIn(system={self.system!r}, mode={self.mode!r}, authority={self.authority!r})"


class EntraSignIn:
    """Tokens for one resource (``scope``), thread-safe.  Raises only ``IntegrationError`` kinds."""

    def __init__(self, config: SignIn) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._app: msal.ClientApplication | None = None
        self._http = MsalHttp(authority=config.authority, ca_bundle=config.ca_bundle, timeout=config.timeout)

    # --- the calls ------------------------------------------------------------------------------

    def token(self, *, force_refresh: bool = False) -> str:
        """An access token, from the cache when MSAL still trusts it."""
        with self._lock:
            app = self._application()
            try:
                result = self._acquire(app, force_refresh=force_refresh)
            except (requests.RequestException, MsalError) as exc:
                raise self._unavailable(exc) from None
            finally:
                self._save()
        return self._access_token(result)

    def login(self, echo: Callable[[str], None]) -> str:
        """The device-code sign-in: prints Entra's instructions, waits, keeps the cache; returns
        the signed-in account's name."""
        if self.config.mode != "device_code":
            raise ConfigError("HUNTER_PC_AUTH_MODE", f"is {self.config.mode}; `login` is for device_code")
        with self._lock:
            app = self._application()
            try:
                flow = app.initiate_device_flow(scopes=[self.config.scope])      # type: ignore[attr-defined]
                if "user_code" not in flow:
                    raise self._failure(flow)
                echo(flow["message"])
                result = app.acquire_token_by_device_flow(flow)                  # type: ignore[attr-defined]
            except (requests.RequestException, MsalError) as exc:
                raise self._unavailable(exc) from None
            finally:
                self._save()
        self._access_token(result)
        claims = result.get("id_token_claims") or {}
        return str(claims.get("preferred_username") or claims.get("upn") or claims.get("oid") or "?")

    def account(self) -> str | None:
        """The signed-in account in the cache (device code and ROPC), without a request."""
        cache = self.config.cache.load() if self.config.cache else None
        if cache is None:
            return None
        accounts = cache.find(msal.TokenCache.CredentialType.ACCOUNT)
        return accounts[0].get("username") if accounts else None

    def close(self) -> None:
        self._http.close()

    # --- MSAL -------------------------------------------------------------------------------------

    def _application(self) -> msal.ClientApplication:
        if self._app is not None:
            return self._app
        c = self.config
        cache = c.cache.load() if c.cache else msal.SerializableTokenCache()
        common = dict(authority=c.authority, http_client=self._http, token_cache=cache,
                      instance_discovery=instance_discovery(c.authority))
        try:
            if c.client_secret and c.mode != "device_code":
                self._app = msal.ConfidentialClientApplication(c.client_id, client_credential=c.client_secret, **common)
            else:
                self._app = msal.PublicClientApplication(c.client_id, **common)
        except (requests.RequestException, MsalError) as exc:
            raise self._unavailable(exc) from None
        except ValueError as exc:
            raise IntegrationUnavailable(c.system, f"the authority {c.authority} did not answer as Entra ID: "
                                                   f"{str(exc).splitlines()[0][:300]}") from None
        return self._app

    def _acquire(self, app: msal.ClientApplication, *, force_refresh: bool) -> dict[str, Any]:
        c, scopes = self.config, [self.config.scope]
        if c.mode == "client_credentials":
            if force_refresh:
                _drop_access_tokens(app.token_cache)
            return app.acquire_token_for_client(scopes=scopes)                    # type: ignore[attr-defined]
        accounts = app.get_accounts(username=c.username) if c.username else app.get_accounts()
        if accounts:
            result = app.acquire_token_silent_with_error(scopes, account=accounts[0], force_refresh=force_refresh)
            if result and "access_token" in result:
                return result
            if c.mode == "device_code":
                raise self._failure(result or {}, expired=True)
        if c.mode == "device_code":
            raise AuthFailed(c.system, f"not signed in: run `{c.login_command}` once (device code)")
        return app.acquire_token_by_username_password(c.username or "", c.password or "", scopes=scopes)

    def _access_token(self, result: dict[str, Any]) -> str:
        if "access_token" not in result:
            raise self._failure(result)
        return str(result["access_token"])

    def _failure(self, result: dict[str, Any], *, expired: bool = False) -> AuthFailed:
        c = self.config
        codes = set(result.get("error_codes") or ())
        described = _described(result)
        log.warning("%s sign-in refused: %s", c.system, described,
                    extra={"event": "signin_failed", "system": c.system, "trace_id": result.get("trace_id"),
                           "correlation_id": result.get("correlation_id")})
        if codes & MFA_CODES:
            return AuthFailed(c.system, f"the account needs multi-factor authentication, which the password "
                                        f"sign-in (ropc) cannot do: set HUNTER_PC_AUTH_MODE=device_code and run "
                                        f"`{c.login_command}` once ({described})")
        if expired:
            return AuthFailed(c.system, f"the stored sign-in is no longer valid ({described}): run `{c.login_command}` again")
        if result.get("error") == "invalid_client" or codes & {700016, 7000215, 7000218}:
            return AuthFailed(c.system, f"the client id or secret was refused ({described})")
        return AuthFailed(c.system, f"sign-in refused ({described})")

    def _unavailable(self, exc: BaseException) -> IntegrationUnavailable:
        """The sign-in endpoint unreachable or answering an HTTP error outside OAuth's error shape
        (MSAL raises for those, e.g. a 429 on user-realm discovery)."""
        log.warning("%s sign-in endpoint failed: %s", self.config.system, _brief(exc),
                    extra={"event": "signin_unavailable", "system": self.config.system})
        return IntegrationUnavailable(self.config.system, f"sign-in endpoint at {self.config.authority} "
                                                          f"failed: {_brief(exc)}")

    def _save(self) -> None:
        if self.config.cache is not None:
            self.config.cache.save()


def _drop_access_tokens(cache: msal.TokenCache) -> None:
    for item in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):   # search is a live generator
        cache.remove_at(item)


def _described(result: dict[str, Any]) -> str:
    """``error: AADSTS…: first sentence`` — Entra's own words, without its trace lines."""
    text = str(result.get("error_description") or "").split("\r\n")[0].split("\n")[0].strip()
    error = str(result.get("error") or "error")
    return f"{error}: {text[:300]}" if text else error


def _brief(exc: BaseException) -> str:
    """One short line: what went wrong, not urllib3's retry story."""
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS: the server's certificate is not trusted (is HUNTER_CA_BUNDLE right?)"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "cannot connect"
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}".rstrip(": ")


__all__ = ["EntraSignIn", "MICROSOFT_LOGIN_HOSTS", "MsalHttp", "SignIn", "https_trust", "instance_discovery"]
