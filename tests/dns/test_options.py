from __future__ import annotations

import zlib

import pytest

from hunter.dns.options import PUBLIC_FALLBACKS, DnsOptions, Nameserver, ResolverSets


@pytest.mark.parametrize(("text", "host", "port"), [
    ("192.0.2.1", "192.0.2.1", 53),
    ("192.0.2.1:5300", "192.0.2.1", 5300),
    (" 127.0.0.1:53 ", "127.0.0.1", 53),
    ("2001:db8::1", "2001:db8::1", 53),
    ("[2001:db8::1]:5300", "2001:db8::1", 5300),
    ("[::1]", "::1", 53),
])
def test_parse_accepts_ip_and_port(text: str, host: str, port: int) -> None:
    assert Nameserver.parse(text) == Nameserver(host, port)


@pytest.mark.parametrize(("text", "why"), [
    ("", "empty"),
    ("dns.example.com", "must be an IP address"),
    ("192.0.2.1:dns", "is not a number"),
    ("192.0.2.1:0", "1-65535"),
    ("192.0.2.1:70000", "1-65535"),
    ("[2001:db8::1", "expected [IPv6]:PORT"),
    ("[2001:db8::1]5300", "expected [IPv6]:PORT"),
    ("999.0.0.1", "must be an IP address"),
])
def test_parse_rejects_with_a_clear_message(text: str, why: str) -> None:
    with pytest.raises(ValueError) as error:
        Nameserver.parse(text)
    assert why in str(error.value)
    if text:
        assert repr(text.strip()) in str(error.value)


def test_address_brackets_ipv6() -> None:
    assert Nameserver.parse("[::1]:5300").address == "[::1]:5300"
    assert str(Nameserver("127.0.0.1", 5300)) == "127.0.0.1:5300"


def _no_system() -> tuple[Nameserver, ...]:
    raise AssertionError("the system resolver must not be read when resolvers are explicit")


def test_explicit_nameservers_are_the_only_resolvers() -> None:
    opts = DnsOptions.from_addresses(["127.0.0.1:5301"])
    sets = opts.resolver_sets(system=_no_system)
    assert opts.explicit
    assert sets == ResolverSets((Nameserver("127.0.0.1", 5301),), ())


def test_explicit_fallbacks_come_only_from_the_fallback_list() -> None:
    opts = DnsOptions.from_addresses(["127.0.0.1:5301"], ["127.0.0.1:5302"])
    sets = opts.resolver_sets(system=_no_system)
    assert sets.fallbacks == (Nameserver("127.0.0.1", 5302),)


def test_named_primaries_count_as_explicit_even_without_the_flag() -> None:
    opts = DnsOptions(nameservers=(Nameserver("127.0.0.1", 5301),))
    assert opts.resolver_sets(system=_no_system).fallbacks == ()


def test_production_default_is_system_primary_with_public_fallbacks() -> None:
    system = (Nameserver("127.0.0.1", 5399),)
    sets = DnsOptions().resolver_sets(system=lambda: system)
    assert sets.primaries == system
    assert sets.fallbacks is PUBLIC_FALLBACKS


def test_named_fallbacks_replace_the_public_ones() -> None:
    opts = DnsOptions(fallback_nameservers=(Nameserver("127.0.0.1", 5302),))
    sets = opts.resolver_sets(system=lambda: ())
    assert sets.fallbacks == (Nameserver("127.0.0.1", 5302),)


def test_explicit_without_nameservers_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one nameserver"):
        DnsOptions(explicit=True)


@pytest.mark.parametrize("bad", [{"timeout": 0}, {"attempts": 0}, {"udp_payload": 100},
                                 {"cache_ttl_floor": 10, "cache_ttl_ceiling": 5}])
def test_options_are_checked(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        DnsOptions(**bad)  # type: ignore[arg-type]


def test_identity_differs_between_configurations() -> None:
    one = DnsOptions.from_addresses(["127.0.0.1:5301"]).resolver_sets()
    two = DnsOptions.from_addresses(["127.0.0.1:5301"], ["127.0.0.1:5302"]).resolver_sets()
    assert one.identity != two.identity


def test_fallback_rotation_starts_at_crc32_of_the_name() -> None:
    servers = tuple(Nameserver("127.0.0.1", port) for port in (5301, 5302, 5303))
    sets = ResolverSets((), servers)
    for name in ("a.test", "b.test", "mail.example.test"):
        start = zlib.crc32(name.encode()) % 3
        order = sets.fallbacks_for(name)
        assert order[0] == servers[start]
        assert sorted(order, key=lambda ns: ns.port) == list(servers)
        assert sets.fallbacks_for(name) == order


def test_the_in_flight_cap_leaves_room_for_a_whole_round_of_every_domain() -> None:
    from hunter.settings import Settings
    from hunter.wiring import QUERIES_PER_DOMAIN, dns_options

    assert dns_options(Settings(dns_concurrency=200)).max_in_flight == 200 * QUERIES_PER_DOMAIN
    assert dns_options(Settings(dns_concurrency=1)).max_in_flight == 512
