"""m365.detect, google.detect, dkim.evaluate, transport_security.evaluate and tenant.estimate."""

from __future__ import annotations

import pytest

from hunter.analysis import dkim, google, m365, tenant, transport_security
from hunter.dns.plan import DEFAULT_DKIM_SELECTORS
from hunter.model import M365, Dmarc, Gateway, Spf
from hunter.rules import catalogue
from tests.analysis.test_mx import KEY, chain, facts_from, zone

CAT = catalogue.load()


def has(lines: list[str], *parts: str) -> bool:
    return any(all(part in line for part in parts) for line in lines)


# ------------------------------------------------------------------ Microsoft 365

def test_m365_full_tenant() -> None:
    result = m365.detect(zone("m365-tenant.test"), "m365-tenant.test")
    assert result.detected and result.tenant == "m365tenant.onmicrosoft.com"
    for part in ("MX m365-tenant-test.mail.protection.outlook.com", "SPF includes spf.protection.outlook.com",
                 "autodiscover CNAME autodiscover.outlook.com", "TXT MS=ms48291734", "DKIM selector1 CNAME",
                 "lyncdiscover CNAME webdir.online.lync.com", "sip CNAME sipdir.online.lync.com",
                 "enterpriseregistration CNAME", "enterpriseenrollment CNAME", "_sip._tls SRV",
                 "_sipfederationtls._tcp SRV sipfed.online.lync.com"):
        assert has(result.signals, part), part


def test_m365_behind_gateway_reveals_tenant() -> None:
    result = m365.detect(zone("gateway-m365.test"), "gateway-m365.test")
    assert result.detected and result.tenant == "gatewaym365.onmicrosoft.com"
    assert not has(result.signals, "MX ")


@pytest.mark.parametrize(("domain", "tenant_name"), [
    ("hybrid-co.test", "hybridco.onmicrosoft.com"), ("m365-dnssec.test", "m365dnssec.onmicrosoft.com"),
    ("mimecast-co.test", None)])
def test_m365_detected_elsewhere(domain: str, tenant_name: str | None) -> None:
    result = m365.detect(zone(domain), domain)
    assert result.detected and result.tenant == tenant_name


@pytest.mark.parametrize("domain", ["gworkspace.test", "zoho-co.test", "selfhosted.test", "parked.test"])
def test_m365_absent(domain: str) -> None:
    assert m365.detect(zone(domain), domain) == M365()


@pytest.mark.parametrize(("target", "expected"), [
    ("selector1-contoso-com._domainkey.contoso.onmicrosoft.com.", "contoso.onmicrosoft.com"),
    ("selector2-contoso-com-tr._domainkey.contosotr.onmicrosoft.com", "contosotr.onmicrosoft.com"),
    ("selector1-contoso-com._domainkey.contoso.r-v1.dkim.mail.microsoft", "contoso.onmicrosoft.com"),
    ("selector1-contoso-com._domainkey.contoso.onmicrosoft.com.evil.tr", None),
    ("dkim.mcsv.net", None),
])
def test_tenant_from_dkim(target: str, expected: str | None) -> None:
    assert m365.tenant_from_dkim(target) == expected


# ------------------------------------------------------------------ Google Workspace

def test_google_workspace() -> None:
    result = google.detect(zone("gworkspace.test"), "gworkspace.test")
    assert result.detected
    assert has(result.signals, "MX aspmx.l.google.com")
    assert has(result.signals, "SPF includes _spf.google.com")
    assert has(result.signals, "DKIM selector google publishes a key")
    assert has(result.signals, "google-site-verification", "weak")


def test_google_site_verification_alone_is_not_workspace() -> None:
    result = google.detect(zone("m365-tenant.test"), "m365-tenant.test")
    assert not result.detected and has(result.signals, "google-site-verification")


@pytest.mark.parametrize("host", ["smtp.google.com.", "aspmx2.googlemail.com."])
def test_google_other_mx_names(host: str) -> None:
    facts = facts_from({("x.test", "MX"): [f"1 {host}"]})
    assert google.detect(facts, "x.test").detected


def test_google_in_hybrid() -> None:
    assert google.detect(zone("hybrid-co.test"), "hybrid-co.test").detected


# ------------------------------------------------------------------ DKIM

def test_dkim_m365_cname_chains() -> None:
    result = dkim.evaluate(zone("m365-tenant.test"), "m365-tenant.test")
    assert result.present and result.selectors == ["selector1", "selector2"]
    assert has(result.evidence, "selector1: CNAME to selector1-m365-tenant-test._domainkey.m365tenant",
               "no record at the target yet")


def test_dkim_txt_and_chains_together() -> None:
    result = dkim.evaluate(zone("hybrid-co.test"), "hybrid-co.test")
    assert result.selectors == ["selector1", "google", "k1"]
    assert has(result.evidence, "google: key published as TXT")
    assert has(result.evidence, "k1: CNAME to dkim.mcsv.net")
    assert not has(result.evidence, "k1", "no record")


@pytest.mark.parametrize(("domain", "selectors"), [
    ("zoho-co.test", ["zmail"]), ("gworkspace.test", ["google"]), ("selfhosted.test", [])])
def test_dkim_txt(domain: str, selectors: list[str]) -> None:
    result = dkim.evaluate(zone(domain), domain)
    assert result.selectors == selectors and result.present == bool(selectors)


def test_dkim_revoked_wildcard_is_not_present() -> None:
    result = dkim.evaluate(zone("parked.test"), "parked.test")
    assert not result.present and result.selectors == []
    assert has(result.evidence, "Revoked DKIM key (empty p=)", "selector1")


def test_dkim_only_the_selectors_asked() -> None:
    result = dkim.evaluate(zone("hybrid-co.test"), "hybrid-co.test", ["google"])
    assert result.selectors == ["google"]
    assert "google" in DEFAULT_DKIM_SELECTORS


