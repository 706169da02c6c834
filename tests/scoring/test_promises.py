"""The promises the scoring model makes (docs/scoring.md, "Promises"), and the referral signal.

Each promise is a Hypothesis property over every status, provider kind, gateway, posture,
tenant size, Microsoft 365 signal and Partner Center referral state; ``rescore`` is checked on
stored analyses (JSON round trip) from the sandbox demo and on generated ones.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from hunter.model import M365, Analysis, Dkim, Dmarc, Provider, Spf
from hunter.pipeline import analyze
from hunter.sandbox.dns import Fault
from hunter.scoring.score import Referral, ScoringInput, input_of, rescore, score, segment_of
from hunter.settings import Settings
from hunter.wiring import build_context
from tests.conftest import DEMO_ZONES
from tests.scoring.test_score import RULES, gateways, inputs, make, referrals

OPEN = [Referral("New", "Pending", 1), Referral("Active", "Engaged", 2), Referral("OnHold", None, 1)]
TENANT_SIGNALS = M365(detected=True, signals=["autodiscover CNAME autodiscover.outlook.com"])
STRONG = dict(spf=Spf(present=True, valid=True, all="-all"), dkim=Dkim(present=True),
              dmarc=Dmarc(present=True, valid=True, policy="reject", coverage=100))
RANK = {None: 7, "P1": 1, "P2": 2, "P3": 3, "P4": 4, "P5": 5, "P6": 6}   # None only for dns_error


def with_(parts: ScoringInput, **changes: object) -> ScoringInput:
    return dataclasses.replace(parts, **changes)


def analysis_of(parts: ScoringInput) -> Analysis:
    """A stored-looking analysis holding ``parts`` (and the verdict the pipeline would give)."""
    fresh = Analysis(domain="ornek.com.tr", input="ornek.com.tr", status=parts.status, provider=parts.provider,
                     gateway=parts.gateway, local_provider=parts.local_provider, spf=parts.spf, dmarc=parts.dmarc,
                     dkim=parts.dkim, tenant_size=parts.tenant_size, m365=parts.m365,
                     rules_version="scoring 2026.01-1; providers 2026.01-1")
    return rescore(fresh, RULES, referral=None)


# ----------------------------------------------------------------------------- promise (a)

@given(inputs)
def test_a_microsoft_365_tenant_in_dns_is_never_greenfield(parts):
    verdict = score(with_(parts, m365=TENANT_SIGNALS), RULES)
    assert verdict.segment != "greenfield"
    if segment_of(with_(parts, m365=M365())) in ("greenfield", "unknown_behind_gateway"):    # mail elsewhere
        assert verdict.segment == "microsoft" and verdict.priority in ("P3", "P4")
        assert "m365_hybrid" in [r.code for r in verdict.reasons]


def test_hybrid_exchange_is_microsoft_with_a_reason():
    own = Provider(key="self_hosted", name="Own mail server", kind="self_hosted", confidence="medium")
    parts = make(provider=own, local_provider=None, m365=TENANT_SIGNALS)
    verdict = score(parts, RULES)
    assert (verdict.segment, verdict.priority) == ("microsoft", "P3")
    hybrid = next(r for r in verdict.reasons if r.code == "m365_hybrid")
    assert "hybrid Exchange" in hybrid.text and hybrid.points == RULES.points["m365_hybrid"]


# ----------------------------------------------------------------------------- promise (b)

@given(inputs, gateways)
def test_an_unknown_provider_behind_a_gateway_is_not_greenfield_and_names_it(parts, gateway):
    unknown = Provider(key="unknown", name="Unknown", kind="unknown", confidence="low")
    parts = with_(parts, status="ok", provider=unknown, gateway=gateway, m365=M365())
    verdict = score(parts, RULES)
    assert verdict.segment == "unknown_behind_gateway"
    assert verdict.reasons[0].text == verdict.priority_label == f"Unknown behind {gateway.name}"
    assert verdict.priority == ("P2" if parts.referral is not None and parts.referral.kind == "open" else "P5")


def test_the_gateway_segment_labels_name_the_gateway_in_both_languages():
    named = RULES.segments["unknown_behind_gateway"].named
    assert named.en.format(gateway="Mimecast") == "Unknown behind Mimecast"
    assert named.tr.format(gateway="Mimecast") == "Mimecast arkasında bilinmiyor"


# ----------------------------------------------------------------------------- promise (c)

@given(inputs)
def test_a_dns_failure_is_never_p6_with_or_without_a_referral(parts):
    parts = with_(parts, status="dns_error")
    verdict = score(parts, RULES)
    assert verdict.segment == "unknown" and verdict.priority is None
    stored = rescore(analysis_of(parts), RULES, referral=parts.referral)
    assert stored.segment == "unknown" and stored.priority is None and stored.priority_label == "Unknown – rescan"


async def test_the_domain_time_limit_is_a_dns_failure_never_p6(world, world_settings):
    world.faults.set(("marmaraotomotiv.com.tr", "MX"), Fault("delay", delay=2.0))
    settings = Settings(dns_nameservers=world_settings.dns_nameservers, dns_timeout=3, dns_domain_time_limit=0.3)
    ctx = build_context(settings)
    try:
        a = await analyze("marmaraotomotiv.com.tr", ctx)
    finally:
        world.faults.remove(("marmaraotomotiv.com.tr", "MX"))
        await ctx.resolver.aclose()
    assert a.status == "dns_error" and "time limit" in a.reason
    assert a.segment == "unknown" and a.priority is None and a.priority_label == "Unknown – rescan"
    assert rescore(a, RULES, referral=None) == a
    assert rescore(a, RULES, referral=OPEN[0]).priority is None


# ----------------------------------------------------------------------------- the referral signal

@given(inputs, st.sampled_from(OPEN))
def test_an_open_referral_never_lowers_the_score_or_the_priority(parts, referral):
    before = score(with_(parts, referral=None), RULES)
    after = score(with_(parts, referral=referral), RULES)
    assert after.score >= before.score and RANK[after.priority] <= RANK[before.priority]
    assert after.segment == before.segment


@given(inputs, referrals)
def test_a_referral_never_changes_the_segment_and_removing_it_gives_the_old_verdict(parts, referral):
    without = score(with_(parts, referral=None), RULES)
    assert score(with_(parts, referral=referral), RULES).segment == without.segment
    assert score(with_(with_(parts, referral=referral), referral=None), RULES) == without


@given(inputs, st.sampled_from(OPEN))
def test_an_open_referral_lifts_greenfield_to_p1_and_competitive_to_p2(parts, referral):
    verdict = score(with_(parts, referral=referral), RULES)
    wanted = {"greenfield": "P1", "competitive": "P2", "unknown_behind_gateway": "P2", "no_mail": "P5",
              "microsoft": "P3", "unknown": None}
    assert verdict.priority == wanted.get(verdict.segment, verdict.priority)
    reason = next(r for r in verdict.reasons if r.code == "pc_referral_open")
    assert reason.points == RULES.points["pc_referral_open"] and f"({referral.state}" in reason.text
    assert (f"{referral.count} referrals" in reason.text) == (referral.count > 1)


def test_closed_referrals_are_small_signals_that_never_lift():
    base = make()
    plain = score(base, RULES)
    for referral, code in [(Referral("Closed", "Won", 1), "pc_referral_won"),
                           (Referral("Closed", "Lost", 3), "pc_referral_closed"),
                           (Referral("Closed", "Declined", 1), "pc_referral_closed"),
                           (Referral("Closed", "Expired", 1), "pc_referral_closed"),
                           (Referral("Closed", None, 1), "pc_referral_closed")]:
        verdict = score(with_(base, referral=referral), RULES)
        reason = verdict.reasons[-1]
        assert reason.code == code and reason.points == RULES.points[code] and referral.state in reason.text
        assert verdict.priority == plain.priority
    assert "already our customer" in score(with_(base, referral=Referral("Closed", "Won", 1)), RULES).reasons[-1].text


def test_an_open_referral_on_a_weak_greenfield_lead_still_reaches_p1():
    parts = make(local_provider=None, **STRONG)
    assert score(parts, RULES).priority == "P5"        # below the threshold on its own
    lifted = score(with_(parts, referral=OPEN[0]), RULES)
    assert lifted.priority == "P1" and lifted.reasons[-1].text == "Partner Center referral (New/Pending)"


# ----------------------------------------------------------------------------- rescore

@given(inputs)
def test_rescore_of_a_stored_analysis_without_referral_gives_the_original_verdict(parts):
    parts = with_(parts, referral=None)
    stored = Analysis.model_validate_json(analysis_of(parts).model_dump_json())
    again = rescore(stored, RULES, referral=None)
    assert again == stored
    verdict = score(parts, RULES)
    assert (again.score, again.segment, again.priority, again.priority_label, tuple(again.reasons)) == (
        verdict.score, verdict.segment, verdict.priority, verdict.priority_label, verdict.reasons)


@given(inputs, referrals)
def test_rescore_with_then_without_a_referral_returns_the_stored_analysis(parts, referral):
    stored = analysis_of(with_(parts, referral=None))
    referred = rescore(stored, RULES, referral=referral)
    assert input_of(referred, referral=referral) == with_(input_of(stored), referral=referral)
    assert rescore(referred, RULES, referral=None) == stored


def test_rescore_keeps_the_provider_part_of_the_rules_version():
    stored = analysis_of(make()).model_copy(update={"rules_version": "scoring 2020.01-1; providers 7"})
    again = rescore(stored, RULES, referral=None)
    assert again.rules_version == f"scoring {RULES.version}; providers 7"
    assert again.evidence.rules_version is None         # an analysis without evidence stays so


async def test_rescore_of_the_sandbox_demo_equals_the_pipeline(world_settings):
    domains = [p.name.removesuffix(".zone") for p in sorted(DEMO_ZONES.glob("*.zone")) if p.name[0] != "_"]
    domains += ["m365-tenant.test", "gateway-m365.test", "selfhosted.test", "nullmx.edgecases.test", "nan"]
    ctx = build_context(world_settings)
    try:
        analyses = [await analyze(text, ctx) for text in domains]
    finally:
        await ctx.resolver.aclose()
    for a in analyses:
        stored = Analysis.model_validate_json(a.model_dump_json())
        assert rescore(stored, RULES, referral=None) == a, a.input
        assert a.segment != "greenfield" or not a.m365.detected
        assert a.status != "dns_error" or a.priority is None
    holding = next(a for a in analyses if a.domain == "xn--bakentholding-jtc.com.tr")    # hybrid Exchange
    assert holding.segment == "microsoft" and "m365_hybrid" in [r.code for r in holding.reasons]
