"""``DataverseSink``: the ``LeadSink`` that writes leads into Dynamics 365 Sales (Dataverse).

Built by ``from_settings`` (``HUNTER_D365_*``, ``HUNTER_AAD_AUTHORITY``, ``HUNTER_CA_BUNDLE``);
building it sends no request.  Sign-in is MSAL client credentials (an application user of the
environment) with the scope ``<environment URL>/.default``; the mapping is the bundled
``hunter/rules/dynamics.yaml`` or ``HUNTER_D365_MAPPING``.  ``push`` follows ``push.Pusher``;
``readiness`` compares the mapping with the table's metadata column by column, before anything
is pushed; ``check`` is ``WhoAmI`` plus readiness.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote, urlsplit

import httpx

from ...errors import ConfigError, IntegrationError
from ..base import ColumnProblem, Health, LeadRecord, PushResult
from ..entra import EntraSignIn, SignIn, https_trust
from ..http_retry import Backoff
from . import mapping as mapping_
from .client import SYSTEM, WebApi
from .mapping import LeadMapping
from .push import Pusher

if TYPE_CHECKING:
    from ...settings import Settings

#: Authorities that name no tenant: client credentials need ``…/<tenant id>``.
TENANTLESS = frozenset({"organizations", "common", "consumers"})


class DataverseSink:
    name = SYSTEM

    def __init__(self, *, url: str, mapping: LeadMapping, sign_in: EntraSignIn, api: WebApi,
                 http: httpx.Client, batch_size: int = 100, concurrency: int = 4) -> None:
        self.url, self.mapping, self.sign_in, self.api, self._http = url.rstrip("/"), mapping, sign_in, api, http
        self.language = mapping.language            # of the description (the sales summary)
        self.pusher = Pusher(api, entity_set=mapping.entity_set, key_column=mapping.key.column,
                             batch_size=batch_size, concurrency=concurrency)

    @classmethod
    def from_settings(cls, settings: Settings, *, backoff: Backoff = Backoff(),
                      sleep: Callable[[float], None] | None = None) -> Self:
        """Raises ConfigError naming the setting that is missing or wrong; sends no request."""
        url = settings.d365_url
        if not url:
            raise ConfigError("HUNTER_D365_URL", "is required (the environment, e.g. "
                                                 "https://contoso.crm4.dynamics.com)")
        if settings.d365_mapping is not None and not settings.d365_mapping.is_file():
            raise ConfigError("HUNTER_D365_MAPPING", f"{settings.d365_mapping} is not a file")
        lead_mapping = mapping_.load(settings.d365_mapping)
        sign_in = EntraSignIn(sign_in_config(settings))
        http = httpx.Client(verify=https_trust(settings.ca_bundle), trust_env=False, timeout=settings.d365_timeout,
                            limits=httpx.Limits(max_connections=settings.d365_concurrency + 4),
                            headers={"User-Agent": "hunter-dynamics"})
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        api = WebApi(base_url=f"{url}/api/data/v{settings.d365_api_version}", tokens=sign_in, http=http,
                     max_attempts=settings.d365_max_attempts, backoff=backoff, **extra)
        return cls(url=url, mapping=lead_mapping, sign_in=sign_in, api=api, http=http,
                   batch_size=settings.d365_batch_size, concurrency=settings.d365_concurrency)

    def record(self, fields: Mapping[str, Any], *, record_id: str | None = None) -> LeadRecord:
        """The source fields (``mapping.SOURCES``) as checked columns; ValueError names the column
        when the lead cannot be sent (no domain, a score that is not a number)."""
        return mapping_.record(fields, self.mapping, record_id=record_id)

    def fingerprint(self, record: LeadRecord) -> str:
        return mapping_.fingerprint(record)

    def push(self, records: Sequence[LeadRecord]) -> list[PushResult]:
        return self.pusher.push(records)

    def readiness(self) -> list[ColumnProblem]:
        """What keeps the table from taking the mapping's columns (empty: ready)."""
        entity = f"EntityDefinitions(LogicalName='{quote(self.mapping.entity, safe='')}')"
        wanted = " or ".join(f"LogicalName eq '{name}'" for name in self.mapping.columns)
        attributes = self.api.get_json(f"{entity}/Attributes", {"$filter": wanted})
        keys = self.api.get_json(f"{entity}/Keys", {"$select": "LogicalName,KeyAttributes,EntityKeyIndexStatus"})
        return mapping_.problems(self.mapping, _values(attributes), _values(keys))

    def record_url(self, record_id: str) -> str:
        return record_url(self.url, record_id, entity=self.mapping.entity)

    def check(self) -> Health:
        """Signs in, asks ``WhoAmI`` and checks the table against the mapping."""
        try:
            who = self.api.get_json("WhoAmI")
            problems = self.readiness()
        except IntegrationError as exc:
            return Health(name=self.name, ok=False, detail=str(exc))
        user = who.get("UserId") if isinstance(who, dict) else None
        if problems:
            listed = "; ".join(f"{p.column}: {p.problem} ({p.detail})" for p in problems)
            return Health(name=self.name, ok=False, detail=f"signed in as application user {user}; "
                                                           f"the {self.mapping.entity} table is not ready: {listed}")
        m = self.mapping
        return Health(name=self.name, ok=True, detail=f"signed in as application user {user}; the {m.entity} "
                                                      f"table has all {len(m.columns)} mapped columns and an "
                                                      f"Active key on {m.key.column}")

    def close(self) -> None:
        self._http.close()
        self.sign_in.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sign_in_config(settings: Settings) -> SignIn:
    """The Dataverse sign-in (client credentials) from the settings; ConfigError names what is missing."""
    if not settings.d365_client_id:
        raise ConfigError("HUNTER_D365_CLIENT_ID", "is required (the app registration of the application user)")
    if settings.d365_client_secret is None or not settings.d365_client_secret.get_secret_value():
        raise ConfigError("HUNTER_D365_CLIENT_SECRET", "is required (a client secret of that app registration)")
    scope = settings.d365_resource_scope()
    if not scope:
        raise ConfigError("HUNTER_D365_SCOPE", "cannot be derived: set HUNTER_D365_URL")
    authority, setting = settings.d365_sign_in_authority()
    tenant = urlsplit(authority).path.rstrip("/").rsplit("/", 1)[-1].lower()
    if tenant in TENANTLESS or not tenant:
        raise ConfigError(setting, f"must name the tenant for client credentials "
                                   f"(https://login.microsoftonline.com/<tenant id>), not '{tenant or '/'}'")
    return SignIn(system=SYSTEM, mode="client_credentials", authority=authority,
                  client_id=settings.d365_client_id, scope=scope,
                  client_secret=settings.d365_client_secret.get_secret_value(), ca_bundle=settings.ca_bundle,
                  timeout=settings.d365_timeout, cache=None)


def _values(body: Any) -> list[dict[str, Any]]:
    """The ``value`` list of an OData collection (non-objects dropped)."""
    items = body.get("value") if isinstance(body, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


__all__ = ["DataverseSink", "sign_in_config"]


def record_url(environment_url: str, record_id: str, *, entity: str = "lead") -> str:
    """The record's deep link in the Dynamics 365 web client."""
    return f"{environment_url.rstrip('/')}/main.aspx?pagetype=entityrecord&etn={entity}&id={quote(record_id, safe='')}"
