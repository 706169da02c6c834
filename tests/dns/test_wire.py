from __future__ import annotations

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from hunter.dns import wire


@pytest.mark.parametrize(("name", "rdtype"), [
    ("example.test", "MX"), ("_dmarc.example.test", "TXT"), ("xn--bcher-kva.test", "A"),
    ("selector1._domainkey.example.test", "CNAME"),
])
def test_query_bytes_match_dnspython(name: str, rdtype: str) -> None:
    expected = dns.message.make_query(name, rdtype, use_edns=0, payload=1232, id=4242,
                                      flags=dns.flags.RD).to_wire()
    assert wire.encode_query(4242, name, dns.rdatatype.from_text(rdtype), payload=1232) == expected


@pytest.mark.parametrize("name", ["a..test", "x" * 64 + ".test", ".".join(["abcdefghij"] * 30),
                                  "bücher.test"])
def test_unencodable_names_raise(name: str) -> None:
    with pytest.raises(wire.WireError):
        wire.encode_name(name)


def _reply(qname: str, rdtype: str, *answers: tuple[str, str, str],
           rcode: int = dns.rcode.NOERROR) -> tuple[dns.message.Message, bytes]:
    query = dns.message.make_query(qname, rdtype, id=7)
    reply = dns.message.make_response(query)
    reply.set_rcode(rcode)
    for owner, kind, text in answers:
        reply.answer.append(dns.rrset.from_text(owner, 300, "IN", kind, text))
    reply.authority.append(dns.rrset.from_text(
        "example.test.", 600, "IN", "SOA", "ns1.example.test. host.example.test. 1 2 3 4 120"))
    return reply, reply.to_wire()


@pytest.mark.parametrize(("kind", "text"), [
    ("MX", "10 Mail.Example.test."), ("MX", "0 ."), ("A", "192.0.2.1"), ("AAAA", "2001:db8::1"),
    ("CNAME", "target.example.test."), ("SRV", "100 1 443 sip.example.test."),
    ("NS", "ns1.example.test."), ("SOA", "ns1.example.test. host.example.test. 1 2 3 4 5"),
    ("PTR", "host.example.test."),
])
def test_record_text_matches_dnspython(kind: str, text: str) -> None:
    message, data = _reply("example.test.", kind, ("example.test.", kind, text))
    decoded = wire.decode(data)
    assert wire.record_text(decoded.answer[0]) == message.answer[0][0].to_text().lower()


def test_txt_strings_are_joined_and_decoded() -> None:
    _, data = _reply("example.test.", "TXT",
                     ("example.test.", "TXT", '"v=spf1 " "-all"'),
                     ("example.test.", "TXT", r'"caf\195\169 \255"'))
    texts = sorted(wire.record_text(r) for r in wire.decode(data).answer)
    assert texts == ["café \ufffd", "v=spf1 -all"]


def test_decode_reads_header_question_and_compressed_names() -> None:
    _, data = _reply("WWW.Example.test.", "A", ("www.example.test.", "CNAME", "example.test."),
                     ("example.test.", "A", "192.0.2.1"), rcode=dns.rcode.NXDOMAIN)
    reply = wire.decode(data)
    assert (reply.id, reply.rcode, reply.question) == (7, 3, ("www.example.test", 1, 1))
    assert [r.name for r in reply.answer] == ["www.example.test", "example.test"]
    assert wire.target(reply.answer[0]) == "example.test"
    assert wire.soa_minimum(reply.authority[0]) == 120
    assert reply.answers(7, "www.example.test", 1)
    assert not reply.answers(8, "www.example.test", 1)
    assert not reply.answers(7, "other.example.test", 1)
    assert not reply.answers(7, "www.example.test", 16)


def test_a_query_is_not_an_answer() -> None:
    data = wire.encode_query(7, "example.test", 1)
    assert not wire.decode(data).answers(7, "example.test", 1)


@pytest.mark.parametrize("data", [
    b"\x00" * 5,
    b"\x00\x07\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\x05abc",          # name runs off the end
    b"\x00\x07\x81\x80\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",  # pointer loop
    b"\x00\x07\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01\x00\x01\x00\x00\x00\x01\x00\x09ab",
])
def test_garbage_raises_wire_error(data: bytes) -> None:
    with pytest.raises(wire.WireError):
        wire.decode(data)


def test_canonical_matches_what_a_reply_carries_for_odd_names() -> None:
    from hunter.dns import wire as w

    name = "macro%percent  space%20url-space.Example.com"
    assert w.canonical(name) == w.read_name(w.encode_name(name), 0)[0]
    assert w.canonical(name) == "macro%percent\\032\\032space%20url-space.example.com"
    assert w.canonical("Mail.Example.COM.") == "mail.example.com"
