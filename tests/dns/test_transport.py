"""``Transport`` on its own: reply validation and network errors, against tiny local servers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import dns.message
import dns.name
import dns.rrset
import pytest

from hunter.dns import wire
from hunter.dns.lookup import Resolver
from hunter.dns.options import DnsOptions, Nameserver
from hunter.dns.transport import NetworkError, Timeout, Transport

Replies = Callable[[dns.message.Message], list[bytes]]
Serve = Callable[[Replies], Awaitable[Nameserver]]


class _Scripted(asyncio.DatagramProtocol):
    """Answers each query with the datagrams ``script`` makes from it, in order."""

    def __init__(self, script: Replies) -> None:
        self.script = script

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        for datagram in self.script(dns.message.from_wire(data)):
            self.transport.sendto(datagram, addr)  # type: ignore[attr-defined]


@pytest.fixture
async def scripted() -> AsyncIterator[Serve]:
    transports: list[asyncio.BaseTransport] = []

    async def serve(script: Replies) -> Nameserver:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Scripted(script),
                                                           local_addr=("127.0.0.1", 0))
        transports.append(transport)
        return Nameserver("127.0.0.1", transport.get_extra_info("sockname")[1])

    yield serve
    for transport in transports:
        transport.close()


def _answer(query: dns.message.Message, *, qname: str | None = None, qid: int | None = None,
            address: str = "192.0.2.1") -> bytes:
    reply = dns.message.make_response(query)
    if qname is not None:
        reply.question = [dns.rrset.RRset(dns.name.from_text(qname), 1, 1)]
    reply.answer.append(dns.rrset.from_text(query.question[0].name, 60, "IN", "A", address))
    if qid is not None:
        reply.id = qid
    return reply.to_wire()


async def test_replies_to_other_questions_or_ids_are_ignored(scripted: Serve) -> None:
    def script(query: dns.message.Message) -> list[bytes]:
        return [
            b"garbage",
            _answer(query, qname="forged.test.", address="192.0.2.66"),
            _answer(query, qid=(query.id + 1) % 65536, address="192.0.2.67"),
            query.to_wire(),                                    # QR=0: not a reply
            _answer(query),
        ]

    server = await scripted(script)
    transport = Transport(timeout=0.5)
    try:
        exchange = await transport.exchange(server, "example.test", wire.A)
    finally:
        await transport.aclose()
    assert exchange.via == "udp"
    assert [wire.record_text(r) for r in exchange.reply.answer] == ["192.0.2.1"]


async def test_many_queries_share_one_socket(scripted: Serve) -> None:
    server = await scripted(lambda query: [_answer(query)])
    transport = Transport(timeout=0.5)
    try:
        replies = await asyncio.gather(*(transport.exchange(server, f"n{i}.example.test", wire.A)
                                         for i in range(200)))
        assert len(transport._channels) == 1
    finally:
        await transport.aclose()
    assert [r.reply.question[0] for r in replies] == [f"n{i}.example.test" for i in range(200)]  # type: ignore[index]


async def test_silence_is_a_timeout(scripted: Serve) -> None:
    server = await scripted(lambda query: [])
    transport = Transport(timeout=0.05)
    try:
        with pytest.raises(Timeout, match="udp: timeout"):
            await transport.exchange(server, "example.test", wire.A)
    finally:
        await transport.aclose()


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_closed_port_is_a_network_error() -> None:
    transport = Transport(timeout=0.5)
    try:
        with pytest.raises(NetworkError, match="udp: network error"):
            await transport.exchange(Nameserver("127.0.0.1", _closed_port()), "example.test", wire.A)
    finally:
        await transport.aclose()


async def test_unencodable_name_is_an_error_answer_without_packets() -> None:
    opts = DnsOptions.from_addresses([f"127.0.0.1:{_closed_port()}"], timeout=0.05)
    async with Resolver(opts) as resolver:
        answer = await resolver.query("bücher.test", "A")
        assert resolver.metrics.total("sent") == 0
    assert answer.status == "error" and "invalid query name" in answer.errors[0]
