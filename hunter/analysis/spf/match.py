"""Does one mechanism match the client?  ip4, ip6, a, mx, ptr, exists (RFC 7208 §5).

``include`` needs a whole nested evaluation and lives in ``evaluate``.
"""

from __future__ import annotations

from ipaddress import IPv4Address, ip_network

from ...dns.facts import Walker
from . import names
from .names import IpAddress
from .record import MAX_NAMES, Mechanism
from .session import Session, SpfAbort, addresses, lookup, target, validated_names


def in_network(ip: IpAddress, found: IpAddress, mechanism: Mechanism) -> bool:
    """``ip`` within ``found`` widened to the mechanism's cidr-length for its family."""
    if ip.version != found.version:
        return False
    length = mechanism.cidr4 if isinstance(ip, IPv4Address) else mechanism.cidr6
    return ip in ip_network(f"{found}/{length}", strict=False)


def match_ip(session: Session, mechanism: Mechanism) -> bool:
    network = mechanism.network
    return network is not None and network.version == session.ip.version and session.ip in network


def match_a(session: Session, mechanism: Mechanism, domain: str) -> Walker[bool]:
    session.count_lookup(mechanism.text)
    name = yield from target(session, mechanism.domain_spec, domain)
    if name is None:
        return False
    records = yield from lookup(session, name, session.address_type)
    return any(in_network(session.ip, found, mechanism) for found in addresses(records))


def match_mx(session: Session, mechanism: Mechanism, domain: str) -> Walker[bool]:
    session.count_lookup(mechanism.text)
    name = yield from target(session, mechanism.domain_spec, domain)
    if name is None:
        return False
    records = yield from lookup(session, name, "MX")
    if len(records) > MAX_NAMES:
        raise SpfAbort("permerror", f"{mechanism.text!r}: {name} has more than {MAX_NAMES} MX records")
    for host in filter(None, map(mx_host, records)):
        found = yield from lookup(session, host, session.address_type, void=False)
        if any(in_network(session.ip, address, mechanism) for address in addresses(found)):
            return True
    return False


def mx_host(record: str) -> str | None:
    """The exchange of an MX record text ("10 mx.example.com."); None for a null MX."""
    parts = record.split()
    return names.query_name(parts[-1]) if len(parts) == 2 and parts[-1] != "." else None


def match_ptr(session: Session, mechanism: Mechanism, domain: str) -> Walker[bool]:
    session.count_lookup(mechanism.text)
    name = yield from target(session, mechanism.domain_spec, domain)
    if name is None:
        return False
    found = yield from validated_names(session, within=name, void=True)
    return bool(found)


def match_exists(session: Session, mechanism: Mechanism, domain: str) -> Walker[bool]:
    session.count_lookup(mechanism.text)
    name = yield from target(session, mechanism.domain_spec, domain)
    if name is None:
        return False
    records = yield from lookup(session, name, "A")
    return bool(records)
