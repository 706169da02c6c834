"""The sandbox DNS server answers like the reference server and misbehaves on request."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest

from hunter.sandbox.dns import (
    Fault, FaultPlan, SandboxDns, load_zone_dir, load_zone_file, running,
)
from hunter.sandbox.dns_zones import Authority, wire_key

SHARED = Path(os.environ.get("HUNTER_SHARED_DIR") or Path(__file__).resolve().parents[3] / "shared")
ZONE_DIR = SHARED / "data" / "dns" / "zones"
EXPECTED = json.loads((SHARED / "data" / "dns" / "expected-answers.json").read_text())["queries"]
HOST = "127.0.0.1"


@pytest.fixture(scope="module")
def zones() -> list[dns.zone.Zone]:
    return load_zone_dir(ZONE_DIR)


@pytest.fixture(scope="module")
def threaded(zones: list[dns.zone.Zone]) -> Iterator[SandboxDns]:
    with running(zones, broken_zones=("broken.test",)) as sandbox:
        yield sandbox


@pytest.fixture
async def sandbox(zones: list[dns.zone.Zone]) -> AsyncIterator[SandboxDns]:
    async with SandboxDns(zones, broken_zones=("broken.test",)) as server:
        yield server


def query(name: str, rdtype: str, *, edns: int | bool = False, payload: int = 1232,
          rd: bool = True) -> dns.message.Message:
    message = dns.message.make_query(name, rdtype, use_edns=edns, payload=payload)
    if not rd:
        message.flags &= ~dns.flags.RD
    return message


async def udp(server: SandboxDns, message: dns.message.Message, timeout: float = 2.0) -> dns.message.Message:
    return await dns.asyncquery.udp(message, HOST, port=server.port, timeout=timeout)


async def tcp(server: SandboxDns, message: dns.message.Message, timeout: float = 2.0) -> dns.message.Message:
    return await dns.asyncquery.tcp(message, HOST, port=server.port, timeout=timeout)


def answers(response: dns.message.Message) -> set[str]:
    """Answer RRsets as the expected-answers file writes them: "owner TYPE rdata | rdata"."""
    return {
        f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)} " + " | ".join(sorted(r.to_text() for r in rrset))
        for rrset in response.answer
    }


def has_soa(response: dns.message.Message) -> bool:
    return any(rrset.rdtype == dns.rdatatype.SOA for rrset in response.authority)


def summary(response: dns.message.Message) -> tuple[str, bool, set[str], bool]:
    aa = bool(response.flags & dns.flags.AA)
    return dns.rcode.to_text(response.rcode()), aa, answers(response), has_soa(response)


# --- the reference answers -------------------------------------------------------------

@pytest.mark.parametrize("transport", ["tcp", "udp"])
@pytest.mark.parametrize("entry", EXPECTED, ids=lambda e: f"{e['qname']}{e['qtype']}")
def test_expected_answers(threaded: SandboxDns, entry: dict, transport: str) -> None:
    message = query(entry["qname"], entry["qtype"], edns=0, payload=4096, rd=False)
    send = dns.query.tcp if transport == "tcp" else dns.query.udp
    response = send(message, HOST, port=threaded.port, timeout=2)
    expected = (entry["rcode"], entry["aa"], set(entry["answer"]), entry["authority_soa"])
    assert summary(response) == expected
    assert not response.flags & (dns.flags.RA | dns.flags.TC)


def test_every_fixture_zone_is_covered(zones: list[dns.zone.Zone]) -> None:
    origins = {zone.origin for zone in zones} - {dns.name.from_text("faults.test")}
    asked = [dns.name.from_text(entry["qname"]) for entry in EXPECTED]
    assert all(any(name.is_subdomain(origin) for name in asked) for origin in origins)


def dnspython_reply(authority: Authority, message: dns.message.Message, limit: int) -> dns.message.Message:
    """The reply as the server rendered it before the hand-written renderer: the same records, dnspython's renderer."""
    question = message.question[0]
    result = authority.resolve(wire_key(question.name), question.rdtype)
    reply = dns.message.make_response(message, our_payload=1232)
    reply.set_rcode(result.rcode)
    reply.flags |= dns.flags.AA if result.rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) else 0
    for section, records in ((reply.answer, result.answer), (reply.authority, result.authority)):
        for owner, rrset in records:
            name = question.name if owner == wire_key(question.name) else dns.name.from_wire(owner, 0)[0]
            rdatas = [dns.rdata.from_wire(dns.rdataclass.IN, rrset.rdtype, r, 0, len(r)) for r in rrset.rdatas]
            section.append(dns.rrset.from_rdata_list(name, rrset.ttl, rdatas))
    try:
        return dns.message.from_wire(reply.to_wire(max_size=limit))
    except dns.exception.TooBig:
        reply.flags |= dns.flags.TC
        reply.answer, reply.authority = [], []
        return dns.message.from_wire(reply.to_wire(max_size=limit))


