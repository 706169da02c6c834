"""One Partner Center stand-in per module (HTTPS, throw-away CA) and Hunter's real adapter on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from hunter.integrations.partner_center.adapter import PartnerCenterSource
from hunter.integrations.http_retry import Backoff
from hunter.sandbox.partner_center import PartnerCenterSandbox
from hunter.settings import Settings


@pytest.fixture(scope="module")
def pc(tmp_path_factory) -> Iterator[PartnerCenterSandbox]:
    with PartnerCenterSandbox(tmp_path_factory.mktemp("pc-ca"), referrals=250, device_interval=1) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _clean(pc: PartnerCenterSandbox) -> Iterator[None]:
    pc.faults.clear()
    pc.clear_requests()
    yield
    pc.faults.clear()
    pc.entra.auto_approve = None


def pc_settings(pc: PartnerCenterSandbox, data_dir: Path, *, username: str = "referrals@partner.test",
                **extra: object) -> Settings:
    env = pc.settings_env(username=username)
    values: dict[str, object] = {
        "partner_center_sync_enabled": True, "aad_authority": env["HUNTER_AAD_AUTHORITY"],
        "ca_bundle": Path(env["HUNTER_CA_BUNDLE"]), "pc_base_url": env["HUNTER_PC_BASE_URL"],
        "pc_scope": env["HUNTER_PC_SCOPE"], "pc_client_id": env["HUNTER_PC_CLIENT_ID"],
        "pc_username": env["HUNTER_PC_USERNAME"], "pc_password": SecretStr(env["HUNTER_PC_PASSWORD"]),
        "pc_auth_mode": "ropc", "data_dir": data_dir, "pc_timeout": 5.0, "pc_max_attempts": 4,
    }
    return Settings(**{**values, **extra})


class Sleeps(list):
    """Records the waits the client asks for instead of sleeping (Retry-After, backoff)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def source(settings: Settings, sleeps: Sleeps | None = None) -> PartnerCenterSource:
    return PartnerCenterSource.from_settings(settings, backoff=Backoff(base=0.5, cap=4.0),
                                             sleep=sleeps if sleeps is not None else Sleeps())


def api_calls(pc: PartnerCenterSandbox) -> list[dict]:
    return [r for r in pc.requests if r["path"].startswith("/v1.0/engagements/referrals")]
