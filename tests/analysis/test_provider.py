"""provider.classify over every fixture zone, Turkish hosting MX examples and label boundaries."""

from __future__ import annotations

import pytest

from hunter.analysis import google, m365, mx, provider
from hunter.analysis.provider import ProviderVerdict
from hunter.dns.facts import DnsFacts
from hunter.model import Spf
from hunter.rules import catalogue
from tests.analysis.test_mx import Table, facts_from, zone

CAT = catalogue.load()


def spf_of(facts: DnsFacts, domain: str) -> Spf:
    records = [r for r in facts.records(domain, "TXT") if r.startswith("v=spf1")]
    includes = provider.spf_targets(facts, domain)
    return Spf(present=bool(records), valid=len(records) == 1, record=records[0] if records else None,
               includes=includes)


def classify(facts: DnsFacts, domain: str, *, registrable: str | None = None) -> ProviderVerdict:
    return provider.classify(
        facts, domain=domain, mx_hosts=mx.parse(facts, domain).hosts, spf=spf_of(facts, domain),
        m365=m365.detect(facts, domain), google=google.detect(facts, domain), catalogue=CAT,
        registrable_domain=registrable)


def of_zone(domain: str) -> ProviderVerdict:
    return classify(zone(domain), domain)


def has(lines: list[str], *parts: str) -> bool:
    return any(all(part in line for part in parts) for line in lines)


# ------------------------------------------------------------------ fixture zones

def test_m365_tenant() -> None:
    verdict = of_zone("m365-tenant.test")
    p = verdict.provider
    assert (p.key, p.name, p.kind, p.confidence) == ("m365", "Microsoft 365", "cloud_suite", "high")
    assert verdict.gateway is None and verdict.local_provider is None
    assert has(p.evidence, "MX m365-tenant-test.mail.protection.outlook.com is Microsoft 365")
    assert has(p.evidence, "SPF includes spf.protection.outlook.com (Microsoft 365)")
    assert has(p.evidence, "Microsoft 365 tenant m365tenant.onmicrosoft.com")


def test_gateway_never_hides_the_provider() -> None:
    verdict = of_zone("gateway-m365.test")
    assert verdict.gateway is not None
    assert (verdict.gateway.key, verdict.gateway.name) == ("proofpoint", "Proofpoint")
    assert has(verdict.gateway.evidence, "MX mx1-eu1.ppe-hosted.com is Proofpoint (gateway)")
    p = verdict.provider
    assert (p.key, p.kind, p.confidence) == ("m365", "cloud_suite", "high")
    assert has(p.evidence, "MX mx1-eu1.ppe-hosted.com is Proofpoint (gateway)")
    assert has(p.evidence, "SPF includes spf.protection.outlook.com (Microsoft 365)")
    assert has(p.evidence, "autodiscover CNAME autodiscover.outlook.com")
    assert has(p.evidence, "DKIM selector1 CNAME", "gatewaym365.onmicrosoft.com")
    assert has(p.evidence, "TXT MS=ms90817263")
    assert has(p.evidence, "tenant gatewaym365.onmicrosoft.com")


def test_hybrid_mx_decides_and_other_suites_are_evidence() -> None:
    verdict = of_zone("hybrid-co.test")
    p = verdict.provider
    assert (p.key, p.name, p.confidence) == ("google", "Google Workspace", "high")
    assert verdict.gateway is None      # Mimecast only in SPF: not in front of inbound mail
    assert has(p.evidence, "Also seen: SPF includes spf.protection.outlook.com (Microsoft 365)")
    assert has(p.evidence, "Also seen: SPF includes us._netblocks.mimecast.com (Mimecast, gateway)")
    assert has(p.evidence, "Mixed setup: Microsoft 365 also configured")


def test_mimecast_in_front_of_m365_known_only_from_spf() -> None:
    verdict = of_zone("mimecast-co.test")
    assert verdict.gateway is not None and verdict.gateway.key == "mimecast"
    assert (verdict.provider.key, verdict.provider.confidence) == ("m365", "medium")


