"""Sandbox authoritative DNS server: fixture zones over UDP and TCP on one loopback port.

Answers like an authoritative server (Knot is the reference for the fixture answers): AA=1,
NXDOMAIN vs NODATA with the zone SOA in AUTHORITY, CNAME chains followed through served
zones, RFC 4592 wildcards, REFUSED outside every zone, SERVFAIL for a "broken" zone; what the
zones say is worked out in ``dns_zones``, ``dns_render`` assembles the reply bytes, this module
reads queries and runs the sockets. UDP replies larger than the client's limit (512 without
EDNS) come back TC=1 with no records.

Fast path: replies are rendered by hand (no dnspython objects, about 3 us) once per (name,
type, class, size limit, EDNS, RD) as wire bytes with message ID 0 and a lower-case question,
kept in a bounded LRU cache (``response_cache_size``); each query only splices in its own ID
and question name.  Faults (``dns_faults.FaultPlan``) and ``latency`` are decided per query;
delays use ``loop.call_later`` so a slow answer never holds up another.  Zones are read
once at construction: build a new server to serve changed zones.

Run ``python -m hunter.sandbox.dns --zones DIR [--port 5353] [--latency 0.02] [--cache-size N]
[--max-qps N [--burst N] [--over-limit refused|drop]]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import functools
import ipaddress
import signal
import socket
import struct
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

import dns.name
import dns.rcode
import dns.rdatatype
import dns.zone

from hunter.sandbox import dns_render
from hunter.sandbox.dns_faults import Fault, FaultPlan, RateLimit, Transport
from hunter.sandbox.dns_zones import Authority, load_zone_dir, load_zone_file

__all__ = [
    "Fault", "FaultPlan", "RateLimit", "SandboxDns", "load_zone_dir", "load_zone_file", "running",
    "serve_forever",
]

_UDP_PLAIN = 512          # UDP reply limit without EDNS (RFC 1035)
_TCP_LIMIT = 65535
_CACHE_SIZE = 100_000     # default bound of the reply cache (least recently used go first)
_BIND_ATTEMPTS = 20
_RECEIVE_BUFFER = 1 << 21
_AA, _TC = 0x04, 0x02     # bits of header byte 2
_UNESCAPED = bytes(c for c in range(0x21, 0x7F) if c not in b'"();@$\\')  # as dnspython prints them


# --- wire format -----------------------------------------------------------------------

class _Query(NamedTuple):
    qname: bytes      # the question name in wire form, as asked
    qend: int         # offset just past the question section
    rdtype: int
    rdclass: int
    opcode: int
    rd: int           # the RD bit, 0 or 1
    payload: int      # client's EDNS UDP size (>= 512), 0 without EDNS


_HEADER = struct.Struct("!2xBxHHHH")
_QUESTION = struct.Struct("!HH")
_RR = struct.Struct("!HHIH")


def _parse(data: bytes) -> _Query | None:
    """The question of a query message, or ``None`` if it is malformed or not a query."""
    if len(data) < 17:
        return None
    flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(data)
    if flags & 0x80 or qdcount != 1:
        return None
    end = _skip_name(data, 12, pointers=False)
    if end is None or end + 4 > len(data):
        return None
    rdtype, rdclass = _QUESTION.unpack_from(data, end)
    payload = _edns_payload(data, end + 4, ancount + nscount, arcount)
    if payload < 0:
        return None
    return _Query(data[12:end], end + 4, rdtype, rdclass, (flags >> 3) & 0xF, flags & 1, payload)


def _skip_name(data: bytes, pos: int, *, pointers: bool) -> int | None:
    total = 0
    while pos < len(data):
        length = data[pos]
        if length == 0:
            return pos + 1
        if length & 0xC0:
            ok = pointers and length & 0xC0 == 0xC0 and pos + 2 <= len(data)
            return pos + 2 if ok else None
        total += length + 1
        if total > 254:
            return None
        pos += length + 1
    return None


def _edns_payload(data: bytes, pos: int, skip: int, additional: int) -> int:
    """Walk the records after the question: the OPT payload size, 0 if none, -1 if malformed."""
    payload = 0
    for index in range(skip + additional):
        end = _skip_name(data, pos, pointers=True)
        if end is None or end + 10 > len(data):
            return -1
        rrtype, rrclass, _ttl, rdlength = _RR.unpack_from(data, end)
        pos = end + 10 + rdlength
        if pos > len(data):
            return -1
        if rrtype == dns.rdatatype.OPT and index >= skip:
            payload = max(_UDP_PLAIN, rrclass)
    return payload


def _bare_reply(data: bytes, query: _Query, *, rcode: int, flags: int = 0) -> bytes:
    """A reply with only the question (as asked), built from the query bytes."""
    head = bytes((0x80 | (data[2] & 0x79) | flags, rcode))
    counts = b"\x00\x01\x00\x00\x00\x00" + (b"\x00\x01" if query.payload else b"\x00\x00")
    return data[:2] + head + counts + data[12:query.qend] + (dns_render.OPT if query.payload else b"")


def _text(wire: bytes) -> str:
    """A wire-form name as dnspython writes it without the final dot; plain names skip dnspython."""
    labels, pos = [], 0
    while length := wire[pos]:
        labels.append(wire[pos + 1:pos + 1 + length])
        pos += length + 1
    joined = b".".join(labels)
    if labels and not joined.translate(None, _UNESCAPED) and joined.count(b".") == len(labels) - 1:
        return joined.decode("ascii")
    return dns.name.from_wire(wire, 0)[0].to_text(omit_final_dot=True)  # escapes, or the root


@functools.cache
def _type_text(rdtype: int) -> str:
    return dns.rdatatype.to_text(rdtype)


# --- the server ------------------------------------------------------------------------

def _check_host(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"sandbox DNS binds an IP literal, got {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"sandbox DNS binds loopback only (127.0.0.0/8 or ::1), got {host!r}")
    return str(address)


_WireKey = tuple[bytes, int, int, int, int, int]   # (lower-case qname, type, class, limit, EDNS, RD)


class SandboxDns:
    """Authoritative server for ``zones`` on ``host``, UDP and TCP on the same port.

    ``response_cache_size`` bounds the rendered replies kept (least recently used dropped first)
    and the query names remembered as text.
    """

    def __init__(self, zones: Iterable[dns.zone.Zone], *, host: str = "127.0.0.1", port: int = 0,
                 faults: FaultPlan | None = None, broken_zones: Iterable[str] = (),
                 latency: float = 0.0, response_cache_size: int = _CACHE_SIZE,
                 record_stats: bool = True) -> None:
        if response_cache_size < 1:
            raise ValueError(f"response_cache_size must be at least 1, got {response_cache_size}")
        self.host = _check_host(host)
        self.faults = faults if faults is not None else FaultPlan()
        self.latency = latency
        self.stats: Counter[tuple[str, str, str]] = Counter()
        self._record_stats = record_stats    # off for long-running servers: one entry per name asked
        self._authority = Authority(zones, broken_zones)
        self._wanted_port = port
        self._port = 0
        self._cache_size = response_cache_size
        self._wires: OrderedDict[_WireKey, bytes] = OrderedDict()
        self._names: dict[bytes, str] = {}
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._connections: set[asyncio.Transport] = set()

    @property
    def port(self) -> int:
        return self._port

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self._port}"

    @property
    def cached_replies(self) -> int:
        """Rendered replies held now; never more than ``response_cache_size``."""
        return len(self._wires)

    async def __aenter__(self) -> SandboxDns:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind UDP (on ``port``, or a free one), then TCP on the same number."""
        if self._udp is not None:
            raise RuntimeError("sandbox DNS already started")
        loop = asyncio.get_running_loop()
        for _ in range(_BIND_ATTEMPTS):
            udp, _protocol = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=(self.host, self._wanted_port))
            port = udp.get_extra_info("sockname")[1]
            try:
                self._tcp = await loop.create_server(lambda: _TcpProtocol(self), self.host, port)
            except OSError as error:
                udp.close()
                if error.errno != errno.EADDRINUSE or self._wanted_port:
                    raise
                continue
            self._udp, self._port = udp, port
            _enlarge_receive_buffer(udp)
            return
        raise OSError(errno.EADDRINUSE, f"no port free for both UDP and TCP on {self.host}")

    async def stop(self) -> None:
        """Close the listeners and every open TCP connection; safe to call twice."""
        if self._tcp is not None:
            self._tcp.close()
            for connection in list(self._connections):
                connection.close()
            await self._tcp.wait_closed()
            self._tcp = None
        if self._udp is not None:
            self._udp.close()
            self._udp = None

    def handle(self, data: bytes, transport: Transport) -> tuple[bytes, float] | None:
        """The reply to one message and how long to hold it; ``None`` means stay silent."""
        query = _parse(data)
        if query is None:
            return None
        if query.opcode != 0:
            return _bare_reply(data, query, rcode=dns.rcode.NOTIMP), 0.0
        lower = query.qname.lower()
        name, rdtype = self._name_text(lower), _type_text(query.rdtype)
        if self._record_stats:
            self.stats[(name, rdtype, transport)] += 1
        fault = self.faults.match(name, rdtype, transport)
        if fault is None:
            return self._answer(data, query, lower, transport), self.latency
        return self._faulted(data, query, lower, transport, fault)

    def _faulted(self, data: bytes, query: _Query, lower: bytes, transport: Transport,
                 fault: Fault) -> tuple[bytes, float] | None:
        if fault.kind == "drop":
            return None
        if fault.kind == "delay":
            return self._answer(data, query, lower, transport), self.latency + fault.delay
        if fault.kind == "truncate":
            return _bare_reply(data, query, rcode=dns.rcode.NOERROR, flags=_AA | _TC), self.latency
        rcode = dns.rcode.SERVFAIL if fault.kind == "servfail" else dns.rcode.REFUSED
        return _bare_reply(data, query, rcode=rcode), self.latency

    def _answer(self, data: bytes, query: _Query, lower: bytes, transport: Transport) -> bytes:
        limit = _TCP_LIMIT if transport == "tcp" else query.payload or _UDP_PLAIN
        key = (lower, query.rdtype, query.rdclass, limit, query.payload, query.rd)
        wires = self._wires
        wire = wires.get(key)
        if wire is not None:
            wires.move_to_end(key)
        else:
            wire = wires[key] = dns_render.render(self._authority, lower, query.rdtype, query.rdclass,
                                                  query.rd, limit=limit, edns=query.payload > 0)
            if len(wires) > self._cache_size:
                wires.popitem(last=False)
        end = 12 + len(lower)
        return data[:2] + wire[2:12] + data[12:end] + wire[end:]

    def _name_text(self, lower: bytes) -> str:
        text = self._names.get(lower)
        if text is None:
            if len(self._names) >= self._cache_size:
                self._names.clear()  # cheap to rebuild: a name is only turned into text
            text = self._names[lower] = _text(lower)
        return text


