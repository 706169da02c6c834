"""Helpers shared by the DNS tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

from hunter.dns.cache import DnsCache
from hunter.dns.lookup import Resolver
from hunter.dns.options import DnsOptions
from hunter.sandbox.dns import SandboxDns

# Small timeouts keep every failure path well under a second.
FAST: dict[str, float] = {"timeout": 0.2, "backoff": 0.005}


def shared_dir() -> Path:
    env = os.environ.get("HUNTER_SHARED_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared"


def options(*primaries: SandboxDns, fallbacks: tuple[SandboxDns, ...] = (),
            **overrides: object) -> DnsOptions:
    """Explicit options naming only the given sandboxes, never any other resolver."""
    settings: dict[str, object] = {**FAST, **overrides}
    return DnsOptions.from_addresses([s.address for s in primaries],
                                     [s.address for s in fallbacks], **settings)


def cached(opts: DnsOptions) -> Resolver:
    """A ``Resolver`` with an in-memory cache built from ``opts``."""
    return Resolver(opts, cache=DnsCache.from_options(opts))