def test_zoho() -> None:
    p = of_zone("zoho-co.test").provider
    assert (p.key, p.name, p.kind, p.confidence) == ("zoho", "Zoho Mail", "cloud_suite", "high")
    assert has(p.evidence, "TXT zoho-verification=")


def test_gworkspace() -> None:
    p = of_zone("gworkspace.test").provider
    assert (p.key, p.kind, p.confidence) == ("google", "cloud_suite", "high")
    assert has(p.evidence, "MX aspmx.l.google.com is Google Workspace, as are 4 more MX hosts")
    assert has(p.evidence, "google-site-verification", "weak evidence")


def test_selfhosted() -> None:
    verdict = of_zone("selfhosted.test")
    p = verdict.provider
    assert (p.key, p.name, p.kind) == ("self_hosted", "Own mail server", "self_hosted")
    assert verdict.gateway is None and verdict.local_provider is None
    assert has(p.evidence, "MX mail.selfhosted.test is under the company's own domain")
    assert not has(p.evidence, "hybrid")


@pytest.mark.parametrize("domain", ["parked.test", "nullmx.edgecases.test"])
def test_null_mx_is_none(domain: str) -> None:
    p = of_zone(domain).provider
    assert (p.key, p.kind, p.confidence) == ("none", "none", "high")
    assert has(p.evidence, "Null MX (RFC 7505)")


def test_no_mx_with_a_is_none_low() -> None:
    p = of_zone("nomx.edgecases.test").provider
    assert (p.key, p.kind, p.confidence) == ("none", "none", "low")
    assert has(p.evidence, "implicit MX")


def test_no_mx_no_a_is_none() -> None:
    facts = facts_from({("x.test", "MX"): "nodata", ("x.test", "A"): "nodata", ("x.test", "AAAA"): "nodata"})
    p = classify(facts, "x.test").provider
    assert (p.key, p.kind, p.confidence) == ("none", "none", "high")


def test_no_mx_lists_outbound_clues() -> None:
    p = of_zone("edgecases.test").provider
    assert p.kind == "none" and has(p.evidence, "Also seen: SPF includes _spf.google.com")


@pytest.mark.parametrize(("value", "key", "confidence"), [("nxdomain", "none", "high"), ("error", "unknown", "none")])
def test_failed_mx_lookup(value: str, key: str, confidence: str) -> None:
    p = classify(facts_from({("x.test", "MX"): value}), "x.test").provider
    assert (p.key, p.confidence) == (key, confidence)


def test_m365_dnssec_endpoint() -> None:
    p = of_zone("m365-dnssec.test").provider
    assert (p.key, p.confidence) == ("m365", "high")


def test_own_mx_in_subdomain_zone() -> None:
    p = of_zone("split.edgecases.test").provider
    assert p.kind == "self_hosted"
    assert has(p.evidence, "Also seen: SPF includes _spf.google.com (Google Workspace)")


# ------------------------------------------------------------------ other shapes

AUTODISCOVER_M365: Table = {("autodiscover.firma.com.tr", "CNAME"): ["autodiscover.outlook.com."]}


def _one(mx_records: list[str], txt: list[str] | None = None, extra: Table | None = None) -> ProviderVerdict:
    table: Table = {("firma.com.tr", "MX"): mx_records, ("firma.com.tr", "TXT"): txt or [], **(extra or {})}
    return classify(facts_from(table, "firma.com.tr"), "firma.com.tr")


@pytest.mark.parametrize(("host", "key", "name"), [
    ("mx.natrohost.com.", "natro", "Natro"),
    ("mail.turhost.com.", "turhost", "Turhost"),
    ("mx1.isimtescil.net.", "isimtescil", "İsimtescil"),
    ("mx.kriweb.com.", "kriweb", "Kriweb"),
    ("mx.ttmail.com.", "ttnet", "TTNET (Türk Telekom)"),
    ("mx.guzel.net.tr.", "guzelhosting", "Güzel Hosting"),
])
def test_turkish_hosting_in_mx(host: str, key: str, name: str) -> None:
    verdict = _one([f"10 {host}"])
    p = verdict.provider
    assert (p.key, p.name, p.kind, p.confidence) == (key, name, "local_hosting", "high")
    assert verdict.local_provider == name and verdict.gateway is None


