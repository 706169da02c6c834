"""A final DNS reply (NOERROR or NXDOMAIN) -> ``Answer``.  Pure: no I/O.

Records are dnspython's ``to_text()`` lower-cased (``"10 mx.example."`` keeps its trailing
dot), except TXT: the character-strings are joined with "" and decoded as UTF-8 with
replacement (see ``wire.record_text``).  ``cnames`` is the chain followed from the query
name through the answer section, also when it ends in NODATA or NXDOMAIN.  The TTL of a
positive answer is the minimum TTL of the final RRset; of a negative one the RFC 2308 value
min(SOA TTL, SOA MINIMUM) from the authority section, or None without an SOA.
"""

from __future__ import annotations

import dns.rdatatype

from . import wire
from .facts import Answer, Query

__all__ = ["evaluate", "negative_ttl"]

_MAX_CHAIN = 16
RCODE_NXDOMAIN = 3


def evaluate(query: Query, reply: wire.Reply, *, resolver: str,
             errors: tuple[str, ...] = ()) -> Answer:
    """Turn a final reply to ``query`` into an ``Answer`` (ok, nodata or nxdomain)."""
    rdtype = int(dns.rdatatype.from_text(query.rdtype))
    final, cnames = _follow(reply, wire.canonical(query.name), rdtype)
    if final:
        records = tuple(sorted(wire.record_text(record) for record in final))
        ttl = min(record.ttl for record in final)
        return Answer(query, "ok", records, cnames, ttl, resolver, errors)
    status = "nxdomain" if reply.rcode == RCODE_NXDOMAIN else "nodata"
    return Answer(query, status, (), cnames, negative_ttl(reply), resolver, errors)


def _follow(reply: wire.Reply, name: str, rdtype: int) -> tuple[list[wire.Record], tuple[str, ...]]:
    """The records answering ``rdtype`` at the end of the CNAME chain from ``name``, and the chain."""
    chain: list[str] = []
    seen = {name}
    for _ in range(_MAX_CHAIN):
        found = _find(reply, name, rdtype)
        if found:
            return found, tuple(chain)
        cnames = _find(reply, name, wire.CNAME)
        if not cnames:
            break
        name = wire.target(cnames[0])
        chain.append(name)
        if name in seen:
            break  # a CNAME loop: report the chain as far as it goes
        seen.add(name)
    return [], tuple(chain)


def _find(reply: wire.Reply, name: str, rdtype: int) -> list[wire.Record]:
    return [r for r in reply.answer
            if r.rdtype == rdtype and r.rdclass == wire.CLASS_IN and r.name == name]


def negative_ttl(reply: wire.Reply) -> int | None:
    """RFC 2308 §5: min(SOA TTL, SOA MINIMUM) of the authority SOA, or None without one."""
    for record in reply.authority:
        if record.rdtype == wire.SOA and record.length >= 22:
            return min(record.ttl, wire.soa_minimum(record))
    return None
