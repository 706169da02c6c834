"""flows.scan_leads on SQLite and PostgreSQL against the sandbox DNS: a lead with Partner Center
referrals is stored with the verdict that includes the referral signal."""

from __future__ import annotations


from sqlalchemy.orm import Session, sessionmaker

from hunter.flows.scan_leads import scan_lead
from hunter.flows.sync_referrals import sync_referrals
from hunter.scoring import rules as scoring_rules
from hunter.store.leads import LeadRepository
from hunter.store.models import Lead
from hunter.store.scans import ScanRepository
from hunter.wiring import build_context
from tests.fakes.referrals import FakeReferralSource, referral

RULES = scoring_rules.load(scoring_rules.DEFAULT_PATH)
DOMAINS = ("poyrazyazilim.com.tr", "egeornek.com.tr", "karadenizfindik.com.tr")


def source() -> FakeReferralSource:
    return FakeReferralSource([
        referral("r1", emails=("ayse@poyrazyazilim.com.tr",)),                          # New/Pending
        referral("r2", emails=("can@egeornek.com.tr",), updated="2026-11-02T08:00:00.0000000Z",
                 status="Closed", substatus="Lost"),
        referral("r3", emails=("ali@egeornek.com.tr",), updated="2026-11-03T08:00:00.0000000Z",
                 status="Active", substatus="Engaged"),
    ])


async def scan_all(sessions: sessionmaker[Session], world_settings, ids: dict[str, int]) -> None:
    ctx = build_context(world_settings)
    try:
        for lead_id in ids.values():
            with sessions() as session:
                await scan_lead(ctx, session, lead_id)
                session.commit()
    finally:
        await ctx.resolver.aclose()


async def test_a_scanned_lead_with_a_referral_gets_the_referral_signal(sessions, world_settings) -> None:
    with sessions() as session:
        ids = {d: LeadRepository(session).upsert(d, source="import.csv")[0].id for d in DOMAINS}
        session.commit()
    assert sync_referrals(sessions, source(), rules=RULES).leads_rescored == 0     # nothing scanned yet
    await scan_all(sessions, world_settings, ids)
    with sessions() as session:
        scans = ScanRepository(session)
        stored = {d: scans.analysis_of(scans.latest(i)) for d, i in ids.items()}
        poyraz = stored["poyrazyazilim.com.tr"]
        assert poyraz.segment == "microsoft" and poyraz.priority == "P3"        # P4 without the referral
        assert poyraz.reasons[-1].code == "pc_referral_open"
        assert poyraz.reasons[-1].text == "Partner Center referral (New/Pending)"
        assert session.get(Lead, ids["poyrazyazilim.com.tr"]).priority == "P3"
        ege = stored["egeornek.com.tr"]                      # no mail, but the latest referral is open
        assert (ege.segment, ege.priority) == ("no_mail", "P5")
        assert ege.reasons[-1].text == "Partner Center referral (Active/Engaged; 2 referrals)"
        plain = stored["karadenizfindik.com.tr"]
        assert plain.priority == "P1" and not [r for r in plain.reasons if r.code.startswith("pc_referral")]
    again = sync_referrals(sessions, source(), rules=RULES, full=True)
    assert again.status == "succeeded" and again.leads_rescored == 0     # the scan already gave that verdict