def ttls(message: dns.message.Message) -> list[list[tuple[str, int, int]]]:
    return [[(r.name.to_text().lower(), r.rdtype, r.ttl) for r in section] for section in message.sections]


@pytest.mark.parametrize("entry", EXPECTED, ids=lambda e: f"{e['qname']}{e['qtype']}")
def test_hand_rendered_reply_has_the_rrsets_dnspython_renders(zones: list[dns.zone.Zone], entry: dict) -> None:
    """Same header, rrsets, TTLs, EDNS and truncation as dnspython's renderer, for every reference query."""
    server, authority = SandboxDns(zones, broken_zones=("broken.test",)), Authority(zones, ["broken.test"])
    for name in (entry["qname"], entry["qname"].upper()):
        for edns, payload, transport, limit in ((False, 0, "udp", 512), (0, 4096, "udp", 4096),
                                                (0, 1232, "tcp", 65535)):
            message = query(name, entry["qtype"], edns=edns, payload=payload or 1232)
            reply = dns.message.from_wire(server.handle(message.to_wire(), transport)[0])
            expected = dnspython_reply(authority, message, limit)
            assert reply == expected and reply.question[0].name.to_text() == message.question[0].name.to_text()
            assert (reply.flags, reply.rcode(), reply.edns, reply.payload) == (
                expected.flags, expected.rcode(), expected.edns, expected.payload)
            assert ttls(reply) == ttls(expected)


async def test_names_with_escapes_and_any_case() -> None:
    """Labels holding spaces, dots, '%' or non-ASCII bytes match byte for byte, ASCII letters in any case."""
    zone = dns.zone.from_text("@ 60 IN SOA ns host 1 2 3 4 5\n@ 60 IN NS ns\n"
                              'macro%percent\\032\\032space 60 IN TXT "spaces"\n\\200\\255 60 IN A 192.0.2.1\n'
                              "A\\.b 60 IN A 192.0.2.2\n", origin="esc.test.")
    async with SandboxDns([zone]) as server:
        spaced = await udp(server, query("MACRO%Percent\\032\\032space.esc.test", "TXT"))
        assert answers(spaced) == {'MACRO%Percent\\032\\032space.esc.test. TXT "spaces"'}
        assert answers(await udp(server, query("\\200\\255.ESC.test", "A"))) == {"\\200\\255.ESC.test. A 192.0.2.1"}
        assert answers(await udp(server, query("a\\.B.esc.test", "A"))) == {"a\\.B.esc.test. A 192.0.2.2"}
        assert (await udp(server, query("a.b.esc.test", "A"))).rcode() == dns.rcode.NXDOMAIN
        assert (await udp(server, query("\\201\\255.esc.test", "A"))).rcode() == dns.rcode.NXDOMAIN
        assert server.stats[("macro%percent\\032\\032space.esc.test", "TXT", "udp")] == 1
        assert server.stats[("a\\.b.esc.test", "A", "udp")] == 1


# --- protocol behaviour ----------------------------------------------------------------

async def test_udp_and_tcp_give_the_same_answer(sandbox: SandboxDns) -> None:
    message = query("www.m365-tenant.test", "A")
    assert summary(await udp(sandbox, message)) == summary(await tcp(sandbox, message))


