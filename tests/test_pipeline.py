"""The whole pipeline over real DNS packets to the sandbox (fixture zones + demo zones)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from hunter.model import Analysis
from hunter.pipeline import analyze
from hunter.schema import SCHEMA_FILE, analysis_schema
from hunter.sandbox.dns import Fault
from hunter.wiring import build_context


async def run(settings, *texts: str, rescan: bool = False) -> list[Analysis]:
    ctx = build_context(settings)
    try:
        return [await analyze(text, ctx, rescan=rescan) for text in texts]
    finally:
        await ctx.resolver.aclose()


async def one(settings, text: str) -> Analysis:
    return (await run(settings, text))[0]


async def test_m365_tenant_is_recognised_with_evidence(world_settings):
    a = await one(world_settings, "https://www.M365-Tenant.test/contact")
    assert (a.status, a.domain, a.provider.key, a.provider.kind) == ("ok", "m365-tenant.test", "m365", "cloud_suite")
    assert a.m365.detected and a.m365.tenant == "m365tenant.onmicrosoft.com"
    assert a.mx[0].host == "m365-tenant-test.mail.protection.outlook.com" and a.mx[0].preference == 0
    assert a.spf.valid and a.spf.all == "-all" and "spf.protection.outlook.com" in a.spf.includes
    assert a.dmarc.policy == "reject" and a.dmarc.coverage == 100 and a.dmarc.source == "domain"
    assert set(a.dkim.selectors) >= {"selector1", "selector2"}
    assert a.provider.evidence and a.evidence.records["m365-tenant.test MX"]
    assert a.rules_version and a.evidence.rules_version == a.rules_version


async def test_gateway_never_hides_the_provider(world_settings):
    a = await one(world_settings, "gateway-m365.test")
    assert a.gateway is not None and a.gateway.key == "proofpoint"
    assert a.provider.key == "m365" and a.m365.tenant == "gatewaym365.onmicrosoft.com"
    assert a.segment == "microsoft" and a.priority in ("P3", "P4")


async def test_self_hosted_and_local_hosting(world_settings):
    selfhosted, natro = await run(world_settings, "selfhosted.test", "karadenizfindik.com.tr")
    assert selfhosted.provider.kind == "self_hosted" and [m.host for m in selfhosted.mx] == [
        "mail.selfhosted.test", "backup-mx.selfhosted.test"]
    assert natro.provider.key == "natro" and natro.local_provider == "Natro"
    assert natro.provider.kind == "local_hosting" and natro.priority == "P1"


async def test_statuses_for_missing_mail(world_settings):
    null_mx, no_mx, nxdomain = await run(world_settings, "nullmx.edgecases.test", "nomx.edgecases.test",
                                         "does-not-exist.edgecases.test")
    assert null_mx.status == "null_mx" and null_mx.provider.kind == "none"
    assert no_mx.status == "no_mx" and no_mx.mx_fallback_a
    assert nxdomain.status == "nxdomain" and nxdomain.priority == "P6"


async def test_broken_zone_is_dns_error_not_no_mx(world_settings):
    a = await one(world_settings, "vanmermer.com.tr")
    assert a.status == "dns_error" and a.segment == "unknown" and a.priority is None
    assert "servfail" in a.reason.lower() and a.evidence.dns_errors


async def test_transient_failures_recover_through_retry(world, world_settings):
    world.faults.set(("marmaraotomotiv.com.tr", "MX"), Fault("servfail", times=2))
    try:
        a = await one(world_settings, "marmaraotomotiv.com.tr")
    finally:
        world.faults.remove(("marmaraotomotiv.com.tr", "MX"))
    assert a.status == "ok" and a.provider.kind == "self_hosted"


async def test_invalid_input_is_data(world_settings):
    results = await run(world_settings, "nan", "ahmet@gmail.com", "+90 212 555 12 12", "")
    assert [r.status for r in results] == ["invalid"] * 4
    assert all(r.reason for r in results) and "consumer" in results[1].reason


async def test_idn_input_becomes_a_label(world_settings):
    a = await one(world_settings, "BAŞKENTHOLDİNG.COM.TR")
    assert a.domain == "xn--bakentholding-jtc.com.tr"
    assert a.provider.kind == "self_hosted" and any("hybrid" in e.lower() for e in a.provider.evidence)


async def test_every_object_matches_the_json_schema(world_settings):
    schema = analysis_schema()
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == schema, "run `make schema`"
    results = await run(world_settings, "m365-tenant.test", "hybrid-co.test", "nan", "vanmermer.com.tr",
                        "nullmx.edgecases.test", "toomany.edgecases.test")
    for result in results:
        jsonschema.validate(result.model_dump(mode="json"), schema)


async def test_edge_case_spf(world_settings):
    several, too_many, loop = await run(world_settings, "edgecases.test", "toomany.edgecases.test",
                                        "loop-a.edgecases.test")
    assert several.spf.present and not several.spf.valid
    assert not too_many.spf.valid and too_many.spf.lookups > 10
    assert not loop.spf.valid and "loop" in loop.spf.error.lower()


@pytest.mark.parametrize("domain, key, gateway", [
    ("hybrid-co.test", "google", None),
    ("mimecast-co.test", None, "mimecast"),
    ("zoho-co.test", "zoho", None),
    ("gworkspace.test", "google", None),
])
async def test_fixture_zone_providers(world_settings, domain, key, gateway):
    a = await one(world_settings, domain)
    if key is not None:
        assert a.provider.key == key
    assert (a.gateway.key if a.gateway else None) == gateway
