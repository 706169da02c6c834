"""DNS wire format for the hot path: encode a query, decode a reply.  Pure: no I/O.

dnspython's ``Message`` spends ~150 µs building and parsing one small message; at thousands
of queries per second that is the whole CPU budget.  This module does only what Hunter
needs: a query exactly as ``dns.message.make_query(name, type, use_edns=0,
payload=..., flags=RD)`` would encode it (tests check the bytes match), and a reply cut
into header, question and resource records whose names are lower-case text.  Rdata is
turned into text lazily, only for the records an ``Answer`` keeps (``record_text``), in
dnspython's ``to_text()`` form; types without a fast path go through dnspython itself.
"""

from __future__ import annotations

import re
import socket
import struct
from dataclasses import dataclass

import dns.rdata
import dns.rdataclass
import dns.rdatatype

__all__ = ["Record", "Reply", "WireError", "decode", "encode_query", "record_text"]

_HEADER = struct.Struct("!HHHHHH")
_RR_FIXED = struct.Struct("!HHIH")
_QD_FIXED = struct.Struct("!HH")
FLAG_QR, FLAG_TC, FLAG_RD = 0x8000, 0x0200, 0x0100
_OPCODE_MASK = 0x7800
_MAY_OMIT_QUESTION = frozenset({1, 2, 4, 5})   # FORMERR, SERVFAIL, NOTIMP, REFUSED
CLASS_IN = 1
_ESCAPED = frozenset(b'"().;\\@$')
_NEEDS_ESCAPE = re.compile(r'[^\x21-\x7e]|["();\\@$]')
_MAX_POINTERS = 64

A, NS, CNAME, SOA, PTR, MX, TXT, AAAA, SRV, OPT = 1, 2, 5, 6, 12, 15, 16, 28, 33, 41


class WireError(ValueError):
    """The bytes are not a well-formed DNS message (or the name cannot be encoded)."""


@dataclass(frozen=True, slots=True)
class Record:
    name: str           # lower-case, no trailing dot ("" is the root)
    rdtype: int
    rdclass: int
    ttl: int
    wire: bytes         # the whole message: rdata may point into it (compression)
    offset: int         # where the rdata starts
    length: int


@dataclass(frozen=True, slots=True)
class Reply:
    id: int
    flags: int
    rcode: int
    question: tuple[str, int, int] | None     # (name, rdtype, rdclass)
    answer: tuple[Record, ...]
    authority: tuple[Record, ...]

    @property
    def truncated(self) -> bool:
        return bool(self.flags & FLAG_TC)

    def answers(self, qid: int, name: str, rdtype: int) -> bool:
        """Is this a reply to query ``qid`` for (name, rdtype, IN)?  Like dnspython's
        ``is_response``: QR set, opcode QUERY, same question; an error rcode may omit it."""
        if self.id != qid or not self.flags & FLAG_QR or self.flags & _OPCODE_MASK:
            return False
        if self.question is None:
            return self.rcode in _MAY_OMIT_QUESTION
        return self.question == (canonical(name), rdtype, CLASS_IN)


def canonical(name: str) -> str:
    """``name`` as ``read_name`` gives it back from the wire: lower-case, dnspython escapes
    (a space is ``\\032``).  Query names are plain text; owner names in replies are escaped."""
    plain = name.lower().rstrip(".")
    if not _NEEDS_ESCAPE.search(plain):
        return plain  # the common case: nothing to escape
    return read_name(encode_name(plain), 0)[0]


def encode_name(name: str) -> bytes:
    """``"mail.example.com"`` -> length-prefixed labels ending with the root label."""
    out = bytearray()
    for label in name.rstrip(".").split(".") if name.strip(".") else ():
        try:
            raw = label.encode("ascii")
        except UnicodeEncodeError:
            raise WireError(f"name is not ASCII (IDNA A-labels expected): {name!r}") from None
        if not 0 < len(raw) < 64:
            raise WireError(f"invalid label {label!r} in {name!r}")
        out.append(len(raw))
        out += raw
    out.append(0)
    if len(out) > 255:
        raise WireError(f"name too long: {name!r}")
    return bytes(out)


def encode_query(qid: int, name: str, rdtype: int, *, payload: int = 1232) -> bytes:
    """A recursive (RD=1) query with one EDNS0 OPT record advertising ``payload``."""
    header = _HEADER.pack(qid, FLAG_RD, 1, 0, 0, 1)
    opt = b"\x00" + _RR_FIXED.pack(OPT, payload, 0, 0)
    return header + encode_name(name) + _QD_FIXED.pack(rdtype, CLASS_IN) + opt