async def test_same_port_for_udp_and_tcp_and_address(sandbox: SandboxDns) -> None:
    assert sandbox.port > 0
    assert sandbox.address == f"127.0.0.1:{sandbox.port}"


async def test_big_txt_truncated_over_plain_udp_full_over_tcp(sandbox: SandboxDns) -> None:
    plain = await udp(sandbox, query("big.edgecases.test", "TXT"))
    assert plain.flags & dns.flags.TC and not plain.answer
    small_edns = await udp(sandbox, query("big.edgecases.test", "TXT", edns=0, payload=512))
    assert small_edns.flags & dns.flags.TC and not small_edns.answer
    large_edns = await udp(sandbox, query("big.edgecases.test", "TXT", edns=0, payload=4096))
    assert not large_edns.flags & dns.flags.TC and len(large_edns.answer[0]) == 7
    full = await tcp(sandbox, query("big.edgecases.test", "TXT"))
    assert not full.flags & dns.flags.TC and len(full.answer[0]) == 7
    assert sandbox.stats[("big.edgecases.test", "TXT", "udp")] == 3
    assert sandbox.stats[("big.edgecases.test", "TXT", "tcp")] == 1


async def test_nxdomain_and_nodata_both_carry_the_soa(sandbox: SandboxDns) -> None:
    nx = await udp(sandbox, query("nope.gworkspace.test", "A"))
    nodata = await udp(sandbox, query("nomx.edgecases.test", "MX"))
    assert (nx.rcode(), nodata.rcode()) == (dns.rcode.NXDOMAIN, dns.rcode.NOERROR)
    assert not nx.answer and not nodata.answer and has_soa(nx) and has_soa(nodata)
    empty_non_terminal = await udp(sandbox, query("_domainkey.gworkspace.test", "TXT"))
    assert empty_non_terminal.rcode() == dns.rcode.NOERROR and has_soa(empty_non_terminal)


async def test_wildcard_owner_is_the_qname(sandbox: SandboxDns) -> None:
    response = await udp(sandbox, query("a.b.wild.edgecases.test", "TXT"))
    assert answers(response) == {'a.b.wild.edgecases.test. TXT "wildcard-match"'}
    nodata = await udp(sandbox, query("a.wild.edgecases.test", "MX"))
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer and has_soa(nodata)


async def test_cname_chain_in_zone_and_leaving_it(sandbox: SandboxDns) -> None:
    chain = await udp(sandbox, query("alias1.edgecases.test", "TXT"))
    assert [r.name.to_text() for r in chain.answer] == [
        "alias1.edgecases.test.", "alias2.edgecases.test.", "target.edgecases.test."]
    outside = await udp(sandbox, query("autodiscover.gateway-m365.test", "A"))
    assert outside.rcode() == dns.rcode.NOERROR and not has_soa(outside)
    assert answers(outside) == {"autodiscover.gateway-m365.test. CNAME autodiscover.outlook.com."}


async def test_refused_outside_zones_and_servfail_for_broken(sandbox: SandboxDns) -> None:
    refused = await udp(sandbox, query("example.com", "A"))
    broken = await udp(sandbox, query("deep.name.broken.test", "MX"))
    assert refused.rcode() == dns.rcode.REFUSED and broken.rcode() == dns.rcode.SERVFAIL
    assert not refused.flags & dns.flags.AA and not broken.flags & dns.flags.AA


async def test_question_case_id_and_rd_echoed(sandbox: SandboxDns) -> None:
    await udp(sandbox, query("www.m365-tenant.test", "A"))  # warm the cache with lower case
    message = query("WwW.M365-Tenant.TEST", "A", rd=False)
    response = await udp(sandbox, message)
    assert response.id == message.id and response.question[0].name.to_text() == "WwW.M365-Tenant.TEST."
    assert not response.flags & (dns.flags.RD | dns.flags.RA)
    assert (await udp(sandbox, query("www.m365-tenant.test", "A"))).flags & dns.flags.RD
    assert sandbox.stats[("www.m365-tenant.test", "A", "udp")] == 3


