"""``PartnerCenterSandbox``: Entra ID and the Partner Center Referrals API on one local HTTPS port.

One ``HttpsServer`` on 127.0.0.1 (certificate from a throw-away CA kept in ``directory``)
serves the Entra stand-in (``entra``), the Referrals API stand-in (``referrals``) and the
sandbox's own control endpoints, which need no token because the sandbox listens on loopback
only:

- ``POST /_sandbox/referrals/touch`` ``{"count": 5}`` or ``{"ids": [...]}``, ``POST
  /_sandbox/referrals/add`` ``{"count": 3}``;
- ``POST /_sandbox/faults`` ``{"kind": "429", "path": "referrals", "count": 2, "retry_after": 1}``
  (kinds and fields in ``http_faults``), ``GET`` lists them, ``DELETE`` clears them;
- ``POST /_sandbox/tokens/revoke``, ``POST /_sandbox/tokens/expire``;
- ``POST /_sandbox/devicecodes/approve`` ``{"user_code": "…", "username": "…"}``;
- ``GET``/``DELETE /_sandbox/requests`` (the request log), ``GET /_sandbox/state`` (counts).

MSAL asks for user-realm discovery at the authority host without its port
(``https://127.0.0.1/common/userrealm/…``); a client of the sandbox maps that host back to the
sandbox port in its own HTTP session.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hunter.sandbox import https_sandbox
from hunter.sandbox.entra import EntraSandbox
from hunter.sandbox.entra_directory import PARTNER_CENTER_RESOURCE, PUBLIC_CLIENT_ID, TENANT_ID
from hunter.sandbox.https import Request, Response
from hunter.sandbox.https_sandbox import HttpsSandbox
from hunter.sandbox.referral_store import ReferralStore
from hunter.sandbox.referrals import BASE_PATH, ReferralsApi

__all__ = ["PartnerCenterSandbox", "running", "serve_forever"]

DEFAULT_USERNAME = "referrals@partner.test"
SCOPE = f"{PARTNER_CENTER_RESOURCE}/.default"


class PartnerCenterSandbox(HttpsSandbox):
    """Entra ID + Referrals API + control endpoints; ``start()``/``stop()`` or ``with``."""

    label = "Partner Center"
    fault_path = "referrals"

    def __init__(self, directory: Path | str, *, host: str = "127.0.0.1", port: int = 0, referrals: int = 60,
                 seed: int = 2026, auto_approve: str | None = None, token_lifetime: int = 3600,
                 device_interval: int = 5, anchor: dt.datetime | None = None) -> None:
        entra = EntraSandbox(token_lifetime=token_lifetime, auto_approve=auto_approve, device_interval=device_interval)
        super().__init__(directory, host=host, port=port, name="sandbox-partner-center", entra=entra)
        self.store = ReferralStore.generated(referrals, seed=seed, anchor=anchor or dt.datetime.now(dt.timezone.utc))
        self.referrals = ReferralsApi(self.entra, self.store)
        self.referrals.mount(self.server)
        self.mount_control([
            ("POST", "referrals/touch", lambda body: {"touched": self.touch(body.get("ids"), count=_count(body, None))}),
            ("POST", "referrals/add", lambda body: {"added": self.add(_count(body, 1))}),
            ("POST", "devicecodes/approve",
             lambda body: self.approve(str(body.get("user_code", "")), str(body.get("username", DEFAULT_USERNAME)))),
        ])

    # --- addresses ---------------------------------------------------------------------------

    @property
    def authority(self) -> str:
        """``<url>/organizations``, the multi-tenant authority Hunter uses by default."""
        return f"{self.url}/organizations"

    @property
    def tenant_authority(self) -> str:
        """``<url>/<tenant id>``, the single-tenant form."""
        return f"{self.url}/{TENANT_ID}"

    @property
    def base_url(self) -> str:
        return f"{self.url}{BASE_PATH}"

    @property
    def scope(self) -> str:
        return SCOPE

    def settings_env(self, *, username: str = DEFAULT_USERNAME) -> dict[str, str]:
        """The ``HUNTER_*`` variables a Hunter client needs (the password is the sandbox's throw-away one)."""
        user = self.entra.find_user(username)
        if user is None:
            raise KeyError(f"no user {username!r} in the sandbox tenant")
        return {"HUNTER_AAD_AUTHORITY": self.authority, "HUNTER_CA_BUNDLE": str(self.ca_file),
                "HUNTER_PC_BASE_URL": self.base_url, "HUNTER_PC_SCOPE": self.scope,
                "HUNTER_PC_CLIENT_ID": PUBLIC_CLIENT_ID, "HUNTER_PC_USERNAME": user.username,
                "HUNTER_PC_PASSWORD": user.password, "HUNTER_PC_AUTH_MODE": "ropc",
                "HUNTER_PARTNER_CENTER_SYNC_ENABLED": "true"}

    # --- control from Python ---------------------------------------------------------------

    def touch(self, ids: list[str] | None = None, *, count: int | None = None) -> list[str]:
        return self.store.touch(ids, count=count)

    def add(self, count: int) -> list[str]:
        return self.store.add(count)

    def approve(self, user_code: str, username: str = DEFAULT_USERNAME) -> None:
        self.entra.approve(user_code, username)

    def state(self) -> dict[str, Any]:
        return {**self.store.counts(), **super().state()}

    def api_fault(self, request: Request, status: int) -> Response:
        return self.referrals.error_response(request, status)


def _count(body: dict[str, Any], default: int | None) -> int | None:
    value = body.get("count", default)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"count must be a positive integer, got {value!r}")
    return value


@contextlib.contextmanager
def running(directory: Path | str, **kw: Any) -> Iterator[PartnerCenterSandbox]:
    """A started ``PartnerCenterSandbox(directory, **kw)``, stopped on exit."""
    with PartnerCenterSandbox(directory, **kw) as sandbox:
        yield sandbox


def serve_forever(directory: Path | str, *, announce: Callable[[str], object] = https_sandbox.say, **kw: Any) -> None:
    """Serve until Ctrl-C, after printing the ``export`` lines and the control endpoints."""
    https_sandbox.serve_forever(PartnerCenterSandbox(directory, **kw), describe, announce=announce)


def describe(sandbox: PartnerCenterSandbox) -> list[str]:
    """What a user of the demo needs: the settings as ``export`` lines, then the control endpoints."""
    lines = [f"# Partner Center sandbox on {sandbox.url} ({len(sandbox.store)} referrals); trust {sandbox.ca_file}"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in sandbox.settings_env().items()]
    curl, control = f"curl --cacert {shlex.quote(str(sandbox.ca_file))}", f"{sandbox.url}/_sandbox"
    lines += ["# control (no token needed):",
              f"#   {curl} -X POST {control}/referrals/touch -d '{{\"count\": 5}}'",
              f"#   {curl} -X POST {control}/referrals/add -d '{{\"count\": 3}}'",
              f"#   {curl} -X POST {control}/faults -d '{{\"kind\": \"429\", \"retry_after\": 2}}'",
              f"#   {curl} -X POST {control}/tokens/revoke   (or tokens/expire)",
              f"#   {curl} {control}/state   ({control}/requests for the request log)",
              f"# device code sign-in page: {sandbox.url}/devicelogin; Ctrl-C stops the sandbox"]
    return lines
