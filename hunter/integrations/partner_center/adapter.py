"""``PartnerCenterSource``: the ``ReferralSource`` that reads Partner Center.

Built by ``wiring.referral_source`` from the settings; opens nothing until the first call (no
request is sent by building it).  ``fetch(since=…)`` reads every page of a full read or a delta
and returns the records; a referral that cannot be read is reported in ``errors`` and skipped,
never silently dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

import httpx

from ...errors import ConfigError, IntegrationError
from ..base import Health, ReferralBatch, ReferralRecord
from ..entra import EntraSignIn, SignIn, https_trust
from ..tokencache import TokenCacheFile
from . import mapping
from ..http_retry import Backoff
from .client import SYSTEM, ReferralsClient

if TYPE_CHECKING:
    from ...settings import Settings


class PartnerCenterSource:
    name = SYSTEM

    def __init__(self, *, sign_in: EntraSignIn, client: ReferralsClient, http: httpx.Client) -> None:
        self.sign_in, self.client, self._http = sign_in, client, http

    @classmethod
    def from_settings(cls, settings: Settings, *, backoff: Backoff = Backoff(),
                      sleep: Callable[[float], None] | None = None) -> Self:
        """Raises ConfigError naming the setting that is missing; sends no request."""
        sign_in = EntraSignIn(sign_in_config(settings))
        http = httpx.Client(verify=https_trust(settings.ca_bundle), trust_env=False, timeout=settings.pc_timeout,
                            headers={"User-Agent": "hunter-partner-center-sync"})
        extra = {"sleep": sleep} if sleep is not None else {}
        client = ReferralsClient(base_url=settings.pc_base_url, tokens=sign_in, http=http,
                                 max_attempts=settings.pc_max_attempts, backoff=backoff, **extra)
        return cls(sign_in=sign_in, client=client, http=http)

    def fetch(self, *, since: str | None) -> ReferralBatch:
        records: list[ReferralRecord] = []
        request_ids: list[str] = []
        problems: list[str] = []
        pages = 0
        for page in self.client.pages(since=since):
            pages += 1
            if page.request_id:
                request_ids.append(page.request_id)
            for item in page.items:
                try:
                    records.append(mapping.record(item))
                except ValueError as exc:
                    problems.append(f"referral {_id_of(item)} on page {pages}: {exc}")
        return ReferralBatch(records=tuple(records), pages=pages, request_ids=tuple(request_ids),
                             errors=tuple(problems))

    def login(self, echo: Callable[[str], None]) -> str:
        return self.sign_in.login(echo)

    def check(self) -> Health:
        """Signs in (from the cache when it can) and reads one referral."""
        try:
            self.sign_in.token()
            page = next(self.client.pages(since=None), None)
        except IntegrationError as exc:
            return Health(name=self.name, ok=False, detail=str(exc))
        found = len(page.items) if page else 0
        return Health(name=self.name, ok=True, detail=f"signed in; first page holds {found} referrals")

    def close(self) -> None:
        self._http.close()
        self.sign_in.close()


def sign_in_config(settings: Settings) -> SignIn:
    """The Partner Center sign-in from the settings; ConfigError names what is missing."""
    if not settings.pc_client_id:
        raise ConfigError("HUNTER_PC_CLIENT_ID", "is required (the Entra ID app registration's client id)")
    secret = settings.pc_client_secret.get_secret_value() if settings.pc_client_secret else None
    if settings.pc_auth_mode == "ropc":
        if not settings.pc_username or settings.pc_password is None:
            missing = "HUNTER_PC_USERNAME" if not settings.pc_username else "HUNTER_PC_PASSWORD"
            raise ConfigError(missing, "is required with HUNTER_PC_AUTH_MODE=ropc")
    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    cache = TokenCacheFile(settings.token_cache_path(), secret_key=key, system=SYSTEM,
                           login_hint="hunter partner-center login")
    return SignIn(system=SYSTEM, mode=settings.pc_auth_mode, authority=settings.aad_authority,
                  client_id=settings.pc_client_id, scope=settings.pc_scope, client_secret=secret,
                  username=settings.pc_username,
                  password=settings.pc_password.get_secret_value() if settings.pc_password else None,
                  ca_bundle=settings.ca_bundle, timeout=settings.pc_timeout, cache=cache,
                  login_command="hunter partner-center login")


def _id_of(item: Any) -> str:
    return str(item.get("id")) if isinstance(item, dict) and item.get("id") else "(no id)"