async def test_root_zone_serves_any_name_longest_suffix_wins(zones: list[dns.zone.Zone]) -> None:
    root = dns.zone.from_text("@ 60 IN SOA ns. host. 1 2 3 4 5\n@ 60 IN NS ns.\n"
                              "example.com. 60 IN A 192.0.2.1\nalias.org. 60 IN CNAME example.com.\n",
                              origin=".")
    async with SandboxDns([root, *zones]) as server:
        assert answers(await udp(server, query("alias.org", "A"))) == {
            "alias.org. CNAME example.com.", "example.com. A 192.0.2.1"}
        assert (await udp(server, query("other.net", "A"))).rcode() == dns.rcode.NXDOMAIN
        assert answers(await udp(server, query("edgecases.test", "A"))) == {"edgecases.test. A 192.0.2.80"}


async def test_relativized_zone_served_with_absolute_names() -> None:
    zone = dns.zone.from_text("@ 60 IN SOA ns host 1 2 3 4 5\n@ 60 IN NS ns\nns 60 IN A 127.0.0.1\n"
                              "mx 60 IN MX 10 ns\nwww 60 IN CNAME ns\n", origin="rel.test.")
    async with SandboxDns([zone]) as server:
        assert answers(await udp(server, query("mx.rel.test", "MX"))) == {"mx.rel.test. MX 10 ns.rel.test."}
        assert len((await udp(server, query("www.rel.test", "A"))).answer) == 2


def test_load_zone_file_origin_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "named.test.zone"
    path.write_text("@ 60 IN SOA ns1 host 1 2 3 4 5\n@ 60 IN NS ns1\nns1 60 IN A 127.0.0.1\n")
    assert load_zone_file(path).origin.to_text() == "named.test."
    assert load_zone_file(ZONE_DIR / "parked.test.zone").origin.to_text() == "parked.test."


# --- faults ------------------------------------------------------------------------------

async def test_fault_kinds(sandbox: SandboxDns) -> None:
    sandbox.faults.set("gworkspace.test", Fault("servfail"))
    sandbox.faults.set("www.gworkspace.test.", Fault("refused"))
    sandbox.faults.set(("zoho-co.test", "TXT"), Fault("truncate"))
    sandbox.faults.set("parked.test", Fault("drop"))
    assert (await udp(sandbox, query("GWorkspace.test", "A"))).rcode() == dns.rcode.SERVFAIL
    assert (await udp(sandbox, query("www.gworkspace.test", "A"))).rcode() == dns.rcode.REFUSED
    truncated = await udp(sandbox, query("zoho-co.test", "TXT"))
    assert truncated.flags & dns.flags.TC and not truncated.answer
    assert len((await tcp(sandbox, query("zoho-co.test", "TXT"))).answer) == 1
    assert not (await udp(sandbox, query("zoho-co.test", "MX"))).flags & dns.flags.TC
    with pytest.raises(dns.exception.Timeout):
        await udp(sandbox, query("parked.test", "A"), timeout=0.3)
    sandbox.faults.clear()
    assert (await udp(sandbox, query("parked.test", "A"))).answer


async def test_times_n_then_normal_answers(sandbox: SandboxDns) -> None:
    sandbox.faults.set("selfhosted.test", Fault("servfail", times=2))
    rcodes = [(await udp(sandbox, query("selfhosted.test", "A"))).rcode() for _ in range(3)]
    assert rcodes == [dns.rcode.SERVFAIL, dns.rcode.SERVFAIL, dns.rcode.NOERROR]
    assert sandbox.stats[("selfhosted.test", "A", "udp")] == 3


async def test_suffix_fault_covers_a_whole_domain(sandbox: SandboxDns) -> None:
    sandbox.faults.set(".mimecast-co.test", Fault("refused"))
    for name in ("mimecast-co.test", "_dmarc.mimecast-co.test"):
        assert (await udp(sandbox, query(name, "TXT"))).rcode() == dns.rcode.REFUSED
    assert (await udp(sandbox, query("zoho-co.test", "TXT"))).rcode() == dns.rcode.NOERROR


