"""One round trip to one resolver: UDP first, TCP when the reply is truncated.

``Transport`` keeps ONE connected datagram endpoint per nameserver and multiplexes every
in-flight query over it by a random 16-bit message ID; a datagram is accepted only when its
ID is pending *and* ``wire.Reply.answers`` agrees (QR set, opcode QUERY, same question).
Anything else is ignored, so a late or forged reply cannot answer the wrong question.
Replies with TC=1 are asked again over TCP on a fresh connection.

Failures are raised as ``TransportError`` subclasses, all of them transient from the point of
view of the retry policy in ``dns.lookup``; rcodes NOERROR and NXDOMAIN are returned.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
from dataclasses import dataclass
from typing import Literal

from . import wire
from .options import Nameserver

__all__ = [
    "BadRcode", "BadResponse", "Exchange", "NetworkError", "Refused", "ServFail", "Timeout",
    "Transport", "TransportError",
]

Via = Literal["udp", "tcp"]
_RCVBUF = 4 * 1024 * 1024


class TransportError(Exception):
    """One exchange with one resolver failed; ``str()`` is ``"udp: timeout"`` style."""

    kind = "error"

    def __init__(self, via: Via, detail: str = "") -> None:
        self.via, self.detail = via, detail
        super().__init__(f"{via}: {self.kind}{': ' + detail if detail else ''}")


class Timeout(TransportError):
    kind = "timeout"


class ServFail(TransportError):
    kind = "servfail"


class Refused(TransportError):
    kind = "refused"


class BadRcode(TransportError):
    kind = "rcode"


class NetworkError(TransportError):
    kind = "network error"


class BadResponse(TransportError):
    kind = "bad response"


_RCODE_NAMES = {1: "FORMERR", 4: "NOTIMP", 6: "YXDOMAIN", 7: "YXRRSET", 8: "NXRRSET",
                9: "NOTAUTH", 10: "NOTZONE"}


@dataclass(frozen=True, slots=True)
class Exchange:
    reply: wire.Reply
    via: Via


def check_rcode(reply: wire.Reply, via: Via) -> wire.Reply:
    """Return a final reply (NOERROR, NXDOMAIN) or raise the matching transient error."""
    if reply.rcode in (0, 3):
        return reply
    if reply.rcode == 2:
        raise ServFail(via)
    if reply.rcode == 5:
        raise Refused(via)
    raise BadRcode(via, _RCODE_NAMES.get(reply.rcode, str(reply.rcode)))


class _UdpChannel(asyncio.DatagramProtocol):
    """A connected UDP socket to one nameserver and the queries waiting on it."""

    def __init__(self, nameserver: Nameserver) -> None:
        self.nameserver = nameserver
        self.transport: asyncio.DatagramTransport | None = None
        self.pending: dict[int, tuple[str, int, asyncio.Future[wire.Reply]]] = {}

    @property
    def closed(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        ns = self.nameserver
        transport, _ = await loop.create_datagram_endpoint(lambda: self, remote_addr=(ns.host, ns.port))
        sock = transport.get_extra_info("socket")
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        except OSError:
            pass  # a smaller buffer only costs drops under burst load
        self.transport = transport

    def free_id(self) -> int:
        for _ in range(64):
            qid = secrets.randbits(16)
            if qid not in self.pending:
                return qid
        raise NetworkError("udp", "no free query id")

    async def exchange(self, qid: int, query: bytes, name: str, rdtype: int,
                       timeout: float) -> wire.Reply:
        assert self.transport is not None
        loop = asyncio.get_running_loop()
        future: asyncio.Future[wire.Reply] = loop.create_future()
        self.pending[qid] = (name, rdtype, future)
        timer = loop.call_later(timeout, _expire, future)  # cheaper than asyncio.timeout()
        try:
            self.transport.sendto(query)
            return await future
        except OSError as exc:
            raise NetworkError("udp", _describe(exc)) from None
        finally:
            timer.cancel()
            self.pending.pop(qid, None)

    # asyncio.DatagramProtocol callbacks

    def datagram_received(self, data: bytes, addr: object) -> None:
        if len(data) < 12:
            return
        qid = int.from_bytes(data[:2], "big")
        entry = self.pending.get(qid)
        if entry is None or entry[2].done():
            return
        name, rdtype, future = entry
        try:
            reply = wire.decode(data)
        except wire.WireError:
            return  # garbage: let the query time out rather than trust it
        if reply.answers(qid, name, rdtype):
            future.set_result(reply)

    def error_received(self, exc: Exception) -> None:
        # ICMP errors on a connected socket cannot be tied to one query: fail them all.
        self._fail_all(NetworkError("udp", _describe(exc)))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail_all(NetworkError("udp", _describe(exc) if exc else "socket closed"))

    def _fail_all(self, error: TransportError) -> None:
        for _, _, future in self.pending.values():
            if not future.done():
                future.set_exception(error)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _expire(future: asyncio.Future[wire.Reply]) -> None:
    if not future.done():
        future.set_exception(Timeout("udp"))


def _describe(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__


class Transport:
    """Round trips to nameservers, sharing one UDP endpoint per nameserver per event loop."""

    def __init__(self, *, timeout: float, udp_payload: int = 1232) -> None:
        self.timeout = timeout
        self.udp_payload = udp_payload
        self._channels: dict[Nameserver, _UdpChannel] = {}
        self._opening: dict[Nameserver, asyncio.Task[_UdpChannel]] = {}

    async def exchange(self, nameserver: Nameserver, name: str, rdtype: int) -> Exchange:
        """Ask ``nameserver`` once (UDP, then TCP on TC=1); raise ``TransportError``."""
        channel = await self._channel(nameserver)
        qid = channel.free_id()
        try:
            query = wire.encode_query(qid, name, rdtype, payload=self.udp_payload)
        except wire.WireError as exc:
            raise BadResponse("udp", f"cannot encode query: {exc}") from None
        reply = await channel.exchange(qid, query, name, rdtype, self.timeout)
        if not reply.truncated:
            return Exchange(check_rcode(reply, "udp"), "udp")
        reply = await self._tcp(nameserver, qid, query, name, rdtype)
        return Exchange(check_rcode(reply, "tcp"), "tcp")

    async def _tcp(self, nameserver: Nameserver, qid: int, query: bytes, name: str,
                   rdtype: int) -> wire.Reply:
        try:
            async with asyncio.timeout(self.timeout):
                data = await _tcp_round_trip(nameserver, query)
        except TimeoutError:
            raise Timeout("tcp") from None
        except (OSError, asyncio.IncompleteReadError) as exc:
            raise NetworkError("tcp", _describe(exc)) from None
        try:
            reply = wire.decode(data)
        except wire.WireError as exc:
            raise BadResponse("tcp", str(exc)) from None
        if not reply.answers(qid, name, rdtype):
            raise BadResponse("tcp", "reply does not match the query")
        return reply

    async def _channel(self, nameserver: Nameserver) -> _UdpChannel:
        channel = self._channels.get(nameserver)
        if channel is not None and not channel.closed:
            return channel
        task = self._opening.get(nameserver)
        if task is None:
            task = asyncio.ensure_future(self._open(nameserver))
            self._opening[nameserver] = task
            task.add_done_callback(lambda _: self._opening.pop(nameserver, None))
        return await asyncio.shield(task)

    async def _open(self, nameserver: Nameserver) -> _UdpChannel:
        channel = _UdpChannel(nameserver)
        try:
            await channel.open()
        except OSError as exc:
            raise NetworkError("udp", _describe(exc)) from None
        self._channels[nameserver] = channel
        return channel

    async def aclose(self) -> None:
        for channel in self._channels.values():
            channel.close()
        self._channels.clear()
        for task in self._opening.values():
            task.cancel()
        await asyncio.sleep(0)  # let the transports run connection_lost


async def _tcp_round_trip(nameserver: Nameserver, query: bytes) -> bytes:
    """One length-prefixed query and reply over a fresh TCP connection (RFC 1035 §4.2.2)."""
    reader, writer = await asyncio.open_connection(nameserver.host, nameserver.port)
    try:
        writer.write(len(query).to_bytes(2, "big") + query)
        length = int.from_bytes(await reader.readexactly(2), "big")
        return await reader.readexactly(length)
    finally:
        writer.close()
