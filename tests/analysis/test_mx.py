"""mx.parse, plus the DnsFacts tables of the fixture zones shared by the analysis tests.

``ZONES`` restates /work/shared/data/dns/zones/*.zone as the answers the DNS layer gives:
MX/TXT record texts, CNAME-query targets, and DKIM TXT answers whose CNAME chain is kept in
``Answer.cnames`` (the fixture targets do not exist, so those answers are NXDOMAIN).
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from hunter.analysis import mx
from hunter.dns.facts import Answer, DnsFacts, Query
from hunter.model import MxHost

Table = Mapping[tuple[str, str], object]


def facts_from(table: Table, domain: str = "") -> DnsFacts:
    """DnsFacts from ``{(name, TYPE): [records] | "nxdomain" | "nodata" | "error" | Answer}``."""
    answers: dict[Query, Answer] = {}
    for (name, rdtype), value in table.items():
        query = Query(name, rdtype)
        if isinstance(value, Answer):
            answers[query] = Answer(query, value.status, value.records, value.cnames)
        elif isinstance(value, str):
            answers[query] = Answer(query, value)  # type: ignore[arg-type]
        else:
            records = tuple(sorted(value))  # type: ignore[call-overload]
            answers[query] = Answer(query, "ok" if records else "nodata", records)
    return DnsFacts(domain or next(iter(table))[0], answers)


def chain(*targets: str, records: tuple[str, ...] = ()) -> Answer:
    """A TXT answer reached through CNAMEs (``Answer.cnames``); NXDOMAIN unless ``records``."""
    placeholder = Query("placeholder", "TXT")
    return Answer(placeholder, "ok" if records else "nxdomain", records, tuple(targets))


def _dk(selector: str, domain: str) -> tuple[str, str]:
    return (f"{selector}._domainkey.{domain}", "TXT")


GOOGLE_MX = ["1 aspmx.l.google.com.", "5 alt1.aspmx.l.google.com.", "5 alt2.aspmx.l.google.com.",
             "10 alt3.aspmx.l.google.com.", "10 alt4.aspmx.l.google.com."]
KEY = "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDFixtureKeyIDAQAB"

M365_TENANT: Table = {
    ("m365-tenant.test", "MX"): ["0 m365-tenant-test.mail.protection.outlook.com."],
    ("m365-tenant.test", "A"): ["203.0.113.10"],
    ("m365-tenant.test", "AAAA"): ["2001:db8:10::10"],
    ("m365-tenant.test", "TXT"): [
        "v=spf1 include:spf.protection.outlook.com -all", "MS=ms48291734",
        "google-site-verification=Xy3kQ0mZ1l7eFzJ2bHqv8cTn5RwA4pUdYs6gKiLoE9M"],
    ("_dmarc.m365-tenant.test", "TXT"): [
        "v=DMARC1; p=reject; rua=mailto:dmarc-rua@m365-tenant.test; "
        "ruf=mailto:dmarc-ruf@m365-tenant.test; fo=1; adkim=s; aspf=s"],
    ("autodiscover.m365-tenant.test", "CNAME"): ["autodiscover.outlook.com."],
    _dk("selector1", "m365-tenant.test"): chain("selector1-m365-tenant-test._domainkey.m365tenant.onmicrosoft.com."),
    _dk("selector2", "m365-tenant.test"): chain("selector2-m365-tenant-test._domainkey.m365tenant.onmicrosoft.com."),
    _dk("google", "m365-tenant.test"): "nxdomain",
    ("lyncdiscover.m365-tenant.test", "CNAME"): ["webdir.online.lync.com."],
    ("sip.m365-tenant.test", "CNAME"): ["sipdir.online.lync.com."],
    ("enterpriseregistration.m365-tenant.test", "CNAME"): ["enterpriseregistration.windows.net."],
    ("enterpriseenrollment.m365-tenant.test", "CNAME"): ["enterpriseenrollment.manage.microsoft.com."],
    ("msoid.m365-tenant.test", "CNAME"): "nxdomain",
    ("_sip._tls.m365-tenant.test", "SRV"): ["100 1 443 sipdir.online.lync.com."],
    ("_sipfederationtls._tcp.m365-tenant.test", "SRV"): ["100 1 5061 sipfed.online.lync.com."],
}

GATEWAY_M365: Table = {
    ("gateway-m365.test", "MX"): ["10 mx1-eu1.ppe-hosted.com.", "10 mx2-eu1.ppe-hosted.com."],
    ("gateway-m365.test", "A"): ["203.0.113.40"],
    ("gateway-m365.test", "TXT"): [
        "v=spf1 include:spf.protection.outlook.com a:dispatch-eu.ppe-hosted.com -all", "MS=ms90817263"],
    ("_dmarc.gateway-m365.test", "TXT"): ["v=DMARC1; p=quarantine; rua=mailto:dmarc_agg@vali.email"],
    ("autodiscover.gateway-m365.test", "CNAME"): ["autodiscover.outlook.com."],
    _dk("selector1", "gateway-m365.test"): chain(
        "selector1-gateway-m365-test._domainkey.gatewaym365.onmicrosoft.com."),
}

HYBRID_CO: Table = {
    ("hybrid-co.test", "MX"): GOOGLE_MX,
    ("hybrid-co.test", "A"): ["198.51.100.70"],
    ("hybrid-co.test", "AAAA"): ["2001:db8:70::70"],
    ("hybrid-co.test", "TXT"): [
        "v=spf1 include:_spf.google.com include:spf.protection.outlook.com "
        "include:us._netblocks.mimecast.com include:spf.mandrillapp.com ~all",
        "MS=ms55667788",
        "google-site-verification=hYbR1dC0aBcDeFgHiJkLmNoPqRsTuVwXyZ012345678",
        "atlassian-domain-verification=QmFzZTY0U3RyaW5nRm9yRml4dHVyZXNPbmx5",
        "docusign=11111111-2222-3333-4444-555555555555",
        "slack-domain-verification=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ABCD",
        "ZOOM_verify_FixtureValue000000000000"],
    ("_dmarc.hybrid-co.test", "TXT"): [
        "v=DMARC1; p=reject; fo=1; rua=mailto:hybrid-co@rua.agari.com; ruf=mailto:hybrid-co@ruf.agari.com"],
    _dk("google", "hybrid-co.test"): [KEY],
    _dk("selector1", "hybrid-co.test"): chain("selector1-hybrid-co-test._domainkey.hybridco.onmicrosoft.com."),
    _dk("k1", "hybrid-co.test"): chain("dkim.mcsv.net.", records=(KEY,)),
    ("autodiscover.hybrid-co.test", "CNAME"): ["autodiscover.outlook.com."],
}

MIMECAST_CO: Table = {
    ("mimecast-co.test", "MX"): ["10 eu-smtp-inbound-1.mimecast.com.", "10 eu-smtp-inbound-2.mimecast.com."],
    ("mimecast-co.test", "A"): ["203.0.113.50"],
    ("mimecast-co.test", "TXT"): [
        "v=spf1 include:_netblocks.mimecast.com include:spf.protection.outlook.com ~all"],
    ("_dmarc.mimecast-co.test", "TXT"): [
        "v=DMARC1; p=reject; sp=quarantine; pct=100; rua=mailto:dmarc@mimecast-co.test"],
}

ZOHO_CO: Table = {
    ("zoho-co.test", "MX"): ["10 mx.zoho.eu.", "20 mx2.zoho.eu.", "50 mx3.zoho.eu."],
    ("zoho-co.test", "A"): ["198.51.100.30"],
    ("zoho-co.test", "TXT"): ["v=spf1 include:zoho.eu ~all", "zoho-verification=zb71234567.zmverify.zoho.eu"],
    _dk("zmail", "zoho-co.test"): [KEY],
    ("_dmarc.zoho-co.test", "TXT"): ["v=DMARC1; p=none; rua=mailto:dmarc@zoho-co.test"],
}

GWORKSPACE: Table = {
    ("gworkspace.test", "MX"): GOOGLE_MX,
    ("gworkspace.test", "A"): ["198.51.100.20"],
    ("www.gworkspace.test", "A"): ["198.51.100.21"],
    ("gworkspace.test", "TXT"): [
        "v=spf1 include:_spf.google.com ~all",
        "google-site-verification=rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ",
        "facebook-domain-verification=1a2b3c4d5e6f7g8h9i0jklmnopqrst"],
    ("_dmarc.gworkspace.test", "TXT"): ["v=DMARC1; p=quarantine; pct=50; rua=mailto:postmaster@gworkspace.test"],
    _dk("google", "gworkspace.test"): [KEY],
    _dk("selector1", "gworkspace.test"): "nxdomain",
}

SELFHOSTED: Table = {
    ("selfhosted.test", "MX"): ["10 mail.selfhosted.test.", "20 backup-mx.selfhosted.test."],
    ("selfhosted.test", "A"): ["192.0.2.10"],
    ("selfhosted.test", "TXT"): ["v=spf1 mx a ip4:192.0.2.0/24 ip6:2001:db8:25::/48 -all"],
    ("_dmarc.selfhosted.test", "TXT"): ["v=DMARC1; p=none"],
    ("autodiscover.selfhosted.test", "CNAME"): "nodata",
    ("_autodiscover._tcp.selfhosted.test", "SRV"): ["0 0 443 mail.selfhosted.test."],
}

PARKED: Table = {
    ("parked.test", "MX"): ["0 ."],
    ("parked.test", "A"): ["192.0.2.99"],
    ("parked.test", "TXT"): ["v=spf1 -all"],
    ("_dmarc.parked.test", "TXT"): ["v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s"],
    **{_dk(s, "parked.test"): ["v=DKIM1; p="] for s in ("selector1", "selector2", "google", "default")},
}

M365_DNSSEC: Table = {
    ("m365-dnssec.test", "MX"): ["0 m365-dnssec-test.p-v1.mx.microsoft."],
    ("m365-dnssec.test", "A"): ["203.0.113.60"],
    ("m365-dnssec.test", "TXT"): ["v=spf1 include:spf.protection.outlook.com -all", "MS=ms11223344"],
    ("_dmarc.m365-dnssec.test", "TXT"): ["v=DMARC1; p=reject; rua=mailto:dmarc@m365-dnssec.test"],
    ("autodiscover.m365-dnssec.test", "CNAME"): ["autodiscover.outlook.com."],
    _dk("selector1", "m365-dnssec.test"): chain("selector1-m365-dnssec-test._domainkey.m365dnssec.onmicrosoft.com."),
    _dk("selector2", "m365-dnssec.test"): chain("selector2-m365-dnssec-test._domainkey.m365dnssec.onmicrosoft.com."),
    ("_mta-sts.m365-dnssec.test", "TXT"): ["v=STSv1; id=20250101T000000"],
    ("_smtp._tls.m365-dnssec.test", "TXT"): ["v=TLSRPTv1; rua=mailto:tlsrpt@m365-dnssec.test"],
    ("default._bimi.m365-dnssec.test", "TXT"): ["v=BIMI1; l=https://m365-dnssec.test/bimi/logo.svg; a="],
}

NULLMX: Table = {
    ("nullmx.edgecases.test", "MX"): ["0 ."],
    ("nullmx.edgecases.test", "A"): ["192.0.2.82"],
}
NOMX: Table = {
    ("nomx.edgecases.test", "MX"): "nodata",
    ("nomx.edgecases.test", "A"): ["192.0.2.83"],
}
EDGECASES: Table = {
    ("edgecases.test", "MX"): "nodata",
    ("edgecases.test", "A"): ["192.0.2.80"],
    ("edgecases.test", "TXT"): ["v=spf1 include:_spf.google.com ~all",
                                "v=spf1 include:spf.protection.outlook.com -all"],
}
SPLIT: Table = {
    ("split.edgecases.test", "MX"): ["10 mail.split.edgecases.test."],
    ("split.edgecases.test", "TXT"): ["v=spf1 ip4:192.0.2.0/24 include:_spf.google.com -all"],
}

ZONES: dict[str, Table] = {
    "m365-tenant.test": M365_TENANT, "gateway-m365.test": GATEWAY_M365, "hybrid-co.test": HYBRID_CO,
    "mimecast-co.test": MIMECAST_CO, "zoho-co.test": ZOHO_CO, "gworkspace.test": GWORKSPACE,
    "selfhosted.test": SELFHOSTED, "parked.test": PARKED, "m365-dnssec.test": M365_DNSSEC,
    "nullmx.edgecases.test": NULLMX, "nomx.edgecases.test": NOMX, "edgecases.test": EDGECASES,
    "split.edgecases.test": SPLIT,
}


def zone(domain: str) -> DnsFacts:
    return facts_from(ZONES[domain], domain)


# ------------------------------------------------------------------ tests of mx.parse

def test_hosts_sorted_by_preference_then_host() -> None:
    result = mx.parse(zone("hybrid-co.test"), "hybrid-co.test")
    assert result.status == "ok" and not result.null_mx and not result.fallback_a
    assert [(h.preference, h.host) for h in result.hosts] == [
        (1, "aspmx.l.google.com"), (5, "alt1.aspmx.l.google.com"), (5, "alt2.aspmx.l.google.com"),
        (10, "alt3.aspmx.l.google.com"), (10, "alt4.aspmx.l.google.com")]


def test_equal_preferences_sorted_by_host_and_deduplicated() -> None:
    facts = facts_from({("x.test", "MX"): ["10 MX2.Example.com.", "10 mx1.example.com.", "10 mx1.example.com"]})
    assert mx.parse(facts, "x.test").hosts == [
        MxHost(host="mx1.example.com", preference=10), MxHost(host="mx2.example.com", preference=10)]


@pytest.mark.parametrize("domain", ["parked.test", "nullmx.edgecases.test"])
def test_null_mx(domain: str) -> None:
    result = mx.parse(zone(domain), domain)
    assert result.null_mx and result.status == "null_mx"
    assert result.hosts == [] and not result.fallback_a


def test_dot_beside_real_hosts_is_not_a_null_mx() -> None:
    facts = facts_from({("x.test", "MX"): ["0 .", "10 mx.example.com."]})
    result = mx.parse(facts, "x.test")
    assert not result.null_mx and [h.host for h in result.hosts] == ["mx.example.com"]


def test_no_mx_with_address_falls_back_to_a() -> None:
    result = mx.parse(zone("nomx.edgecases.test"), "nomx.edgecases.test")
    assert result.status == "no_mx" and result.fallback_a and result.hosts == []


def test_no_mx_and_no_address() -> None:
    facts = facts_from({("x.test", "MX"): "nodata", ("x.test", "A"): "nodata", ("x.test", "AAAA"): "nodata"})
    result = mx.parse(facts, "x.test")
    assert result.status == "no_mx" and not result.fallback_a


@pytest.mark.parametrize(("value", "status"), [("nxdomain", "nxdomain"), ("error", "dns_error")])
def test_failed_lookups(value: str, status: str) -> None:
    result = mx.parse(facts_from({("x.test", "MX"): value}), "x.test")
    assert result.status == status and result.hosts == [] and not result.fallback_a


def test_unreadable_records_are_ignored_and_reported() -> None:
    facts = facts_from({("x.test", "MX"): ["10 mx.example.com.", "garbage", "70000 big.example.com."]})
    result = mx.parse(facts, "x.test")
    assert [h.host for h in result.hosts] == ["mx.example.com"]
    assert sorted(result.ignored) == ["70000 big.example.com.", "garbage"]


def test_parse_record() -> None:
    assert mx.parse_record("0 .") == MxHost(host="", preference=0)
    assert mx.parse_record("5 Alt1.ASPMX.l.google.com.") == MxHost(host="alt1.aspmx.l.google.com", preference=5)
    assert mx.parse_record("mx.example.com.") is None