async def test_delay_does_not_block_other_queries(sandbox: SandboxDns) -> None:
    sandbox.faults.set("slow.faults.test", Fault("delay", delay=1.0))
    start = time.monotonic()
    slow = asyncio.create_task(udp(sandbox, query("slow.faults.test", "A")))
    await asyncio.sleep(0.05)
    fast = await udp(sandbox, query("gworkspace.test", "A"))
    assert fast.answer and time.monotonic() - start < 0.5 and not slow.done()
    assert (await slow).answer and time.monotonic() - start >= 1.0


async def test_latency_is_added_to_every_answer(sandbox: SandboxDns) -> None:
    sandbox.latency = 0.2
    start = time.monotonic()
    await asyncio.gather(*(tcp(sandbox, query("parked.test", t)) for t in ("A", "MX", "TXT")))
    assert 0.2 <= time.monotonic() - start < 1.0


async def test_drop_every_only_on_udp(sandbox: SandboxDns) -> None:
    sandbox.faults.drop_every = 2
    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(bool((await udp(sandbox, query("parked.test", "A"), timeout=0.3)).answer))
        except dns.exception.Timeout:
            outcomes.append(False)
    assert outcomes == [True, False, True, False]
    assert (await tcp(sandbox, query("parked.test", "A"))).answer


def test_drop_rate_is_seeded_and_deterministic() -> None:
    def pattern(seed: int) -> list[bool]:
        plan = FaultPlan(drop_rate=0.3, seed=seed)
        return [plan.match("a.test", "A", "udp") is not None for _ in range(200)]
    assert pattern(7) == pattern(7) != pattern(8)
    assert 30 < sum(pattern(7)) < 90


def test_fault_plan_fixture_defaults_and_validation() -> None:
    plan = FaultPlan.fixture_defaults()
    kinds = {n: plan.match(f"{n}.faults.test", "A", "udp") for n in
             ("timeout", "servfail", "refused", "truncated", "slow", "ns1")}
    assert {n: f.kind if f else None for n, f in kinds.items()} == {
        "timeout": "drop", "servfail": "servfail", "refused": "refused",
        "truncated": "truncate", "slow": "delay", "ns1": None}
    assert kinds["slow"] is not None and kinds["slow"].delay == 1.5
    with pytest.raises(ValueError):
        Fault("explode")  # type: ignore[arg-type]


def test_fixture_faults_over_the_wire(zones: list[dns.zone.Zone]) -> None:
    with running(zones, faults=FaultPlan.fixture_defaults()) as server:
        ask = lambda name, rdtype="A": dns.query.udp(query(name, rdtype), HOST, port=server.port, timeout=0.5)  # noqa: E731
        assert ask("servfail.faults.test").rcode() == dns.rcode.SERVFAIL
        assert ask("refused.faults.test").rcode() == dns.rcode.REFUSED
        assert ask("truncated.faults.test", "TXT").flags & dns.flags.TC
        full = dns.query.tcp(query("truncated.faults.test", "TXT"), HOST, port=server.port, timeout=1)
        assert answers(full) == {'truncated.faults.test. TXT "v=spf1 include:_spf.google.com ~all"'}
        with pytest.raises(dns.exception.Timeout):
            ask("timeout.faults.test")


# --- robustness and the ways to run it --------------------------------------------------

MALFORMED = [
    b"",
    b"\x00\x01garbage",
    b"\x12\x34" + bytes(10),                                          # header, no question
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3fabc",      # label overruns the packet
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",  # pointer loop
    b"\x12\x34\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01",      # a response
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x01\x00\x01\x00\x00\x29",  # short OPT
]


def test_malformed_packets_are_ignored(threaded: SandboxDns) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        for packet in MALFORMED:
            sock.sendto(packet, (HOST, threaded.port))
            with pytest.raises(TimeoutError):
                sock.recvfrom(4096)
    with socket.create_connection((HOST, threaded.port), timeout=1) as conn:
        conn.sendall(len(MALFORMED[1]).to_bytes(2, "big") + MALFORMED[1])
        wire = query("parked.test", "A").to_wire()
        conn.sendall(len(wire).to_bytes(2, "big") + wire)
        size = int.from_bytes(conn.recv(2), "big")
        assert dns.message.from_wire(conn.recv(size)).answer
    assert dns.query.udp(query("parked.test", "A"), HOST, port=threaded.port, timeout=1).answer