def _enlarge_receive_buffer(udp: asyncio.DatagramTransport) -> None:
    """Room for bursts of queries (best effort: the kernel caps it at rmem_max)."""
    sock = udp.get_extra_info("socket")
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RECEIVE_BUFFER)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: SandboxDns) -> None:
        self._server = server
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        outcome = self._server.handle(data, "udp")
        if outcome is None:
            return
        reply, delay = outcome
        if delay > 0:
            self._loop.call_later(delay, self._send, reply, addr)
        else:
            self._send(reply, addr)

    def _send(self, reply: bytes, addr: tuple[str | int, ...]) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors from clients that went away are not our problem."""


class _TcpProtocol(asyncio.Protocol):
    def __init__(self, server: SandboxDns) -> None:
        self._server = server
        self._loop = asyncio.get_running_loop()
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._server._connections.add(self._transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server._connections.discard(self._transport)  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= 2:
            size = int.from_bytes(self._buffer[:2], "big")
            if len(self._buffer) < 2 + size:
                return
            message = bytes(self._buffer[2:2 + size])
            del self._buffer[:2 + size]
            self._reply(message)

    def _reply(self, message: bytes) -> None:
        outcome = self._server.handle(message, "tcp")
        if outcome is None:
            return
        reply, delay = outcome
        if delay > 0:
            self._loop.call_later(delay, self._send, reply)
        else:
            self._send(reply)

    def _send(self, reply: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(len(reply).to_bytes(2, "big") + reply)


# --- ways to run it --------------------------------------------------------------------

@contextlib.contextmanager
def running(zones: Iterable[dns.zone.Zone], **kw: object) -> Iterator[SandboxDns]:
    """Run a ``SandboxDns(zones, **kw)`` on its own event loop in a daemon thread."""
    sandbox = SandboxDns(zones, **kw)  # type: ignore[arg-type]
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="sandbox-dns", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(sandbox.start(), loop).result(timeout=10)
        yield sandbox
    finally:
        asyncio.run_coroutine_threadsafe(sandbox.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


def serve_forever(zone_dir: str | Path, *, host: str = "127.0.0.1", port: int = 5353,
                  latency: float = 0.0, broken_zones: Iterable[str] = (),
                  faults: FaultPlan | None = None, response_cache_size: int = _CACHE_SIZE,
                  announce: Callable[[str], object] = print) -> None:
    """Serve every zone file in ``zone_dir`` until Ctrl-C; ``faults=None`` means the fixture ones.
    With a rate limit in ``faults``, one line at the end says how many queries it let through."""
    sandbox = SandboxDns(load_zone_dir(zone_dir), host=host, port=port, latency=latency,
                         broken_zones=tuple(broken_zones), response_cache_size=response_cache_size,
                         faults=faults if faults is not None else FaultPlan.fixture_defaults(),
                         record_stats=False)   # runs for hours: per-name counters would only grow
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(sandbox, announce))
    limit = sandbox.faults.rate_limit
    if limit is not None:
        announce(f"rate limit {limit.qps:g} qps: answered {sum(limit.answered.values())}, "
                 f"limited {limit.limited}, busiest second {limit.busiest_second()}")


async def _serve(sandbox: SandboxDns, announce: Callable[[str], object]) -> None:
    """Serve until SIGTERM or SIGINT (a process started in the background inherits an ignored
    SIGINT: the benchmarks stop their server with SIGTERM, and it still says what it served)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):   # Windows, not main thread
            loop.add_signal_handler(signum, stop.set)
    async with sandbox:
        announce(f"sandbox DNS listening on {sandbox.address} (udp+tcp)")
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hunter.sandbox.dns", description=__doc__.split("\n")[0])
    parser.add_argument("--zones", required=True, type=Path, help="directory of *.zone files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5353, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--broken", action="append", default=[], metavar="ZONE",
                        help="serve ZONE as broken (SERVFAIL); repeatable")
    parser.add_argument("--no-faults", action="store_true", help="ignore the faults.test fixture faults")
    parser.add_argument("--cache-size", type=int, default=_CACHE_SIZE, metavar="N",
                        help=f"rendered replies kept, least recently used dropped first (default {_CACHE_SIZE})")
    parser.add_argument("--max-qps", type=float, default=0, metavar="N",
                        help="answer at most N queries a second (token bucket), as a public resolver limits a client")
    parser.add_argument("--burst", type=float, default=None, metavar="N",
                        help="tokens the bucket holds (default a tenth of a second's worth)")
    parser.add_argument("--over-limit", choices=("refused", "drop"), default="refused",
                        help="what a query above the limit gets (default REFUSED)")
    args = parser.parse_args(argv)
    faults = FaultPlan() if args.no_faults else FaultPlan.fixture_defaults()
    if args.max_qps:
        faults.rate_limit = RateLimit(args.max_qps, burst=args.burst, action=args.over_limit)
    serve_forever(args.zones, host=args.host, port=args.port, latency=args.latency,
                  broken_zones=args.broken, faults=faults,
                  response_cache_size=args.cache_size,
                  announce=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
