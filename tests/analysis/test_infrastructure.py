"""hunter/analysis/infrastructure.py: roles of addresses and the sentence, from values only."""

from __future__ import annotations

import pytest

from hunter.analysis import infrastructure
from hunter.analysis.infrastructure import Address
from hunter.analysis.infrastructure_text import locative
from hunter.dns import plan
from hunter.dns.facts import Answer, DnsFacts, Query
from hunter.integrations.base import IpFacts
from hunter.model import Gateway, IpInfo, Provider

M365 = Provider(key="m365", name="Microsoft 365", kind="cloud_suite", confidence="high")
NATRO = Provider(key="natro", name="Natro", kind="local_hosting", confidence="medium")
SELF = Provider(key="self_hosted", name="Own mail server", kind="self_hosted", confidence="medium")
PROOFPOINT = Gateway(key="proofpoint", name="Proofpoint")

LONDON = IpFacts(ip="81.2.69.160", country_code="GB", country="United Kingdom", city="London",
                 is_datacenter=True, sources=("maxmind-city",))
BREDBAND = IpFacts(ip="89.160.20.112", country_code="SE", country="Sweden", city="Linköping",
                   asn=29518, as_org="Bredband2 AB", sources=("maxmind-city", "maxmind-asn"))
OUTLOOK = IpFacts(ip="40.107.1.1", country_code="US", country="United States", city="Boydton",
                  asn=8075, as_org="Microsoft Corporation", is_datacenter=True)


def facts(*infos: tuple[IpFacts, tuple[str, ...]]) -> list[IpInfo]:
    return [infrastructure.ip_info(Address(f.ip, roles, ("x",)), infrastructure.fact_values(f))
            for f, roles in infos]


def both(ips, provider=M365, gateway=None) -> tuple[str | None, str | None]:
    return tuple(infrastructure.summarise(ips, provider=provider, gateway=gateway, lang=lang)
                 for lang in ("en", "tr"))


# ------------------------------------------------------------------ the plan and the roles

def test_ip_queries_cover_mx_apex_www_and_autodiscover() -> None:
    queries = plan.ip_queries("firma.com.tr", ["mail.firma.com.tr", "mx.natrohost.com"])
    names = list(dict.fromkeys(q.name for q in queries))
    assert names == ["mail.firma.com.tr", "mx.natrohost.com", "firma.com.tr", "www.firma.com.tr",
                     "autodiscover.firma.com.tr"]
    assert {q.rdtype for q in queries} == {"A", "AAAA"} and len(queries) == 10
    again = plan.ip_queries("firma.com.tr", ["MAIL.firma.com.tr.", "firma.com.tr"])
    assert [q.name for q in again][::2] == ["mail.firma.com.tr", "firma.com.tr", "www.firma.com.tr",
                                            "autodiscover.firma.com.tr"]


def cname_answer(status: str, *records: str) -> Answer:
    return Answer(Query("autodiscover.firma.com", "CNAME"), status, tuple(records))


@pytest.mark.parametrize(("answer", "worth"), [
    (None, True),                                                   # no CNAME answer: count them
    (cname_answer("ok", "autodiscover.outlook.com."), False),       # the provider's addresses
    (cname_answer("ok", "exchange.firma.com."), True),              # the company's own server
    (cname_answer("nodata"), True),                                 # the name exists, A/AAAA may
    (cname_answer("nxdomain"), False),                              # nothing at all there (RFC 8020)
    (cname_answer("error"), False),                                 # would fail the same way
])
def test_autodiscover_addresses_count_only_when_they_can_tell(answer, worth) -> None:
    is_cloud = lambda name: name.endswith("outlook.com")  # noqa: E731
    assert plan.autodiscover_counts(answer, is_cloud=is_cloud) is worth


def answer(name: str, rdtype: str, *records: str, cnames: tuple[str, ...] = ()) -> tuple[Query, Answer]:
    query = Query(name, rdtype)
    return query, Answer(query, "ok" if records else "nodata", tuple(records), cnames)


def test_roles_merge_per_distinct_address_and_own_server_needs_the_own_domain() -> None:
    table = dict([
        answer("mail.firma.com", "A", "81.2.69.160"),
        answer("firma.com", "A", "81.2.69.160"),
        answer("www.firma.com", "A", "89.160.20.112", cnames=("web.hoster.net",)),
        answer("autodiscover.firma.com", "A", "81.2.69.160"),
        answer("firma-com.mail.protection.outlook.com", "A", "40.107.1.1"),
        answer("mx2.firma.com", "AAAA", "2A02:CF40:0:0::1", cnames=("relay.natrohost.com",)),
    ])
    queries = list(table)
    located = infrastructure.locate(DnsFacts("firma.com", table), queries, domain="firma.com", own="firma.com",
                                    mx_hosts=["mail.firma.com", "firma-com.mail.protection.outlook.com",
                                              "mx2.firma.com"])
    by_ip = {a.ip: a for a in located}
    assert list(by_ip) == ["81.2.69.160", "89.160.20.112", "40.107.1.1", "2a02:cf40::1"]
    assert by_ip["81.2.69.160"].roles == ("mail", "web", "autodiscover", "own_server")
    assert by_ip["81.2.69.160"].hosts == ("mail.firma.com", "firma.com", "autodiscover.firma.com")
    assert by_ip["89.160.20.112"].roles == ("web",)
    assert by_ip["40.107.1.1"].roles == ("mail",)             # the provider's server, not the company's
    assert by_ip["2a02:cf40::1"].roles == ("mail",)           # own name, CNAME to a hosting firm


# ------------------------------------------------------------------ the sentence

