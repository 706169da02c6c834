"""Fixture zones for the sandbox DNS server, and the authoritative answer they give.

``load_zone_file`` / ``load_zone_dir`` read zone files; ``Authority`` indexes the zones once and
``Authority.resolve(name, rdtype)`` says what an authoritative server answers: NXDOMAIN vs NODATA
with the zone SOA (TTL = min(SOA TTL, MINIMUM)), CNAME chains followed through served zones,
RFC 4592 wildcards, longest-suffix zone match, REFUSED outside every zone and SERVFAIL for a
"broken" zone.  Pure: no sockets, no wire format (``hunter.sandbox.dns`` does those).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

__all__ = ["Authority", "Rdatasets", "Result", "load_zone_dir", "load_zone_file"]

_MAX_CHAIN = 16           # CNAME hops followed before giving up
_IN = dns.rdataclass.IN
_WILD = dns.name.Name((b"*",))


# --- zone files ------------------------------------------------------------------------

def load_zone_file(path: str | Path) -> dns.zone.Zone:
    """Parse a zone file; origin from its ``$ORIGIN``, else its file name minus ``.zone``."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        return dns.zone.from_text(text, origin=None, relativize=False, filename=str(path))
    except dns.zone.UnknownOrigin:
        origin = path.name.removesuffix(".zone") + "."
        return dns.zone.from_text(text, origin=origin, relativize=False, filename=str(path))


def load_zone_dir(path: str | Path) -> list[dns.zone.Zone]:
    """Every ``*.zone`` file in a directory, in file-name order."""
    return [load_zone_file(file) for file in sorted(Path(path).glob("*.zone"))]


# --- what the zones say ----------------------------------------------------------------

Rdatasets = dict[int, dns.rdataset.Rdataset]


@dataclass(slots=True)
class _ZoneData:
    """One zone flattened for lookups: absolute owner names, empty non-terminals, SOA."""

    origin: dns.name.Name
    soa: dns.rrset.RRset | None = None
    nodes: dict[dns.name.Name, Rdatasets] = field(default_factory=dict)
    names: set[dns.name.Name] = field(default_factory=set)   # owners and empty non-terminals
    broken: bool = False


@dataclass(slots=True)
class Result:
    """The RCODE and the ANSWER and AUTHORITY sections of one authoritative answer."""

    rcode: dns.rcode.Rcode
    answer: list[dns.rrset.RRset] = field(default_factory=list)
    authority: list[dns.rrset.RRset] = field(default_factory=list)


def _absolute(rdataset: dns.rdataset.Rdataset, origin: dns.name.Name) -> dns.rdataset.Rdataset:
    texts = [rdata.to_text(origin=origin, relativize=False) for rdata in rdataset]
    return dns.rdataset.from_text_list(rdataset.rdclass, rdataset.rdtype, rdataset.ttl, texts)


def _index_zone(zone: dns.zone.Zone) -> _ZoneData:
    origin = zone.origin
    assert origin is not None, "a served zone needs an origin"
    data = _ZoneData(origin)
    for name, node in zone.nodes.items():
        sets = [rds if not zone.relativize else _absolute(rds, origin) for rds in node.rdatasets]
        data.nodes[name.derelativize(origin)] = {rds.rdtype: rds for rds in sets if rds.rdclass == _IN}
    for owner in data.nodes:
        while owner not in data.names:
            data.names.add(owner)
            if owner == origin:
                break
            owner = owner.parent()
    soa = data.nodes.get(origin, {}).get(dns.rdatatype.SOA)
    if soa is not None:  # negative answers carry min(SOA TTL, MINIMUM), RFC 2308 section 3
        data.soa = dns.rrset.from_rdata_list(origin, min(soa.ttl, soa[0].minimum), list(soa))
    return data


def _lookup(zone: _ZoneData, name: dns.name.Name) -> Rdatasets | None:
    """The records at ``name`` (wildcard-synthesised if need be); ``None`` for NXDOMAIN."""
    found = zone.nodes.get(name)
    if found is not None:
        return found
    if name in zone.names:
        return {}  # empty non-terminal: NODATA
    encloser = name.parent()
    while encloser not in zone.names:
        encloser = encloser.parent()
    return zone.nodes.get(_WILD.concatenate(encloser))


class Authority:
    """The served zones and the authoritative answer for one (name, type)."""

    def __init__(self, zones: Iterable[dns.zone.Zone], broken: Iterable[str]) -> None:
        self._zones = {data.origin: data for data in map(_index_zone, zones)}
        for text in broken:
            origin = dns.name.from_text(text)
            self._zones[origin] = _ZoneData(origin, broken=True)

    def find(self, name: dns.name.Name) -> _ZoneData | None:
        """The zone with the longest origin that ``name`` falls under."""
        while True:
            data = self._zones.get(name)
            if data is not None or name == dns.name.root:
                return data
            name = name.parent()

    def resolve(self, qname: dns.name.Name, rdtype: int) -> Result:
        zone = self.find(qname)
        if zone is None:
            return Result(dns.rcode.REFUSED)
        if zone.broken:
            return Result(dns.rcode.SERVFAIL)
        result, name, seen = Result(dns.rcode.NOERROR), qname, set()
        while True:
            found = _lookup(zone, name)
            if found is None:
                result.rcode = dns.rcode.NXDOMAIN
                return _negative(result, zone)
            rdataset = found.get(rdtype)
            cname = found.get(dns.rdatatype.CNAME)
            if rdataset is not None:
                return _positive(result, name, rdataset)
            if cname is None:
                return _negative(result, zone)  # NODATA
            result.answer.append(dns.rrset.from_rdata_list(name, cname.ttl, list(cname)))
            seen.add(name)
            name = cname[0].target
            zone = self.find(name)
            if zone is None or zone.broken or name in seen or len(seen) >= _MAX_CHAIN:
                return result  # the chain leaves served data: answer with the chain alone


def _positive(result: Result, owner: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> Result:
    result.answer.append(dns.rrset.from_rdata_list(owner, rdataset.ttl, list(rdataset)))
    return result


def _negative(result: Result, zone: _ZoneData) -> Result:
    if zone.soa is not None:
        result.authority.append(zone.soa)
    return result
