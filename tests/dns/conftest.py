"""Fixtures for the DNS layer: sandbox servers on 127.0.0.1 serving the shared fixture zones.

Every test names its resolvers explicitly (the sandbox addresses); nothing here may reach a
real resolver.  Timeouts are small so that failure paths stay well under a second.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import dns.zone
import pytest

from hunter.sandbox.dns import Fault, FaultPlan, SandboxDns, load_zone_dir
from tests.dns.support import shared_dir


@pytest.fixture(scope="session")
def zones() -> list[dns.zone.Zone]:
    return load_zone_dir(shared_dir() / "data" / "dns" / "zones")


@pytest.fixture
async def sandbox(zones: list[dns.zone.Zone]) -> AsyncIterator[SandboxDns]:
    async with SandboxDns(zones, faults=FaultPlan.fixture_defaults()) as server:
        yield server


@pytest.fixture
async def start_sandbox(zones: list[dns.zone.Zone],
                        ) -> AsyncIterator[Callable[..., Awaitable[SandboxDns]]]:
    """Start extra sandboxes (stopped after the test); ``dead=True`` drops every query."""
    started: list[SandboxDns] = []

    async def start(*, dead: bool = False) -> SandboxDns:
        faults = FaultPlan({".test": Fault("drop")}) if dead else FaultPlan()
        server = SandboxDns(zones, faults=faults)
        await server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        await server.stop()
