"""One Dataverse stand-in per module (HTTPS, throw-away CA, Entra ID) and Hunter's real adapter on it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from hunter.integrations.dataverse import mapping
from hunter.integrations.dataverse.adapter import DataverseSink
from hunter.integrations.http_retry import Backoff
from hunter.sandbox.dataverse import DataverseSandbox
from hunter.sandbox.dataverse_limits import Limits
from hunter.settings import Settings


@pytest.fixture(scope="module")
def dataverse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataverseSandbox]:
    with DataverseSandbox(tmp_path_factory.mktemp("dv-ca")) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _clean(dataverse: DataverseSandbox) -> Iterator[None]:
    """Every test starts with an empty table, no faults, the default schema and the B.8 limits."""
    schema = dataverse.store.schema
    dataverse.clear_leads()
    dataverse.clear_requests()
    yield
    dataverse.faults.clear()
    dataverse.latency = 0.0
    dataverse.protection.configure(**asdict(Limits()))
    dataverse.protection.reset()
    with dataverse.store.locked():
        dataverse.store.schema = schema


def dv_settings(dataverse: DataverseSandbox, **extra: object) -> Settings:
    env = dataverse.settings_env()
    values: dict[str, object] = {
        "d365_enabled": True, "d365_url": env["HUNTER_D365_URL"], "d365_client_id": env["HUNTER_D365_CLIENT_ID"],
        "d365_client_secret": SecretStr(env["HUNTER_D365_CLIENT_SECRET"]), "aad_authority": env["HUNTER_AAD_AUTHORITY"],
        "ca_bundle": Path(env["HUNTER_CA_BUNDLE"]), "d365_timeout": 5.0, "d365_max_attempts": 4,
    }
    return Settings(**{**values, **extra})


class Sleeps(list):
    """Records the waits the client asks for (Retry-After, backoff); sleeps for real at most ``real`` seconds."""

    def __init__(self, real: float = 0.0) -> None:
        super().__init__()
        self.real = real

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        if self.real:
            time.sleep(min(seconds, self.real))


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def open_sink(settings: Settings, sleeps: Sleeps) -> DataverseSink:
    return DataverseSink.from_settings(settings, backoff=Backoff(base=0.01, cap=0.05), sleep=sleeps)


@pytest.fixture
def sink(dataverse: DataverseSandbox, sleeps: Sleeps) -> Iterator[DataverseSink]:
    opened = open_sink(dv_settings(dataverse), sleeps)
    yield opened
    opened.close()


def fields(domain: str, **values: Any) -> dict[str, Any]:
    """The source fields of one lead, as the flow fills them."""
    return {"domain": domain, "company": f"{domain.split('.')[0].title()} A.Ş.", "website": f"https://{domain}",
            "score": 70, "segment": "competitive", "priority": "P2", "provider": "Google Workspace",
            "summary": f"{domain}: Google Workspace, DMARC p=none.",
            "hunter_url": f"http://127.0.0.1:8000/leads/{domain}",
            **values}


def records(sink: DataverseSink, domains: list[str], **values: Any) -> list:
    return [mapping.record(fields(domain, **values), sink.mapping) for domain in domains]
