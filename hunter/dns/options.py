"""How the DNS layer talks to resolvers: addresses, timeouts, retry and cache bounds.

Values only, plus one reader of the system resolver configuration.  The rule from
CONTRACT.md lives in ``DnsOptions.resolver_sets``: resolvers named explicitly are the only
ones ever contacted (fallbacks come only from the explicit fallback list); with none named,
the system resolver is primary and ``PUBLIC_FALLBACKS`` are the fallback.
"""

from __future__ import annotations

import ipaddress
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["DnsOptions", "Nameserver", "PUBLIC_FALLBACKS", "system_nameservers"]


@dataclass(frozen=True, slots=True)
class Nameserver:
    """One resolver address: an IP literal and a UDP/TCP port."""

    host: str
    port: int = 53

    def __post_init__(self) -> None:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            raise ValueError(f"nameserver host must be an IP address, got {self.host!r}") from None
        if not 0 < self.port < 65536:
            raise ValueError(f"nameserver port must be 1-65535, got {self.port}")

    @classmethod
    def parse(cls, text: str) -> Nameserver:
        """``"192.0.2.1"``, ``"192.0.2.1:5300"``, ``"2001:db8::1"`` or ``"[2001:db8::1]:5300"``."""
        text = text.strip()
        if not text:
            raise ValueError("empty nameserver address")
        host, port = _split_host_port(text)
        try:
            return cls(host, port)
        except ValueError as exc:
            raise ValueError(f"invalid nameserver {text!r}: {exc}") from None

    @property
    def address(self) -> str:
        """``host:port`` (IPv6 in brackets): the name used in errors, metrics and evidence."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return self.address


def _split_host_port(text: str) -> tuple[str, int]:
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"invalid nameserver {text!r}: expected [IPv6]:PORT")
        return host, _parse_port(text, rest[1:]) if rest else 53
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, _parse_port(text, port)
    return text, 53  # IPv4 without port, or a bare IPv6 literal


def _parse_port(text: str, port: str) -> int:
    if not port.isdigit():
        raise ValueError(f"invalid nameserver {text!r}: port {port!r} is not a number")
    return int(port)


def parse_nameservers(texts: Iterable[str]) -> tuple[Nameserver, ...]:
    """Parse a list of ``ip[:port]`` texts, e.g. from ``--nameserver`` or a comma list."""
    return tuple(Nameserver.parse(text) for text in texts if text.strip())


# Well-known public resolvers: the fallback for production defaults only (never in tests,
# never when resolvers were named explicitly).
PUBLIC_FALLBACKS: tuple[Nameserver, ...] = (
    Nameserver("1.1.1.1"),
    Nameserver("8.8.8.8"),
    Nameserver("9.9.9.9"),
    Nameserver("1.0.0.1"),
    Nameserver("8.8.4.4"),
)


def system_nameservers() -> tuple[Nameserver, ...]:
    """The Do53 resolvers of /etc/resolv.conf (or the OS equivalent), via dnspython."""
    import dns.nameserver
    import dns.resolver

    try:
        config = dns.resolver.Resolver(configure=True)
    except dns.resolver.NoResolverConfiguration:
        return ()
    found: list[Nameserver] = []
    for server in config.nameservers:
        if isinstance(server, str):
            found.append(Nameserver(server, config.port))
        elif isinstance(server, dns.nameserver.Do53Nameserver):
            found.append(Nameserver(server.address, server.port))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class ResolverSets:
    """The resolvers one ``DnsOptions`` will contact: primaries first, then fallbacks."""

    primaries: tuple[Nameserver, ...]
    fallbacks: tuple[Nameserver, ...]

    @property
    def identity(self) -> str:
        """Stable text naming this configuration; part of every cache key."""
        primaries = ",".join(ns.address for ns in self.primaries) or "-"
        fallbacks = ",".join(ns.address for ns in self.fallbacks) or "-"
        return f"{primaries}|{fallbacks}"

    def fallbacks_for(self, qname: str) -> tuple[Nameserver, ...]:
        """Fallbacks in a deterministic rotation: the start index is crc32(qname).

        Load spreads over the fallback resolvers, yet a rerun asks them in the same order.
        """
        if not self.fallbacks:
            return ()
        start = zlib.crc32(qname.encode()) % len(self.fallbacks)
        return self.fallbacks[start:] + self.fallbacks[:start]


@dataclass(frozen=True, slots=True)
class DnsOptions:
    """Small typed options of the DNS layer (built by ``wiring``, never from Settings here).

    ``nameservers`` empty means the system resolver.  ``explicit`` says the resolvers were
    named by the user; naming primaries always counts as explicit, so no implicit resolver
    (system or public) is ever added to a configuration that names its primaries.
    """

    nameservers: tuple[Nameserver, ...] = ()
    fallback_nameservers: tuple[Nameserver, ...] = ()
    explicit: bool = False
    timeout: float = 2.0                  # seconds per attempt per resolver
    attempts: int = 3                     # attempts per resolver set (primaries, fallbacks)
    backoff: float = 0.1                  # base of the exponential backoff between attempts
    domain_time_limit: float = 30.0       # wall-clock budget of one domain's lookups
    cache_ttl_floor: int = 60
    cache_ttl_ceiling: int = 86_400
    cache_negative_ceiling: int = 3_600
    cache_max_entries: int = 200_000
    udp_payload: int = 1232               # EDNS0 buffer size (DNS flag day 2020)
    max_in_flight: int = 512              # concurrent resolutions per Resolver
    max_qps: float = 0.0                  # queries per second to one resolver; 0 = no fixed limit
    public_max_qps: float = 50.0          # … and to each public fallback resolver, when those are used

    def __post_init__(self) -> None:
        if self.explicit and not self.nameservers:
            raise ValueError("explicit DNS options need at least one nameserver")
        for name in ("timeout", "backoff", "domain_time_limit"):
            if getattr(self, name) < 0:
                raise ValueError(f"DNS option {name} must not be negative")
        if self.timeout == 0:
            raise ValueError("DNS option timeout must be positive")
        if self.attempts < 1 or self.max_in_flight < 1 or self.cache_max_entries < 1:
            raise ValueError("DNS options attempts, max_in_flight and cache_max_entries must be >= 1")
        if not 0 <= self.cache_ttl_floor <= self.cache_ttl_ceiling:
            raise ValueError("DNS cache TTL floor must be between 0 and the ceiling")
        if not 512 <= self.udp_payload <= 65_535:
            raise ValueError("DNS udp_payload must be 512-65535")
        if self.max_qps < 0 or self.public_max_qps < 0:
            raise ValueError("DNS options max_qps and public_max_qps must not be negative")

    @classmethod
    def from_addresses(cls, nameservers: Iterable[str], fallbacks: Iterable[str] = (),
                       **kwargs: object) -> DnsOptions:
        """Options from ``ip[:port]`` texts; non-empty ``nameservers`` makes them explicit."""
        primaries = parse_nameservers(nameservers)
        return cls(primaries, parse_nameservers(fallbacks), explicit=bool(primaries),
                   **kwargs)  # type: ignore[arg-type]

    @property
    def is_explicit(self) -> bool:
        return self.explicit or bool(self.nameservers)

    def ceiling(self, nameserver: Nameserver) -> float | None:
        """The fixed rate limit of ``nameserver`` (None: none, the pacing only adapts):
        ``max_qps``, and for a public fallback resolver used by default at most ``public_max_qps``
        — a public resolver serves everyone and limits each client (Google's: 1 500 qps)."""
        limits = [self.max_qps] if self.max_qps else []
        public = not self.is_explicit and not self.fallback_nameservers and nameserver in PUBLIC_FALLBACKS
        if public and self.public_max_qps:
            limits.append(self.public_max_qps)
        return min(limits) if limits else None

    def resolver_sets(self, *, system: Callable[[], tuple[Nameserver, ...]] = system_nameservers,
                      ) -> ResolverSets:
        """Primaries and fallbacks after applying the explicit/system/public rule.

        ``system`` reads the system resolvers; it is called only when none were named.
        """
        if self.is_explicit:
            return ResolverSets(self.nameservers, self.fallback_nameservers)
        return ResolverSets(system(), self.fallback_nameservers or PUBLIC_FALLBACKS)
