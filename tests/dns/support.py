"""Helpers shared by the DNS tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from hunter.dns.cache import DnsCache
from hunter.dns.facts import Answer, Query, answer_from_dict
from hunter.dns.lookup import Recording, Resolver
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


class TableResolver:
    """A resolver answering from a table (``facts.answer_from_dict``) after ``delay`` seconds,
    noting every query it is asked, when (seconds from the first) and in which round trip (one
    more than the latest round whose answer had arrived when it was asked)."""

    def __init__(self, table: dict, delay: float = 0.0) -> None:
        self.answer_for, self.delay = answer_from_dict(table), delay
        self.sent: list[tuple[float, str, str]] = []
        self.depth: dict[tuple[str, str], int] = {}
        self._start: float | None = None
        self._done = 0

    def recording(self, *, bypass_cache: bool = False) -> Recording:
        return Recording(self, bypass_cache=bypass_cache)  # type: ignore[arg-type]

    async def query(self, name: str, rdtype: str, *, bypass_cache: bool = False) -> Answer:
        now = asyncio.get_running_loop().time()
        self._start = now if self._start is None else self._start
        self.sent.append((now - self._start, name, rdtype))
        depth = self.depth[(name, rdtype)] = self._done + 1
        if self.delay:
            await asyncio.sleep(self.delay)
        self._done = max(self._done, depth)
        return self.answer_for(Query(name, rdtype))

    def asked(self, under: str | None = None) -> set[tuple[str, str]]:
        """(name, rdtype) asked, only names at or under ``under`` when given."""
        return {(n, r) for _, n, r in self.sent
                if under is None or n == under or n.endswith("." + under)}

    def when(self, name: str, rdtype: str) -> float:
        """Seconds from the first query to this one's leaving."""
        return next(t for t, n, r in self.sent if (n, r) == (name, rdtype))

    def rounds(self) -> int:
        """Round trips one after another (with a ``delay``: queries answered at once do not wait)."""
        return max(self.depth.values(), default=0)

    async def aclose(self) -> None:
        pass


class Clock:
    """A clock that moves only when a test says so (``clock.now += 1``)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
