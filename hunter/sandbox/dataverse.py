"""``DataverseSandbox``: Entra ID and a Dataverse environment's Web API on one local HTTPS port.

One ``HttpsServer`` on 127.0.0.1 (``https_sandbox``: certificate from a throw-away CA kept in
``directory``, fault plan, request log) serves the Entra stand-in (``entra``; the environment
URL is registered as a resource, so a confidential client gets a token with scope
``<url>/.default``), the Web API stand-in (``api``, at ``<url>/api/data/v9.2/``) and control
endpoints that need no token because the sandbox listens on loopback only: the common ones
(``/_sandbox/faults`` — the default ``path`` is ``dataverse``, the Web API's alias —,
``tokens/revoke``, ``tokens/expire``, ``requests``, ``state``: counts, limits and how often each
refused, creations per domain) and ``GET``/``DELETE /_sandbox/leads`` (every record; empty the
table).

The environment URL is the server's own (``https://127.0.0.1:<port>``), so the port is known
only once the server listens; ``start()`` registers it with Entra.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from hunter.sandbox import https_sandbox
from hunter.sandbox.dataverse_api import DEFAULT_APPLICATION_USERS, ApplicationUser, DataverseApi
from hunter.sandbox.dataverse_limits import Limits, ServiceProtection
from hunter.sandbox.dataverse_schema import LeadSchema, lead_schema
from hunter.sandbox.dataverse_store import LeadStore
from hunter.sandbox.entra import EntraSandbox
from hunter.sandbox.entra_directory import CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET, TENANT_ID
from hunter.sandbox.https import Request, Response
from hunter.sandbox.https_sandbox import HttpsSandbox

__all__ = ["DataverseSandbox", "describe", "running", "serve_forever"]

API_VERSION = "v9.2"


class DataverseSandbox(HttpsSandbox):
    """Entra ID + Dataverse Web API + control endpoints; ``start()``/``stop()`` or ``with``.

    ``schema``: the lead table (``dataverse_schema.lead_schema(drop=…, change=…, key_status=…)``);
    ``application_users``: the app registrations that are application users (by default the
    sandbox's confidential client, with the System Administrator role); the service protection
    limits (B.8 defaults); ``latency``: seconds every Web API request takes, inside the limits
    (so concurrent requests overlap).
    """

    label = "Dataverse"
    fault_path = "dataverse"

    def __init__(self, directory: Path | str, *, host: str = "127.0.0.1", port: int = 0,
                 schema: LeadSchema | None = None,
                 application_users: Iterable[ApplicationUser] = DEFAULT_APPLICATION_USERS,
                 request_limit: int = 6000, window_seconds: float = 300.0, execution_limit_ms: int = 1_200_000,
                 concurrency_limit: int = 52, latency: float = 0.0, token_lifetime: int = 3600) -> None:
        super().__init__(directory, host=host, port=port, name="sandbox-dataverse",
                         entra=EntraSandbox(token_lifetime=token_lifetime))
        self.store = LeadStore(schema or lead_schema())
        limits = Limits(request_limit, window_seconds, execution_limit_ms, concurrency_limit)
        self.api = DataverseApi(self.entra, self.store, protection=ServiceProtection(limits),
                                application_users=tuple(application_users), latency=latency)
        self.api.mount(self.server)
        self.mount_control([("GET", "leads", lambda body: {"leads": self.leads()}),
                            ("DELETE", "leads", lambda body: self.clear_leads())])

    def start(self) -> DataverseSandbox:
        """Listen, then accept tokens for the environment URL (known only now: the port may be 0)."""
        super().start()
        self.entra.add_resource(self.url)
        return self

    # --- addresses: ``url`` (the environment URL, no trailing slash), ``port``, ``ca_file`` … ----

    @property
    def authority(self) -> str:
        """``<url>/<tenant id>``: client credentials need the tenant, not ``organizations``."""
        return f"{self.url}/{TENANT_ID}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/data/{API_VERSION}"

    @property
    def scope(self) -> str:
        return f"{self.url}/.default"

    @property
    def schema(self) -> LeadSchema:
        return self.store.schema

    def settings_env(self) -> dict[str, str]:
        """The ``HUNTER_*`` variables a Hunter client needs (the secret is the sandbox's throw-away one)."""
        return {"HUNTER_D365_ENABLED": "true", "HUNTER_D365_URL": self.url,
                "HUNTER_D365_CLIENT_ID": CONFIDENTIAL_CLIENT_ID, "HUNTER_D365_CLIENT_SECRET": CONFIDENTIAL_CLIENT_SECRET,
                "HUNTER_AAD_AUTHORITY": self.authority, "HUNTER_CA_BUNDLE": str(self.ca_file)}

    # --- control from Python ---------------------------------------------------------------

    def leads(self) -> list[dict[str, Any]]:
        """Every lead held, oldest first, with all columns of the schema."""
        names = self.schema.names
        return [{name: record.get(name) for name in names} for record in self.store.select()]

    def clear_leads(self) -> None:
        self.store.clear()

    def created_counts(self) -> dict[str, int]:
        """How many times each domain (``hnt_domain``, lower-cased) was created; rolled-back creations excluded."""
        with self.store.locked():
            return dict(self.store.created)

    def set_key_status(self, status: str) -> None:
        """Set the ``EntityKeyIndexStatus`` of every alternate key (``Active``, ``Pending``, ``Failed`` …)."""
        with self.store.locked():
            self.store.schema = self.store.schema.with_key_status(status)

    def add_application_user(self, client_id: str, *, roles: tuple[str, ...] = ("System Administrator",)) -> None:
        self.api.application_users[client_id] = ApplicationUser(client_id, roles)

    def remove_application_user(self, client_id: str) -> None:
        self.api.application_users.pop(client_id, None)

    @property
    def latency(self) -> float:
        return self.api.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self.api.latency = seconds

    @property
    def protection(self) -> ServiceProtection:
        return self.api.protection

    def state(self) -> dict[str, Any]:
        keys = [{"name": key.name, "attributes": list(key.attributes), "status": key.status}
                for key in self.schema.keys]
        return {"leads": len(self.store), "created": self.created_counts(), "keys": keys,
                "service_protection": self.protection.state(),
                "application_users": sorted(self.api.application_users), **super().state()}

    def api_fault(self, request: Request, status: int) -> Response:
        return self.api.fault_response(request, status)


@contextlib.contextmanager
def running(directory: Path | str, **kw: Any) -> Iterator[DataverseSandbox]:
    """A started ``DataverseSandbox(directory, **kw)``, stopped on exit."""
    with DataverseSandbox(directory, **kw) as sandbox:
        yield sandbox


def serve_forever(directory: Path | str, *, announce: Callable[[str], object] = https_sandbox.say, **kw: Any) -> None:
    """Serve until Ctrl-C, after printing the ``export`` lines and the control endpoints."""
    https_sandbox.serve_forever(DataverseSandbox(directory, **kw), describe, announce=announce)


def describe(sandbox: DataverseSandbox) -> list[str]:
    """What a user of the demo needs: the settings as ``export`` lines, then the control endpoints."""
    keys = ", ".join(f"{key.name} ({key.status})" for key in sandbox.schema.keys) or "none"
    lines = [f"# Dataverse sandbox on {sandbox.url} (Web API {sandbox.api_url}); alternate keys: {keys}; "
             f"trust {sandbox.ca_file}"]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in sandbox.settings_env().items()]
    curl, control = f"curl --cacert {shlex.quote(str(sandbox.ca_file))}", f"{sandbox.url}/_sandbox"
    lines += ["# control (no token needed):",
              f"#   {curl} {control}/leads   (-X DELETE empties the table)",
              f"#   {curl} -X POST {control}/faults -d '{{\"kind\": \"429\", \"retry_after\": 2}}'",
              f"#   {curl} -X POST {control}/tokens/revoke   (or tokens/expire)",
              f"#   {curl} {control}/state   ({control}/requests for the request log); Ctrl-C stops the sandbox"]
    return lines
