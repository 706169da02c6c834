from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hunter.errors import RulesError
from hunter.model import M365, Dkim, Dmarc, Gateway, Provider, Spf, TenantSize
from hunter.scoring import rules as scoring_rules
from hunter.scoring.score import Referral, ScoringInput, posture_gaps, score, segment_of

RULES = scoring_rules.load()
KINDS = ("cloud_suite", "local_hosting", "hosting", "self_hosted", "none", "unknown")
STATUSES = ("ok", "no_mx", "null_mx", "nxdomain", "dns_error")

spfs = st.builds(Spf, present=st.booleans(), valid=st.booleans(),
                 all=st.sampled_from([None, "-all", "~all", "?all", "+all"]))
dmarcs = st.builds(Dmarc, present=st.booleans(), valid=st.booleans(),
                   policy=st.sampled_from([None, "none", "quarantine", "reject"]),
                   coverage=st.sampled_from([None, 0, 50, 100]))
dkims = st.builds(Dkim, present=st.booleans())
providers = st.builds(Provider, key=st.sampled_from(["m365", "google", "natro", "self_hosted", "unknown", "none"]),
                      name=st.just("x"), kind=st.sampled_from(KINDS), confidence=st.just("high"))
gateways = st.builds(Gateway, key=st.sampled_from(["proofpoint", "mimecast", "barracuda"]),
                     name=st.sampled_from(["Proofpoint", "Mimecast", "Barracuda Email Protection", "Trend Micro"]))
m365s = st.builds(M365, detected=st.booleans())
# Partner Center's states (New/Active/Closed with their substatuses), odd spellings and unknown ones
referrals = st.builds(
    Referral, status=st.sampled_from([None, "New", "Active", "Closed", "closed", "OnHold"]),
    substatus=st.sampled_from([None, "Pending", "Received", "Accepted", "Engaged", "Won", "Lost", "Declined",
                               "Expired", "Error", "LOST"]),
    count=st.integers(min_value=1, max_value=9))
inputs = st.builds(
    ScoringInput, status=st.sampled_from(STATUSES), provider=providers,
    gateway=st.one_of(st.none(), gateways),
    local_provider=st.one_of(st.none(), st.just("Natro")), spf=spfs, dmarc=dmarcs, dkim=dkims,
    tenant_size=st.builds(TenantSize, value=st.sampled_from(["small", "medium", "large", "enterprise", "unknown"])),
    m365=m365s, referral=st.one_of(st.none(), referrals),
)


def make(**kw) -> ScoringInput:
    base = dict(status="ok", provider=Provider(key="natro", name="Natro", kind="local_hosting", confidence="high"),
                gateway=None, local_provider="Natro", spf=Spf(), dmarc=Dmarc(), dkim=Dkim(), tenant_size=TenantSize())
    base.update(kw)
    return ScoringInput(**base)


@given(inputs)
def test_every_combination_lands_in_exactly_one_known_segment(parts):
    verdict = score(parts, RULES)
    assert verdict.segment in RULES.segments
    assert 0 <= verdict.score <= 100
    assert verdict.score == max(0, min(100, sum(r.points for r in verdict.reasons)))


@given(inputs)
def test_dns_failure_is_unknown_never_no_go(parts):
    parts = ScoringInput(**{**{f: getattr(parts, f) for f in parts.__slots__}, "status": "dns_error"})
    verdict = score(parts, RULES)
    assert verdict.segment == "unknown" and verdict.priority is None
    assert "rescan" in verdict.priority_label.lower()


@given(inputs)
def test_microsoft_behind_gateway_is_never_greenfield(parts):
    m365 = Provider(key="m365", name="Microsoft 365", kind="cloud_suite", confidence="high")
    parts = ScoringInput(**{**{f: getattr(parts, f) for f in parts.__slots__}, "provider": m365,
                            "gateway": Gateway(key="proofpoint", name="Proofpoint"), "status": "ok"})
    verdict = score(parts, RULES)
    assert verdict.segment == "microsoft" and verdict.priority in ("P3", "P4")