def test_the_example_sentence_in_both_languages() -> None:
    ips = facts((OUTLOOK, ("mail",)), (BREDBAND, ("web",)), (LONDON, ("mail", "own_server")))
    en, tr = both(ips)
    assert en == ("Mail on Microsoft 365 (Microsoft's network); website on Bredband2 AB (AS29518) in Sweden; "
                  "own mail server at a data centre in London, United Kingdom.")
    assert tr == ("E-posta Microsoft 365 üzerinde (Microsoft altyapısı); web sitesi İsveç'te Bredband2 AB "
                  "(AS29518) ağında; kendi e-posta sunucusu Londra, Birleşik Krallık'ta bir veri merkezinde.")


def test_provider_and_gateway_addresses_are_never_a_location() -> None:
    ips = facts((OUTLOOK, ("mail",)), (BREDBAND, ("web",)))
    en, tr = both(ips, gateway=PROOFPOINT)
    assert "Boydton" not in en and "United States" not in en and "ABD" not in tr and "Microsoft Corporation" not in en
    assert en.startswith("Mail on Microsoft 365 (Microsoft's network), filtered by Proofpoint;")
    assert "Proofpoint filtresinden" in tr


def test_only_provider_addresses_known_is_none() -> None:
    assert both(facts((OUTLOOK, ("mail",)))) == (None, None)


def test_own_domain_mx_at_a_hosting_firm_is_not_the_company_location() -> None:
    ips = facts((LONDON, ("mail", "own_server")), (BREDBAND, ("web",)))
    en, tr = both(ips, provider=NATRO)
    assert en == "Mail hosted by Natro; website on Bredband2 AB (AS29518) in Sweden."
    assert tr.startswith("E-posta Natro altyapısında; web sitesi İsveç'te")
    assert "London" not in en


def test_cdn_in_front_of_the_website() -> None:
    for org in ("Cloudflare, Inc.", "Akamai Technologies, Inc.", "Fastly", "Amazon.com, Inc."):
        cdn = IpFacts(ip="23.32.0.1", asn=1, as_org=org, country_code="US", country="United States")
        en, tr = both(facts((cdn, ("web",))), provider=SELF)
        assert en.startswith("Website behind a CDN (") and "United States" not in en
        assert tr.startswith("Web sitesi bir CDN arkasında (")


def test_residential_and_flags() -> None:
    home = IpFacts(ip="74.209.24.1", country_code="TR", country="Turkey", city="Istanbul", isp="Türk Telekom",
                   is_residential=True, is_vpn=True, is_tor=True, is_proxy=False)
    en, tr = both(facts((home, ("mail", "own_server"))), provider=SELF)
    assert en == ("Own mail server on Türk Telekom on a residential connection in Istanbul, Turkey "
                  "(flagged: VPN, Tor exit).")
    assert tr == ("Kendi e-posta sunucusu İstanbul, Türkiye'de Türk Telekom ağında, bir ev internet "
                  "bağlantısında (VPN, Tor çıkışı olarak işaretli).")


def test_special_addresses_are_labelled_not_located() -> None:
    private = IpFacts(ip="10.0.0.5", special="private")
    doc = IpFacts(ip="192.0.2.10", special="documentation")
    en, tr = both(facts((doc, ("web",)), (private, ("autodiscover", "own_server"))), provider=SELF)
    assert en == ("Website at a documentation address (not looked up); "
                  "own Exchange (autodiscover) server at a private address (not looked up).")
    assert "özel bir adreste (sorgulanmadı)" in tr


def test_website_and_own_mail_server_on_one_address() -> None:
    en, _ = both(facts((LONDON, ("mail", "web", "own_server"))), provider=SELF)
    assert en == "Website and own mail server at a data centre in London, United Kingdom."


def test_nothing_known_is_none() -> None:
    empty = IpFacts(ip="8.8.4.4", is_proxy=False, is_vpn=False)
    assert both(facts((empty, ("web",)), (empty, ("mail", "own_server"))), provider=SELF) == (None, None)
    assert both([], provider=SELF) == (None, None)
    infra = infrastructure.build([Address("8.8.4.4", ("web",), ("firma.com",))], {"8.8.4.4": None},
                                 provider=SELF, gateway=None)
    assert infra.ips[0].country is None and infra.summary_en is None and infra.summary_tr is None


def test_unknown_country_keeps_the_english_name() -> None:
    bhutan = IpFacts(ip="67.43.156.1", country_code="BT", country="Bhutan")
    _, tr = both(facts((bhutan, ("web",))), provider=SELF)
    assert tr == "Web sitesi Bhutan'da."


@pytest.mark.parametrize(("word", "expected"), [
    ("İsveç", "İsveç'te"), ("Almanya", "Almanya'da"), ("Türkiye", "Türkiye'de"), ("ABD", "ABD'de"),
    ("Birleşik Krallık", "Birleşik Krallık'ta"), ("Norveç", "Norveç'te"), ("Japonya", "Japonya'da"),
    ("Çin", "Çin'de"),
])
def test_turkish_locative(word: str, expected: str) -> None:
    assert locative(word) == expected


def test_cached_values_round_trip_as_plain_dicts() -> None:
    values = infrastructure.fact_values(BREDBAND)
    assert values["sources"] == ["maxmind-city", "maxmind-asn"] and values["asn"] == 29518
    assert "connection_type" not in values and infrastructure.fact_values(None) == {}
    info = infrastructure.ip_info(Address(BREDBAND.ip, ("web",), ("firma.com",)), values)
    assert (info.city, info.as_org, info.roles, info.hosts) == ("Linköping", "Bredband2 AB", ["web"], ["firma.com"])
