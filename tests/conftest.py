"""Fixtures shared by the pipeline, flow and CLI tests.

``world`` is one sandbox DNS server on 127.0.0.1 (its own thread) serving the shared fixture
zones, the bundled demo zones and the bundled ``_world.zone`` (provider SPF records), with the
fixture faults of ``faults.test``.  Tests name it explicitly as their only resolver.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hunter.sandbox.dns import FaultPlan, SandboxDns, load_zone_dir, running
from hunter.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DEMO_ZONES = REPO / "hunter" / "sandbox" / "zones"


def shared_dir() -> Path:
    env = os.environ.get("HUNTER_SHARED_DIR")
    return Path(env) if env else REPO.parent / "shared"


@pytest.fixture(scope="session")
def world() -> Iterator[SandboxDns]:
    zones = load_zone_dir(shared_dir() / "data" / "dns" / "zones") + load_zone_dir(DEMO_ZONES)
    with running(zones, faults=FaultPlan.fixture_defaults(),
                 broken_zones=("broken.test", "vanmermer.com.tr")) as server:
        yield server


@pytest.fixture
def world_settings(world: SandboxDns) -> Settings:
    """Settings naming only the sandbox, with short timeouts so failure paths stay fast."""
    return Settings(dns_nameservers=(world.address,), dns_timeout=0.3, dns_domain_time_limit=10)