def test_running_thread_helper_starts_and_stops(zones: list[dns.zone.Zone]) -> None:
    with running(zones, latency=0.0) as server:
        port = server.port
        assert dns.query.tcp(query("parked.test", "MX"), HOST, port=port, timeout=1).answer
    with pytest.raises(ConnectionRefusedError):
        dns.query.tcp(query("parked.test", "MX"), HOST, port=port, timeout=1)


async def test_taken_port_is_an_error(sandbox: SandboxDns, zones: list[dns.zone.Zone]) -> None:
    with pytest.raises(OSError):
        await SandboxDns(zones, port=sandbox.port).start()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_non_loopback_host_rejected(host: str) -> None:
    with pytest.raises(ValueError):
        SandboxDns([], host=host)


def test_loopback_hosts_accepted() -> None:
    assert SandboxDns([], host="127.0.0.2").host == "127.0.0.2"
    assert SandboxDns([], host="::1").address == "[::1]:0"


# --- reply cache -----------------------------------------------------------------------

def test_reply_cache_stays_bounded_and_answers_survive_eviction(zones: list[dns.zone.Zone]) -> None:
    """Each wildcard name is a new cache key: the cache stays within its bound, replies stay right."""
    small, reference = SandboxDns(zones, response_cache_size=8), SandboxDns(zones)
    hot = query("www.m365-tenant.test", "A").to_wire()
    names = [f"n{i}.wild.edgecases.test" for i in range(50)]
    for name in names + names[:5]:  # the first five come back after they were evicted
        for rdtype in ("TXT", "A"):
            wire = query(name, rdtype).to_wire()
            assert small.handle(wire, "udp") == reference.handle(wire, "udp")
            assert small.handle(hot, "udp") == reference.handle(hot, "udp")
            assert small.cached_replies <= 8
    assert reference.cached_replies == 2 * len(names) + 1
    reply = dns.message.from_wire(small.handle(query(names[0], "TXT").to_wire(), "udp")[0])
    assert answers(reply) == {f'{names[0]}. TXT "wildcard-match"'}


def test_reply_cache_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        SandboxDns([], response_cache_size=0)


def test_throughput_with_latency(zones: list[dns.zone.Zone]) -> None:
    """Many queries in flight with 20 ms latency: all answered, none serialised behind another."""
    wires = [bytearray(query(n, "A").to_wire()) for n in ("parked.test", "www.m365-tenant.test")]
    with running(zones, latency=0.02) as server, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect((HOST, server.port))
        sock.settimeout(2)
        start = time.monotonic()
        for round_ in range(10):
            for i in range(100):
                wire = wires[i % 2]
                wire[:2] = (round_ * 100 + i).to_bytes(2, "big")
                sock.send(wire)
            ids = {int.from_bytes(sock.recv(512)[:2], "big") for _ in range(100)}
            assert len(ids) == 100
        assert time.monotonic() - start < 2.0  # 10 rounds of 20 ms plus overhead


def test_command_line_prints_its_address() -> None:
    command = [sys.executable, "-m", "hunter.sandbox.dns", "--zones", str(ZONE_DIR), "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            line = process.stdout.readline() if process.stdout else ""
            port = int(line.split()[-2].rsplit(":", 1)[1])
            assert dns.query.udp(query("parked.test", "A"), HOST, port=port, timeout=2).answer
        finally:
            process.terminate()


async def test_stats_can_be_switched_off_for_long_running_servers(tmp_path) -> None:
    import dns.asyncquery
    import dns.message

    from hunter.sandbox.dns import SandboxDns, load_zone_dir
    from tests.conftest import shared_dir

    zones = load_zone_dir(shared_dir() / "data" / "dns" / "zones")
    async with SandboxDns(zones, record_stats=False) as quiet, SandboxDns(zones) as counting:
        for server in (quiet, counting):
            query = dns.message.make_query("m365-tenant.test", "MX")
            reply = await dns.asyncquery.udp(query, "127.0.0.1", port=server.port, timeout=2)
            assert reply.answer
    assert not quiet.stats and counting.stats[("m365-tenant.test", "MX", "udp")] == 1