def read_name(wire: bytes, offset: int) -> tuple[str, int]:
    """Decode a (possibly compressed) name at ``offset``; returns (text, offset after it)."""
    labels: list[str] = []
    end = -1
    jumps = 0
    while True:
        if offset >= len(wire):
            raise WireError("name runs past the end of the message")
        length = wire[offset]
        if length >= 0xC0:
            if offset + 1 >= len(wire) or jumps > _MAX_POINTERS:
                raise WireError("bad compression pointer")
            if end < 0:
                end = offset + 2
            offset = ((length & 0x3F) << 8) | wire[offset + 1]
            jumps += 1
            continue
        if length > 63:
            raise WireError("bad label length")
        if length == 0:
            return ".".join(labels), (end if end >= 0 else offset + 1)
        labels.append(_label_text(wire[offset + 1:offset + 1 + length]))
        offset += 1 + length


def _label_text(raw: bytes) -> str:
    """One label as dnspython writes it, lower-cased (ASCII only, like DNS comparison)."""
    raw = raw.lower()
    if raw.isalnum() or all(0x20 < c < 0x7F and c not in _ESCAPED for c in raw):
        return raw.decode("ascii")
    return "".join(_escape(c) for c in raw)


def _escape(c: int) -> str:
    if c in _ESCAPED:
        return "\\" + chr(c)
    return chr(c) if 0x20 < c < 0x7F else f"\\{c:03d}"


def decode(wire: bytes) -> Reply:
    """Split a reply into header, question, answer and authority; raise ``WireError``."""
    if len(wire) < 12:
        raise WireError("message shorter than a DNS header")
    qid, flags, qdcount, ancount, nscount, _ = _HEADER.unpack_from(wire)
    offset, question = 12, None
    try:
        for _ in range(qdcount):
            qname, offset = read_name(wire, offset)
            qtype, qclass = _QD_FIXED.unpack_from(wire, offset)
            offset += 4
            question = question or (qname, qtype, qclass)
        answer, offset = _records(wire, offset, ancount)
        authority, offset = _records(wire, offset, nscount)
    except struct.error:
        raise WireError("message truncated inside a record") from None
    return Reply(qid, flags, flags & 0x000F, question, answer, authority)


def _records(wire: bytes, offset: int, count: int) -> tuple[tuple[Record, ...], int]:
    records = []
    for _ in range(count):
        name, offset = read_name(wire, offset)
        rdtype, rdclass, ttl, length = _RR_FIXED.unpack_from(wire, offset)
        offset += 10
        if offset + length > len(wire):
            raise WireError("rdata runs past the end of the message")
        records.append(Record(name, rdtype, rdclass, ttl & 0x7FFFFFFF, wire, offset, length))
        offset += length
    return tuple(records), offset


def target(record: Record) -> str:
    """The name in a CNAME/NS/PTR record (lower-case, no trailing dot)."""
    return read_name(record.wire, record.offset)[0]


def soa_minimum(record: Record) -> int:
    """The MINIMUM field: the last 32 bits of SOA rdata."""
    return int.from_bytes(record.wire[record.offset + record.length - 4:record.offset + record.length], "big")


def record_text(record: Record) -> str:
    """Rdata text as Hunter keeps it: dnspython's ``to_text()`` lower-cased; TXT decoded and
    joined (UTF-8, errors replaced)."""
    wire, start, end = record.wire, record.offset, record.offset + record.length
    if record.rdtype == TXT:
        return _txt(wire[start:end])
    if record.rdtype == A and record.length == 4:
        return socket.inet_ntop(socket.AF_INET, wire[start:end])
    if record.rdtype in (CNAME, NS, PTR):
        return read_name(wire, start)[0] + "."
    if record.rdtype == MX and record.length >= 3:
        return f"{int.from_bytes(wire[start:start + 2], 'big')} {read_name(wire, start + 2)[0]}."
    rdata = dns.rdata.from_wire(dns.rdataclass.RdataClass(record.rdclass),
                                dns.rdatatype.RdataType(record.rdtype), wire, start, record.length)
    return rdata.to_text().lower()


def _txt(rdata: bytes) -> str:
    parts, offset = [], 0
    while offset < len(rdata):
        length = rdata[offset]
        parts.append(rdata[offset + 1:offset + 1 + length])
        offset += 1 + length
    return b"".join(parts).decode("utf-8", errors="replace")
