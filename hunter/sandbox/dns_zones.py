"""Fixture zones for the sandbox DNS server, and the authoritative answer they give.

``load_zone_file`` / ``load_zone_dir`` read zone files; ``Authority`` indexes the zones once and
``Authority.resolve(qname, rdtype)`` says what an authoritative server answers: NXDOMAIN vs NODATA
with the zone SOA (TTL = min(SOA TTL, MINIMUM)), CNAME chains followed through served zones,
RFC 4592 wildcards, longest-suffix zone match, REFUSED outside every zone and SERVFAIL for a
"broken" zone.  Pure: no sockets, no messages (``hunter.sandbox.dns_render`` builds those).

A zone whose origin starts with the label ``*`` (``$ORIGIN *.m365.bench.test.``) is a *template*:
it is the zone of every ``<label>.m365.bench.test`` that no served zone covers more closely, with
its names (owners and the names inside CNAME, MX, SRV, NS, PTR and SOA data) rewritten to that
domain.  Benchmarks use it to serve a million synthetic domains, each with its own subdomains
(``selector1._domainkey``, ``autodiscover`` …), from one small zone file per kind of domain.

The index is plain Python, built once so that answering needs no ``dns.name`` objects: names
are keyed by their lower-cased uncompressed wire form (``b"\\x03www\\x04test\\x00"``), which
compares labels byte for byte and ASCII case-insensitively as DNS does, whatever bytes (dots,
spaces, non-ASCII) a label holds; a name's parent is the key minus its first label.  Records
are ``RRset(rdtype, ttl, rdatas)`` with each rdata already in uncompressed wire form.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.zone

__all__ = ["Authority", "Record", "Result", "RRset", "load_zone_dir", "load_zone_file", "wire_key"]

_MAX_CHAIN = 16           # CNAME hops followed before giving up
_IN = dns.rdataclass.IN
_CNAME = dns.rdatatype.CNAME
_ROOT = b"\x00"
_WILD = b"\x01*"
_NAMED_DATA = frozenset(dns.rdatatype.RdataType.make(t) for t in ("CNAME", "DNAME", "MX", "NS", "PTR", "SOA", "SRV"))


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


# --- the index -------------------------------------------------------------------------

class RRset(NamedTuple):
    """The records of one type at one name: rdata in uncompressed wire form, in zone order."""

    rdtype: int
    ttl: int
    rdatas: tuple[bytes, ...]


Record = tuple[bytes, RRset]        # (owner in wire form, records); the owner keeps its case
Rdatasets = dict[int, RRset]
_NODATA: Rdatasets = {}


def wire_key(name: dns.name.Name) -> bytes:
    """The index key of an absolute name: its uncompressed wire form, lower-cased."""
    return name.to_wire().lower()


def _parent(key: bytes) -> bytes:
    return key[key[0] + 1:]


@dataclass(slots=True)
class _ZoneData:
    """One zone flattened for lookups: owner keys, every existing name (empty non-terminals too), SOA."""

    origin: bytes
    soa: Record | None = None
    nodes: dict[bytes, Rdatasets] = field(default_factory=dict)
    names: set[bytes] = field(default_factory=set)
    broken: bool = False


@dataclass(slots=True)
class Result:
    """The RCODE and the ANSWER and AUTHORITY sections of one authoritative answer."""

    rcode: dns.rcode.Rcode
    answer: list[Record] = field(default_factory=list)
    authority: list[Record] = field(default_factory=list)


def _rrset(rdataset: dns.rdataset.Rdataset, origin: dns.name.Name, ttl: int | None = None) -> RRset:
    rdatas = tuple(rdata.to_wire(origin=origin) for rdata in rdataset)  # relative names made absolute
    return RRset(rdataset.rdtype, rdataset.ttl if ttl is None else ttl, rdatas)


def _index_zone(zone: dns.zone.Zone) -> _ZoneData:
    origin = zone.origin
    assert origin is not None, "a served zone needs an origin"
    data = _ZoneData(wire_key(origin))
    data.names.add(data.origin)
    for name, node in zone.nodes.items():
        owner = name.derelativize(origin)
        data.nodes[wire_key(owner)] = {rds.rdtype: _rrset(rds, origin) for rds in node.rdatasets
                                       if rds.rdclass == _IN}
        while owner != origin and wire_key(owner) not in data.names:
            data.names.add(wire_key(owner))
            owner = owner.parent()
    soa = zone.get_rdataset(origin, dns.rdatatype.SOA)
    if soa is not None:  # negative answers carry min(SOA TTL, MINIMUM), RFC 2308 section 3
        data.soa = (origin.to_wire(), _rrset(soa, origin, ttl=min(soa.ttl, soa[0].minimum)))
    return data


def _lookup(zone: _ZoneData, key: bytes) -> Rdatasets | None:
    """The records at ``key`` (wildcard-synthesised if need be); ``None`` for NXDOMAIN."""
    found = zone.nodes.get(key)
    if found is not None:
        return found
    names = zone.names
    if key in names:
        return _NODATA  # empty non-terminal
    encloser = _parent(key)
    while encloser not in names:
        encloser = _parent(encloser)
    return zone.nodes.get(_WILD + encloser)


# --- what the zones say ----------------------------------------------------------------

class Authority:
    """The served zones and the authoritative answer for one (name, type)."""

    def __init__(self, zones: Iterable[dns.zone.Zone], broken: Iterable[str]) -> None:
        self._zones = {data.origin: data for data in map(_index_zone, zones)}
        for text in broken:
            origin = wire_key(dns.name.from_text(text))
            self._zones[origin] = _ZoneData(origin, broken=True)
        # template suffix ("m365.bench.test") -> the template zone's origin ("*.m365.bench.test")
        self._templates = {origin[len(_WILD):]: origin for origin in self._zones if origin.startswith(_WILD)}

    def find(self, key: bytes) -> _ZoneData | None:
        """The zone with the longest origin that the name ``key`` falls under."""
        zones = self._zones
        while True:
            data = zones.get(key)
            if data is not None or key == _ROOT:
                return data
            key = _parent(key)

    def resolve(self, qname: bytes, rdtype: int) -> Result:
        """The answer for ``qname`` (lower-case wire form); answer owners are ``qname`` or a CNAME target."""
        if self._templates:
            templated = self._templated(qname)
            if templated is not None:
                mapped, template, domain = templated
                return _rewritten(self._resolve(mapped, rdtype), template, domain)
        return self._resolve(qname, rdtype)

    def _templated(self, qname: bytes) -> tuple[bytes, bytes, bytes] | None:
        """(the name inside the template zone, the template origin, the domain) when ``qname`` is
        at or under ``<label>.<template suffix>`` and no served zone is as close."""
        domain, key = b"", qname
        while key != _ROOT:
            template = self._templates.get(key)
            if template is not None and domain:
                closest = self.find(qname)
                if closest is not None and len(closest.origin) >= len(domain):
                    return None
                return qname[: len(qname) - len(domain)] + template, template, domain
            domain, key = key, _parent(key)
        return None

    def _resolve(self, qname: bytes, rdtype: int) -> Result:
        zone = self.find(qname)
        if zone is None:
            return Result(dns.rcode.REFUSED)
        if zone.broken:
            return Result(dns.rcode.SERVFAIL)
        result, name, key, seen = Result(dns.rcode.NOERROR), qname, qname, set()
        while True:
            found = _lookup(zone, key)
            if found is None:
                result.rcode = dns.rcode.NXDOMAIN
                return _negative(result, zone)
            rrset = found.get(rdtype)
            if rrset is not None:
                result.answer.append((name, rrset))
                return result
            cname = found.get(_CNAME)
            if cname is None:
                return _negative(result, zone)  # NODATA
            result.answer.append((name, cname))
            seen.add(key)
            name = cname.rdatas[0]  # the target, as the zone writes it
            key = name.lower()
            zone = self.find(key)
            if zone is None or zone.broken or key in seen or len(seen) >= _MAX_CHAIN:
                return result  # the chain leaves served data: answer with the chain alone


def _renamed(name: bytes, template: bytes, domain: bytes) -> bytes:
    return name[: len(name) - len(template)] + domain if name.lower().endswith(template) else name


def _rewritten(result: Result, template: bytes, domain: bytes) -> Result:
    """``result`` with the template's origin replaced by ``domain`` in owners and in name data."""
    def records(section: list[Record]) -> list[Record]:
        out = []
        for owner, rrset in section:
            rdatas = rrset.rdatas
            if rrset.rdtype in _NAMED_DATA:   # absolute uncompressed names end in the origin's bytes
                rdatas = tuple(rdata.replace(template, domain) for rdata in rdatas)
            out.append((_renamed(owner, template, domain), rrset._replace(rdatas=rdatas)))
        return out

    return Result(result.rcode, records(result.answer), records(result.authority))


def _negative(result: Result, zone: _ZoneData) -> Result:
    if zone.soa is not None:
        result.authority.append(zone.soa)
    return result
