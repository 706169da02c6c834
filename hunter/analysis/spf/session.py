"""The state of one check_host() evaluation and the DNS steps shared by its terms.

Pure: DNS goes through the walker protocol of ``hunter.dns.facts`` (yield a ``Query``,
receive an ``Answer``).  ``SpfAbort`` ends an evaluation with temperror / permerror.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, ip_address

from ...dns.facts import Answer, Query, Walker
from . import macro, names
from .names import IpAddress
from .record import MAX_LOOKUPS, MAX_NAMES, MAX_VOID_LOOKUPS, Result


class SpfAbort(Exception):
    """Stops an evaluation: ``result`` is temperror or permerror, the message says why."""

    def __init__(self, result: Result, message: str) -> None:
        super().__init__(message)
        self.result = result


@dataclass(slots=True)
class Session:
    """Who is being checked (ip, sender, helo) and the limits spent so far."""

    ip: IpAddress
    local: str
    sender_domain: str
    helo: str
    receiver: str = "unknown"
    timestamp: int = 0
    lookups: int = 0
    void_lookups: int = 0

    def count_lookup(self, term: str) -> None:
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            raise SpfAbort("permerror", f"more than {MAX_LOOKUPS} DNS lookups (at {term!r})")

    def count_void(self, name: str) -> None:
        self.void_lookups += 1
        if self.void_lookups > MAX_VOID_LOOKUPS:
            raise SpfAbort("permerror", f"more than {MAX_VOID_LOOKUPS} void lookups (at {name})")

    @property
    def address_type(self) -> str:
        return "A" if isinstance(self.ip, IPv4Address) else "AAAA"

    def values(self, domain: str, validated: str = "unknown") -> dict[str, str]:
        """Macro values (§7.3) with ``domain`` as <domain> and ``validated`` as %{p}."""
        return {
            "s": f"{self.local}@{self.sender_domain}", "l": self.local, "o": self.sender_domain,
            "d": domain, "i": names.dotted(self.ip), "p": validated,
            "v": names.version_label(self.ip), "h": self.helo, "c": str(self.ip),
            "r": self.receiver, "t": str(self.timestamp),
        }


def lookup(session: Session, name: str, rdtype: str, *, void: bool = True) -> Walker[tuple[str, ...]]:
    """Records of ``name``; a DNS failure is temperror, an empty answer may count as void."""
    answer: Answer = yield Query(name, rdtype)
    if answer.failed:
        raise SpfAbort("temperror", f"DNS failure for {rdtype} {name}")
    if not answer.ok or not answer.records:
        if void:
            session.count_void(name)
        return ()
    return answer.records


def soft_lookup(name: str, rdtype: str) -> Walker[tuple[str, ...]]:
    """Records of ``name``, or none at all when the lookup fails (PTR checks, §5.5)."""
    answer: Answer = yield Query(name, rdtype)
    return answer.records if answer.ok else ()


def addresses(records: tuple[str, ...]) -> list[IpAddress]:
    found: list[IpAddress] = []
    for text in records:
        try:
            found.append(ip_address(text.strip()))
        except ValueError:
            continue
    return found


def validated_names(session: Session, *, within: str | None = None,
                    void: bool = False) -> Walker[list[str]]:
    """PTR names of the client whose A/AAAA lead back to it (§5.5), at most 10 tried.

    A failed PTR lookup finds nothing (no temperror); a failed A/AAAA lookup skips the name.
    """
    reverse = names.reverse_name(session.ip)
    answer: Answer = yield Query(reverse, "PTR")
    ptr = answer.records if answer.ok else ()
    if void and not ptr and not answer.failed:
        session.count_void(reverse)
    found: list[str] = []
    for text in ptr[:MAX_NAMES]:
        name = names.query_name(text)
        if name is None or (within is not None and not names.within(name, within)):
            continue
        records = yield from soft_lookup(name, session.address_type)
        if session.ip in addresses(records):
            found.append(name)
    return found


def validated_domain(session: Session, domain: str) -> Walker[str]:
    """``%{p}``: a validated name, preferring <domain> or a subdomain of it; else "unknown"."""
    found = yield from validated_names(session)
    preferred = [name for name in found if names.within(name, domain)]
    return (preferred or found or ["unknown"])[0]


def expand(session: Session, spec: str, domain: str, *, explanation: bool = False) -> Walker[str]:
    """Expand a macro-string for ``domain``, resolving ``%{p}`` only when it is used."""
    validated = "unknown"
    if "p" in macro.letters(spec):
        validated = yield from validated_domain(session, domain)
    return macro.expand(spec, session.values(domain, validated), explanation=explanation)


def target(session: Session, spec: str | None, domain: str) -> Walker[str | None]:
    """The name a term points at: its expanded domain-spec, or <domain> when it has none."""
    if spec is None:
        return names.query_name(domain)
    expanded = yield from expand(session, spec, domain)
    return names.query_name(expanded)
