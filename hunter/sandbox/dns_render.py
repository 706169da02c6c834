"""Replies of the sandbox DNS server as wire bytes, assembled by hand from ``dns_zones`` records.

``render`` builds header, question, ANSWER, AUTHORITY and the EDNS OPT record directly from
the precomputed rdata of ``dns_zones.Authority``: an owner equal to the question name is a
compression pointer to it (``0xC00C``), any other owner and every name inside rdata is written
uncompressed (legal, RFC 1035 section 4.1.4 only allows compression).  Only when that reply is
larger than the size limit is it handed to dnspython, which compresses it as before: it is sent
if it then fits, else TC=1 with no records — so the truncation decisions stay dnspython's.
"""

from __future__ import annotations

import struct

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass

from hunter.sandbox.dns_zones import Authority, Record, Result

__all__ = ["SERVER_PAYLOAD", "render"]

SERVER_PAYLOAD = 1232     # the UDP size we advertise in our own OPT record
OPT = b"\x00\x00\x29" + SERVER_PAYLOAD.to_bytes(2, "big") + bytes(6)

_IN = dns.rdataclass.IN
_QR, _AA = 0x80, 0x04     # bits of header byte 2
_POINTER = b"\xc0\x0c"    # the question name, which starts right after the 12-byte header
_HEADER = struct.Struct("!HBBHHHH")
_QUESTION = struct.Struct("!HH")
_RR = struct.Struct("!HHIH")
_REFUSED = Result(dns.rcode.REFUSED)
_AUTHORITATIVE = (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)


def render(authority: Authority, qname: bytes, rdtype: int, rdclass: int, rd: int, *,
           limit: int, edns: bool) -> bytes:
    """The full reply (ID 0) to a question for ``qname``, lower-case wire form; TC=1 if it exceeds ``limit``."""
    result = authority.resolve(qname, rdtype) if rdclass == _IN else _REFUSED
    flags = _QR | rd
    if result.rcode in _AUTHORITATIVE:
        flags |= _AA
        answer, authorities = result.answer, result.authority
    else:
        answer = authorities = []
    parts = [b"", qname, _QUESTION.pack(rdtype, rdclass)]
    count_an = _records(parts, qname, answer)
    count_ns = _records(parts, qname, authorities)
    if edns:
        parts.append(OPT)
    parts[0] = _HEADER.pack(0, flags, result.rcode, 1, count_an, count_ns, 1 if edns else 0)
    wire = b"".join(parts)
    return wire if len(wire) <= limit else _compressed(wire, limit)


def _records(parts: list[bytes], qname: bytes, records: list[Record]) -> int:
    count = 0
    for owner, rrset in records:
        owner_wire = _POINTER if owner == qname else owner
        rdtype, ttl = rrset.rdtype, rrset.ttl
        for rdata in rrset.rdatas:
            parts += (owner_wire, _RR.pack(rdtype, _IN, ttl, len(rdata)), rdata)
        count += len(rrset.rdatas)
    return count


def _compressed(wire: bytes, limit: int) -> bytes:
    """An over-size reply compressed by dnspython: sent if it now fits, else TC=1 without records."""
    message = dns.message.from_wire(wire)
    try:
        return message.to_wire(max_size=limit)
    except dns.exception.TooBig:
        message.flags |= dns.flags.TC
        message.answer, message.authority = [], []
        return message.to_wire(max_size=limit)
