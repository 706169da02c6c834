"""Pure rules for IP facts: which addresses are special, and how providers' answers merge.

Special addresses (``classify``) are labelled and never looked up:

    unspecified    0.0.0.0, ::
    loopback       127.0.0.0/8, ::1
    documentation  192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32, 3fff::/20
    cgnat          100.64.0.0/10 (shared address space, RFC 6598)
    private        10/8, 172.16/12, 192.168/16, fc00::/7 (unique local)
    link-local     169.254.0.0/16, fe80::/10
    multicast      224.0.0.0/4, ff00::/8
    benchmarking   198.18.0.0/15, 2001:2::/48
    broadcast      255.255.255.255
    reserved       0/8, 192.0.0.0/24, 240/4, 100::/64, 64:ff9b:1::/48, 2001::/23, and anything
                   else Python's ``ipaddress`` says is not globally reachable

An IPv4-mapped IPv6 address (``::ffff:a.b.c.d``) is treated as its IPv4 address.

Merge precedence (``PRECEDENCE``; providers not named come last, in the order given):

    location  country_code, country, region, city
              maxmind-city > ip2location > ip2proxy > maxmind-country.  The first provider with a
              country is the anchor: all four fields come from it; a field it lacks is filled only
              from a later provider that agrees on the country code (never London in France).
    asn       asn, as_org: maxmind-asn > maxmind-isp > ip2location > ip2proxy; anchored on the
              AS number the same way.
    isp       maxmind-isp > ip2location > ip2proxy          domain  ip2location > ip2proxy
    usage     ip2proxy > ip2location                         connection_type  maxmind-connection-type
    flags     is_proxy, proxy_type, is_vpn, is_tor, is_residential, is_datacenter, field by field:
              ip2proxy > maxmind-anonymous-ip > derived from the merged usage type (``usage_flags``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from .base import IpFacts

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_NETS = {label: tuple(ipaddress.ip_network(n) for n in nets) for label, nets in {
    "documentation": ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20"),
    "cgnat": ("100.64.0.0/10",),
    "private": ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"),
    "benchmarking": ("198.18.0.0/15", "2001:2::/48"),
    # IANA special-purpose registries, listed so the answer does not depend on the Python version
    "reserved": ("0.0.0.0/8", "192.0.0.0/24", "240.0.0.0/4", "100::/64", "64:ff9b:1::/48", "2001::/23"),
}.items()}

_BROADCAST = ipaddress.IPv4Address("255.255.255.255")

LOCATION = ("country_code", "country", "region", "city")
ASN = ("asn", "as_org")
FLAGS = ("is_proxy", "proxy_type", "is_vpn", "is_tor", "is_residential", "is_datacenter")

PRECEDENCE: dict[str, tuple[str, ...]] = {
    "location": ("maxmind-city", "ip2location", "ip2proxy", "maxmind-country"),
    "asn": ("maxmind-asn", "maxmind-isp", "ip2location", "ip2proxy"),
    "isp": ("maxmind-isp", "ip2location", "ip2proxy"),
    "domain": ("ip2location", "ip2proxy"),
    "usage_type": ("ip2proxy", "ip2location"),
    "connection_type": ("maxmind-connection-type",),
    "flags": ("ip2proxy", "maxmind-anonymous-ip"),
}

#: IP2Location usage types (https://www.ip2location.com/web-service/ip2location): DCH data centre,
#: web hosting or transit; CDN content delivery; ISP fixed-line ISP; MOB mobile ISP; others are
#: organisations (COM, ORG, GOV, MIL, EDU, LIB), search engine spiders (SES) and reserved (RSV).
_DATACENTER_USAGE = frozenset({"DCH", "CDN"})
_RESIDENTIAL_USAGE = frozenset({"ISP", "MOB"})
_KNOWN_USAGE = _DATACENTER_USAGE | _RESIDENTIAL_USAGE | {"COM", "ORG", "GOV", "MIL", "EDU", "LIB", "SES", "RSV"}


def parse(ip: str) -> Address | None:
    """The address (IPv4-mapped IPv6 unwrapped), or None when ``ip`` is not an IP address."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except (ValueError, AttributeError):
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def classify(address: Address) -> str | None:
    """The special-use label of ``address``, or None for an ordinary public address."""
    for label, test in (("unspecified", address.is_unspecified), ("loopback", address.is_loopback)):
        if test:
            return label
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address == _BROADCAST:
        return "broadcast"
    for label, nets in _NETS.items():
        if any(address in net for net in nets if net.version == address.version):
            return label
    return None if address.is_global else "reserved"