@pytest.mark.parametrize(("host", "key"), [
    ("smtp.secureserver.net.", "godaddy"), ("mx1.privateemail.com.", "namecheap"),
    ("mx1.emailsrvr.com.", "rackspace"), ("mx1.hostinger.com.", "hostinger"), ("mx00.ionos.de.", "ionos"),
])
def test_global_hosting_in_mx(host: str, key: str) -> None:
    verdict = _one([f"10 {host}"])
    assert (verdict.provider.key, verdict.provider.kind) == (key, "hosting")
    assert verdict.local_provider is None


def test_own_mx_with_hosting_spf_is_that_hosting() -> None:
    verdict = _one(["10 mail.firma.com.tr."], ["v=spf1 a mx include:spf.natrohost.com ~all"])
    p = verdict.provider
    assert (p.key, p.kind, p.confidence) == ("natro", "local_hosting", "medium")
    assert verdict.local_provider == "Natro"
    assert has(p.evidence, "probably hosted at Natro")


def test_own_mx_with_m365_evidence_notes_hybrid_exchange() -> None:
    verdict = _one(["10 mail.firma.com.tr."], ["v=spf1 mx include:spf.protection.outlook.com -all"],
                   AUTODISCOVER_M365)
    p = verdict.provider
    assert p.kind == "self_hosted"
    assert has(p.evidence, "hybrid Exchange")


def test_mx_at_the_domain_itself_is_own_server() -> None:
    assert _one(["10 firma.com.tr."]).provider.kind == "self_hosted"


def test_registrable_domain_makes_parent_hosts_own() -> None:
    facts = facts_from({("shop.firma.com.tr", "MX"): ["10 mail.firma.com.tr."]})
    verdict = classify(facts, "shop.firma.com.tr", registrable="firma.com.tr")
    assert verdict.provider.kind == "self_hosted"


def test_unknown_mx_without_evidence_is_unknown() -> None:
    p = _one(["10 mx.someone-else.net.", "20 mx2.someone-else.net."]).provider
    assert (p.key, p.kind, p.confidence) == ("unknown", "unknown", "low")
    assert has(p.evidence, "MX mx.someone-else.net is not in the catalogue")


def test_unknown_mx_with_strong_evidence_steps_confidence_down() -> None:
    verdict = _one(["10 mx.unlisted-filter.net."], ["v=spf1 include:spf.protection.outlook.com -all", "MS=ms1"],
                   AUTODISCOVER_M365)
    assert (verdict.provider.key, verdict.provider.confidence) == ("m365", "medium")
    assert has(verdict.provider.evidence, "not in the catalogue")


def test_gateway_without_other_evidence_is_unknown() -> None:
    verdict = _one(["10 mx1.hc123-45.eu.iphmx.com."])
    assert verdict.gateway is not None and verdict.gateway.key == "cisco"
    p = verdict.provider
    assert (p.key, p.confidence) == ("unknown", "low")
    assert has(p.evidence, "No evidence of the mailbox provider behind Cisco Secure Email")


def test_gateway_with_only_weak_evidence_is_low() -> None:
    verdict = _one(["10 mx1.mimecast.com."], ["google-site-verification=abc"])
    assert (verdict.provider.key, verdict.provider.confidence) == ("google", "low")


def test_gateway_with_provider_backup_mx() -> None:
    verdict = _one(["10 eu-smtp-inbound-1.mimecast.com.", "20 firma-com-tr.mail.protection.outlook.com."])
    assert verdict.gateway is not None and verdict.gateway.key == "mimecast"
    assert (verdict.provider.key, verdict.provider.confidence) == ("m365", "high")


@pytest.mark.parametrize("host", ["notoutlook.com.", "mail.protection.outlook.com.evil.tr.", "xgoogle.com."])
def test_label_boundaries_in_mx(host: str) -> None:
    assert _one([f"10 {host}"]).provider.key == "unknown"


def test_spf_include_label_boundary() -> None:
    verdict = _one(["10 mx.someone-else.net."], ["v=spf1 include:spf.protection.outlook.com.evil.tr -all"])
    assert verdict.provider.key == "unknown"