@pytest.mark.parametrize(("record", "state"), [
    (KEY, "key"), ("v=DKIM1; p=", "revoked"), ("p=MIGf", "key"), ("v=DKIM1; k=rsa", "key"),
    ("v=spf1 -all", "none"), ("", "none")])
def test_key_state(record: str, state: str) -> None:
    assert dkim.key_state(record) == state


def test_dkim_cname_to_revoked_key() -> None:
    facts = facts_from({("s1._domainkey.x.test", "TXT"): chain("s1.example.net.", records=("v=DKIM1; p=",))})
    assert not dkim.evaluate(facts, "x.test", ["s1"]).present


# ------------------------------------------------------------------ MTA-STS, TLS-RPT, BIMI

def test_transport_security_all_present() -> None:
    result = transport_security.evaluate(zone("m365-dnssec.test"), "m365-dnssec.test")
    assert (result.mta_sts, result.tls_rpt, result.bimi) == (True, True, True)
    assert has(result.evidence, "MTA-STS record at _mta-sts.m365-dnssec.test: v=STSv1")
    assert has(result.evidence, "TLS-RPT") and has(result.evidence, "BIMI")


def test_transport_security_absent() -> None:
    result = transport_security.evaluate(zone("m365-tenant.test"), "m365-tenant.test")
    assert (result.mta_sts, result.tls_rpt, result.bimi, result.evidence) == (False, False, False, [])


def test_transport_security_needs_exactly_one_record() -> None:
    facts = facts_from({
        ("_mta-sts.x.test", "TXT"): ["v=STSv1; id=1", "v=STSv1; id=2"],
        ("_smtp._tls.x.test", "TXT"): ["unrelated", "v=TLSRPTv1;rua=mailto:t@x.test"],
        ("default._bimi.x.test", "TXT"): ["v=BIMI2; l=x"],
    })
    result = transport_security.evaluate(facts, "x.test")
    assert (result.mta_sts, result.tls_rpt, result.bimi) == (False, True, False)
    assert has(result.evidence, "MTA-STS ignored: 2 records")


# ------------------------------------------------------------------ tenant size

def _size(domain: str, *, gateway: Gateway | None = None, dmarc: Dmarc | None = None,
          includes: list[str] | None = None) -> tuple[str, list[str]]:
    facts = zone(domain)
    result = tenant.estimate(
        facts, domain, m365=m365.detect(facts, domain), google=google.detect(facts, domain),
        gateway=gateway, spf=Spf(present=True, valid=True, includes=includes or []),
        dmarc=dmarc or Dmarc(), catalogue=CAT)
    return result.value, result.evidence


def _dmarc(policy: str, coverage: int, *rua: str) -> Dmarc:
    return Dmarc(present=True, valid=True, policy=policy, pct=coverage, coverage=coverage,  # type: ignore[arg-type]
                 rua=list(rua))


def test_tenant_m365_with_teams_intune_and_dmarc_is_medium() -> None:
    value, evidence = _size("m365-tenant.test", dmarc=_dmarc("reject", 100, "mailto:dmarc-rua@m365-tenant.test"),
                            includes=["spf.protection.outlook.com"])
    assert value == "medium"
    assert has(evidence, "Intune / Entra", "(+2)") and has(evidence, "Teams / Skype", "(+1)")
    assert has(evidence, "DMARC enforced", "p=reject") and not has(evidence, "third-party")
    assert has(evidence, "Estimate from public DNS: 4 points from 3 signals -> medium")


def test_tenant_hybrid_enterprise_shape_is_large() -> None:
    value, evidence = _size("hybrid-co.test", dmarc=_dmarc("reject", 100, "mailto:hybrid-co@rua.agari.com"),
                            includes=["_spf.google.com", "spf.protection.outlook.com",
                                      "us._netblocks.mimecast.com", "spf.mandrillapp.com"])
    assert value == "large"
    assert has(evidence, "third-party processor (rua.agari.com)")
    assert has(evidence, "Several SaaS domain verifications", "atlassian-domain-verification", "zoom_verify")
    assert has(evidence, "SPF authorises many sending services (4 includes)")


def test_tenant_gateway_counts() -> None:
    gateway = Gateway(key="proofpoint", name="Proofpoint")
    value, evidence = _size("gateway-m365.test", gateway=gateway,
                            dmarc=_dmarc("quarantine", 100, "mailto:dmarc_agg@vali.email"))
    assert value == "medium" and has(evidence, "security gateway (Proofpoint)")


def test_tenant_bare_suite_is_small() -> None:
    value, evidence = _size("gworkspace.test", dmarc=_dmarc("quarantine", 50), includes=["_spf.google.com"])
    assert value == "small" and has(evidence, "low confidence")
    assert not has(evidence, "DMARC enforced")          # pct=50 is not enforcement on all mail


@pytest.mark.parametrize("domain", ["selfhosted.test", "zoho-co.test"])
def test_tenant_unknown_without_signals(domain: str) -> None:
    value, evidence = _size(domain, dmarc=_dmarc("none", 100))
    assert value == "unknown" and has(evidence, "Not enough public signals")


def test_tenant_parked_is_unknown_despite_dmarc() -> None:
    value, _ = _size("parked.test", dmarc=_dmarc("reject", 100))
    assert value == "unknown"


def test_tenant_enterprise_needs_breadth() -> None:
    gateway = Gateway(key="mimecast", name="Mimecast")
    value, evidence = _size("m365-tenant.test", gateway=gateway,
                            dmarc=_dmarc("reject", 100, "mailto:x@rua.agari.com"),
                            includes=["a.example", "b.example", "c.example", "d.example"])
    assert value == "enterprise", evidence
