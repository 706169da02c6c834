"""Fault injection for the sandbox DNS server: which queries misbehave, and how.

A ``FaultPlan`` maps keys to ``Fault`` values and is mutable while the server runs.
Keys are matched most specific first:

* ``("name", "A")``   one name and type        ``"name"``    one name, every type
* ``(".domain", "A")`` the domain and every name under it, one type
* ``".domain"``        the domain and every name under it, every type (longest suffix wins)

Names are lower-case without the trailing dot.  ``Fault(kind, delay=1.5, times=None)``:
``drop`` never answers, ``servfail`` / ``refused`` answer with that RCODE, ``truncate``
answers TC=1 with an empty answer over UDP (full over TCP), ``delay`` answers after
``delay`` seconds.  ``times=N`` faults only the first N matching queries.

Flaky network (UDP only, as lost datagrams are a UDP thing): ``drop_every=N`` drops every
Nth UDP query, ``drop_rate=p`` drops each with probability p from a ``seed``-ed generator.
Everything is deterministic for a given sequence of queries.

A rate-limited resolver (``rate_limit=RateLimit(qps, burst=…, action="refused"|"drop")``), as
public resolvers limit a client: a token bucket over every query (UDP and TCP); above it a query
is answered REFUSED or never answered.  ``RateLimit.answered`` counts the queries it let through
per second of the clock (for checking that a client stayed under the limit).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal, get_args

FaultKind = Literal["drop", "servfail", "refused", "truncate", "delay"]
FaultKey = str | tuple[str, str]
Transport = Literal["udp", "tcp"]

_KINDS = frozenset(get_args(FaultKind))


@dataclass(frozen=True, slots=True)
class Fault:
    """One misbehaviour; ``times=None`` means every matching query."""

    kind: FaultKind
    delay: float = 1.5
    times: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {sorted(_KINDS)}")
        if self.delay < 0:
            raise ValueError(f"fault delay must be >= 0, got {self.delay}")
        if self.times is not None and self.times < 0:
            raise ValueError(f"fault times must be >= 0, got {self.times}")


_FLAKY_DROP = Fault("drop")


class RateLimit:
    """A token bucket of ``qps`` tokens a second holding at most ``burst`` (default a tenth of a
    second's worth, at least 1); a query without a token gets ``Fault(action)``."""

    def __init__(self, qps: float, *, burst: float | None = None, action: Literal["refused", "drop"] = "refused",
                 clock: Callable[[], float] = time.monotonic) -> None:
        if qps <= 0:
            raise ValueError(f"rate limit must be positive, got {qps}")
        if action not in ("refused", "drop"):
            raise ValueError(f"rate limit action must be 'refused' or 'drop', got {action!r}")
        self.qps, self.action, self.clock = qps, action, clock
        self.burst = max(1.0, qps / 10 if burst is None else burst)
        self.fault = Fault(action)
        self.limited = 0
        self.answered: Counter[int] = Counter()     # whole seconds of ``clock`` -> queries let through
        self._tokens, self._at = self.burst, clock()

    def take(self) -> bool:
        """Whether the query now arriving may be answered (spends a token if so)."""
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.qps)
        self._at = now
        if self._tokens < 1:
            self.limited += 1
            return False
        self._tokens -= 1
        self.answered[math.floor(now)] += 1
        return True

    def busiest_second(self) -> int:
        """The most queries let through within one whole second of the clock."""
        return max(self.answered.values(), default=0)


def normalise_key(key: FaultKey) -> FaultKey:
    """Lower-case the name, drop the trailing dot, upper-case the type."""
    if isinstance(key, tuple):
        name, rdtype = key
        return (_normalise_name(name), rdtype.upper())
    return _normalise_name(key)


def _normalise_name(name: str) -> str:
    return name.lower().rstrip(".") or "."


def _is_suffix(key: FaultKey) -> bool:
    name = key[0] if isinstance(key, tuple) else key
    return name.startswith(".") and name != "."


class FaultPlan:
    """Mutable table of faults plus flaky-network settings; see the module docstring."""

    def __init__(
        self,
        rules: Mapping[FaultKey, Fault] | None = None,
        *,
        drop_every: int = 0,
        drop_rate: float = 0.0,
        seed: int = 0,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self._rules: dict[FaultKey, Fault] = {}
        self._has_suffix = False
        self.hits: Counter[FaultKey] = Counter()
        self.drop_every = drop_every
        self.drop_rate = drop_rate
        self.seed = seed
        self._random = random.Random(seed)
        self._udp_seen = 0
        self.rate_limit = rate_limit
        for key, fault in (rules or {}).items():
            self.set(key, fault)

    @classmethod
    def fixture_defaults(cls) -> FaultPlan:
        """The behaviours documented by the fixture zone ``faults.test``."""
        return cls({
            "timeout.faults.test": Fault("drop"),
            "servfail.faults.test": Fault("servfail"),
            "refused.faults.test": Fault("refused"),
            "truncated.faults.test": Fault("truncate"),
            "slow.faults.test": Fault("delay", delay=1.5),
        })

    def set(self, key: FaultKey, fault: Fault) -> None:
        """Add or replace the fault for ``key`` and restart its ``times`` count."""
        key = normalise_key(key)
        self._rules[key] = fault
        self.hits.pop(key, None)
        self._has_suffix = self._has_suffix or _is_suffix(key)

    def remove(self, key: FaultKey) -> None:
        """Forget the fault for ``key`` (no error if absent)."""
        key = normalise_key(key)
        self._rules.pop(key, None)
        self.hits.pop(key, None)
        self._has_suffix = any(_is_suffix(k) for k in self._rules)

    def clear(self) -> None:
        """Back to a healthy network: no rules, no flaky drops, no rate limit, counters reset."""
        self.rate_limit = None
        self._rules.clear()
        self.hits.clear()
        self._has_suffix = False
        self.drop_every = 0
        self.drop_rate = 0.0
        self._random = random.Random(self.seed)
        self._udp_seen = 0

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, key: FaultKey) -> bool:
        return normalise_key(key) in self._rules

    def match(self, name: str, rdtype: str, transport: Transport) -> Fault | None:
        """The fault to apply to this query, counting it against ``times``; ``None`` if healthy."""
        if self.rate_limit is not None and not self.rate_limit.take():
            return self.rate_limit.fault
        if transport == "udp" and self._flaky_drop():
            return _FLAKY_DROP
        if not self._rules:
            return None
        key = self._find(name, rdtype)
        if key is None:
            return None
        fault = self._rules[key]
        if fault.kind == "truncate" and transport == "tcp":
            return None  # truncation only exists over UDP; a TCP retry does not use up ``times``
        if fault.times is not None and self.hits[key] >= fault.times:
            return None
        self.hits[key] += 1
        return fault

    def _flaky_drop(self) -> bool:
        if not (self.drop_every or self.drop_rate):
            return False
        self._udp_seen += 1
        if self.drop_every and self._udp_seen % self.drop_every == 0:
            return True
        return bool(self.drop_rate) and self._random.random() < self.drop_rate

    def _find(self, name: str, rdtype: str) -> FaultKey | None:
        rules = self._rules
        for key in ((name, rdtype), name):
            if key in rules:
                return key
        if not self._has_suffix:
            return None
        labels = name.split(".")
        for i in range(len(labels)):
            suffix = "." + ".".join(labels[i:])
            for key in ((suffix, rdtype), suffix):
                if key in rules:
                    return key
        return None