def usage_flags(usage_type: str | None) -> dict[str, bool | None]:
    """``is_datacenter``/``is_residential`` implied by an IP2Location usage type ("ISP/MOB" allowed)."""
    codes = {c.strip().upper() for c in (usage_type or "").split("/") if c.strip()}
    if not codes or not codes <= _KNOWN_USAGE:
        return {"is_datacenter": None, "is_residential": None}
    return {"is_datacenter": bool(codes & _DATACENTER_USAGE),
            "is_residential": codes <= _RESIDENTIAL_USAGE}


def merge(ip: str, results: Sequence[IpFacts]) -> IpFacts | None:
    """One IpFacts from each provider's answer, by ``PRECEDENCE``; None when nobody knows anything."""
    fields: dict[str, Any] = {}
    used: set[str] = set()
    for picked, sources in (
        _anchored(_ranked(results, "location"), LOCATION),
        _anchored(_ranked(results, "asn"), ASN),
        _first(_ranked(results, "isp"), ("isp",)),
        _first(_ranked(results, "domain"), ("domain",)),
        _first(_ranked(results, "usage_type"), ("usage_type",)),
        _first(_ranked(results, "connection_type"), ("connection_type",)),
        _first(_ranked(results, "flags"), FLAGS),
    ):
        fields |= picked
        used |= sources
    for name, value in usage_flags(fields.get("usage_type")).items():
        if fields.get(name) is None and value is not None:
            fields[name] = value
    if not used:
        return None
    order = [_source(r) for r in results]
    return IpFacts(ip=ip, sources=tuple(s for s in dict.fromkeys(order) if s in used), **fields)


def _source(facts: IpFacts) -> str:
    return facts.sources[0] if facts.sources else ""


def _ranked(results: Iterable[IpFacts], group: str) -> list[IpFacts]:
    """``results`` in the group's precedence; providers the table does not name keep their order, last."""
    order = PRECEDENCE[group]
    rank = {name: i for i, name in enumerate(order)}
    return sorted(results, key=lambda r: rank.get(_source(r), len(order)))


def _first(ranked: list[IpFacts], names: Sequence[str]) -> tuple[dict[str, Any], set[str]]:
    picked: dict[str, Any] = {}
    used: set[str] = set()
    for name in names:
        hit = next((r for r in ranked if getattr(r, name) is not None), None)
        if hit is not None:
            picked[name] = getattr(hit, name)
            used.add(_source(hit))
    return picked, used


def _anchored(ranked: list[IpFacts], names: Sequence[str]) -> tuple[dict[str, Any], set[str]]:
    """All ``names`` from the first provider with the key (``names[0]``); gaps filled only from
    later providers that agree on the key."""
    key = names[0]
    anchor = (next((r for r in ranked if getattr(r, key) is not None), None)
              or next((r for r in ranked if any(getattr(r, n) is not None for n in names)), None))
    if anchor is None:
        return {}, set()
    picked = {n: getattr(anchor, n) for n in names}
    used = {_source(anchor)}
    for other in ranked:
        if other is anchor or getattr(other, key) != picked[key]:
            continue
        for name in names:
            if picked[name] is None and getattr(other, name) is not None:
                picked[name] = getattr(other, name)
                used.add(_source(other))
    return picked, used
