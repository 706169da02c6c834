from __future__ import annotations

from hunter.changes import Change, diff
from hunter.model import Analysis, Dkim, Dmarc, Gateway, M365, MxHost, Provider

M365_PROVIDER = Provider(key="m365", name="Microsoft 365", kind="cloud_suite", confidence="high")
NATRO = Provider(key="natro", name="Natro", kind="local_hosting", confidence="high")


def make(**kw) -> Analysis:
    base = dict(domain="firma.com.tr", input="firma.com.tr", status="ok", provider=NATRO,
                mx=[MxHost(host="mx.natrohost.com", preference=10)], priority="P1", score=60)
    base.update(kw)
    return Analysis(**base)


def kinds(changes: list[Change]) -> list[str]:
    return [c.kind for c in changes]


def test_first_scan_has_no_changes():
    assert diff(None, make()) == []


def test_same_scan_has_no_changes():
    assert diff(make(), make()) == []


def test_provider_move_and_mx_and_priority():
    after = make(provider=M365_PROVIDER, mx=[MxHost(host="firma-com-tr.mail.protection.outlook.com", preference=0)],
                 priority="P3", score=45)
    changes = diff(make(), after)
    assert kinds(changes) == ["provider_moved", "mx_changed", "priority_changed", "score_changed"]
    assert changes[0] == Change("provider_moved", "Natro", "Microsoft 365")


def test_gateway_added_removed_changed():
    pp, mc = Gateway(key="proofpoint", name="Proofpoint"), Gateway(key="mimecast", name="Mimecast")
    assert kinds(diff(make(), make(gateway=pp))) == ["gateway_added"]
    assert kinds(diff(make(gateway=pp), make())) == ["gateway_removed"]
    assert kinds(diff(make(gateway=pp), make(gateway=mc))) == ["gateway_changed"]


def test_dmarc_tightened_and_loosened():
    none = Dmarc(present=True, valid=True, policy="none", coverage=100)
    reject = Dmarc(present=True, valid=True, policy="reject", coverage=100)
    half = Dmarc(present=True, valid=True, policy="reject", coverage=50)
    assert diff(make(dmarc=none), make(dmarc=reject)) == [Change("dmarc_tightened", "p=none", "p=reject")]
    assert kinds(diff(make(dmarc=reject), make(dmarc=half))) == ["dmarc_loosened"]
    assert kinds(diff(make(), make(dmarc=none))) == ["dmarc_tightened"]


def test_dkim_and_tenant():
    changes = diff(make(), make(dkim=Dkim(present=True, selectors=["selector1"]),
                                m365=M365(detected=True, tenant="firma.onmicrosoft.com")))
    assert kinds(changes) == ["dkim_added", "tenant_changed"]


def test_dns_failure_reports_only_the_status():
    failed = make(status="dns_error", provider=Provider(key="unknown", name="Unknown", kind="unknown", confidence="none"),
                  mx=[], priority=None, score=0)
    assert diff(make(), failed) == [Change("status_changed", "ok", "dns_error")]
    assert diff(failed, make()) == [Change("status_changed", "dns_error", "ok")]