@given(spfs, dmarcs, dkims)
def test_adding_a_protection_never_adds_a_gap(spf, dmarc, dkim):
    gaps = set(posture_gaps(spf, dmarc, dkim))
    stronger = posture_gaps(Spf(present=True, valid=True, all="-all"), dmarc, dkim)
    assert set(stronger) <= gaps
    assert len(posture_gaps(spf, Dmarc(present=True, valid=True, policy="reject", coverage=100), dkim)) <= len(gaps)
    assert len(posture_gaps(spf, dmarc, Dkim(present=True))) <= len(gaps)


def test_every_segment_and_priority_is_reachable():
    seen_segments, seen_priorities = set(), set()
    m365 = Provider(key="m365", name="Microsoft 365", kind="cloud_suite", confidence="high")
    google = Provider(key="google", name="Google Workspace", kind="cloud_suite", confidence="high")
    unknown = Provider(key="unknown", name="Unknown", kind="unknown", confidence="low")
    strong = dict(spf=Spf(present=True, valid=True, all="-all"), dkim=Dkim(present=True),
                  dmarc=Dmarc(present=True, valid=True, policy="reject", coverage=100))
    cases = [
        make(), make(local_provider=None, **strong),
        make(provider=google, local_provider=None), make(provider=google, local_provider=None, **strong),
        make(provider=m365, local_provider=None), make(provider=m365, local_provider=None, **strong),
        make(provider=unknown, local_provider=None, gateway=Gateway(key="proofpoint", name="Proofpoint")),
        make(status="nxdomain"), make(status="dns_error"),
    ]
    for parts in cases:
        verdict = score(parts, RULES)
        seen_segments.add(verdict.segment)
        seen_priorities.add(verdict.priority)
    assert seen_segments == set(RULES.segments)
    assert {"P1", "P2", "P3", "P4", "P5", "P6"} <= seen_priorities


def test_greenfield_with_gaps_is_p1_with_reasons():
    verdict = score(make(), RULES)
    assert (verdict.segment, verdict.priority) == ("greenfield", "P1")
    codes = [r.code for r in verdict.reasons]
    assert codes[:1] == ["segment_greenfield"] and "dmarc_missing" in codes and "local_provider" in codes


def test_segment_of_no_mail_kinds():
    assert segment_of(make(status="null_mx")) == "no_mail"
    assert segment_of(make(provider=Provider(key="none", name="No mail", kind="none", confidence="high"))) == "no_mail"


def test_invalid_input_gets_no_verdict():
    verdict = score(make(status="invalid"), RULES)
    assert verdict.score is None and verdict.priority is None


@pytest.mark.parametrize("mutate, message", [
    (lambda t: t.replace(f'version: "{RULES.version}"', "version: ''"), "version"),
    (lambda t: t.replace("  P6:", "  P9:"), "priorities"),
    (lambda t: t.replace("pc_referral_open: 20", "pc_referral_new: 20"), "points"),
    (lambda t: t.replace("named: {en: \"Unknown behind {gateway}\"", "named: {en: \"Unknown\""), "named"),
    (lambda t: t.replace("  competitive: P2\n", "  competitive: P0\n"), "referral_priority"),
    (lambda t: t.replace("  no_mail: P5\n", "  unknown: P5\n"), "referral_priority"),
    (lambda t: t.replace("dkim_missing: 6", "dkim_missing: -6"), "negative"),
    (lambda t: t.replace("segments:", "segments: [", 1), "cannot read"),
])
def test_bad_rules_file_gives_clear_error(tmp_path: Path, mutate, message):
    bad = tmp_path / "scoring.yaml"
    bad.write_text(mutate(scoring_rules.DEFAULT_PATH.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        scoring_rules.load(bad)
    assert str(bad) in str(caught.value) and message in str(caught.value)
