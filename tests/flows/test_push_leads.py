"""flows.push_leads on SQLite and PostgreSQL with a fake LeadSink: create, idempotent re-push,
unchanged leads cost no request, a changed verdict is stale and pushed again, one bad lead does
not stop the others, the service down, and the acknowledgement and log kept per lead."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from hunter.flows.push_leads import PushOptions, push_leads
from hunter.flows.scan_leads import scan_lead
from hunter.flows.sync_referrals import sync_referrals
from hunter.sales import load_config
from hunter.scoring import rules as scoring_rules
from hunter.store.dynamics import DynamicsRepository
from hunter.store.leads import LeadFilter, LeadRepository
from hunter.store.models import DynamicsPushLog, Lead
from hunter.wiring import build_context
from tests.fakes.dynamics import FakeLeadSink
from tests.fakes.referrals import FakeReferralSource, referral

DOMAINS = ("karadenizfindik.com.tr", "torosyapi.com.tr", "gworkspace.test")
RULES = scoring_rules.load(scoring_rules.DEFAULT_PATH)
OPTIONS = PushOptions(sales_config=load_config(None), public_url="https://hunter.example.test")


@pytest.fixture
async def scanned(sessions, world_settings) -> dict[str, int]:
    ctx = build_context(world_settings)
    ids = {}
    with sessions() as session:
        for domain in DOMAINS:
            lead, _ = LeadRepository(session).upsert(domain, company=f"{domain} A.Ş.", source="test",
                                                     contacts=[{"email": f"ali@{domain}"}])
            ids[domain] = lead.id
        session.commit()
    for lead_id in ids.values():
        with sessions() as session:
            await scan_lead(ctx, session, lead_id)
            session.commit()
    await ctx.aclose()
    return ids


def state(sessions, lead_id: int) -> tuple[str | None, str | None]:
    with sessions() as session:
        ack = DynamicsRepository(session).ack(lead_id)
        return session.get(Lead, lead_id).dynamics_state, ack.state if ack else None


def test_push_creates_then_a_repush_is_unchanged_and_sends_nothing(sessions, scanned) -> None:
    sink = FakeLeadSink()
    first = push_leads(sessions, sink, list(scanned.values()), options=OPTIONS)
    assert (first.created, first.updated, first.unchanged, first.failed) == (3, 0, 0, 0)
    record = sink.records["karadenizfindik.com.tr"]
    assert record["subject"] == "Hunter: karadenizfindik.com.tr A.Ş." and record["hnt_priority"] == "P1"
    assert record["hnt_hunterurl"] == f"https://hunter.example.test/leads/{scanned['karadenizfindik.com.tr']}"
    assert record["emailaddress1"] == "ali@karadenizfindik.com.tr" and "Next step" in record["description"]
    assert state(sessions, scanned["torosyapi.com.tr"]) == ("pushed", "pushed")
    again = push_leads(sessions, sink, list(scanned.values()), options=OPTIONS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3) and len(sink.pushed) == 1
    forced = push_leads(sessions, sink, list(scanned.values()), options=replace(OPTIONS, force=True))
    assert forced.updated == 3 and all(n == 1 for n in sink.created.values())     # never a second record
    with sessions() as session:
        ack = DynamicsRepository(session).ack(scanned["gworkspace.test"])
        assert ack.record_id == sink.records["gworkspace.test"]["leadid"] and ack.attempts == 2
        assert session.scalar(select(func.count()).select_from(DynamicsPushLog)) == 6   # one row per attempt


def test_a_changed_verdict_makes_the_lead_stale_and_changed_pushes_it(sessions, scanned) -> None:
    sink = FakeLeadSink()
    push_leads(sessions, sink, list(scanned.values()), options=OPTIONS)
    sink.records["torosyapi.com.tr"]["subject"] = "Edited by a salesperson"
    lead_id = scanned["torosyapi.com.tr"]
    source = FakeReferralSource([referral("r1", emails=("x@torosyapi.com.tr",), status="Active", substatus="Accepted")])
    sync_referrals(sessions, source, rules=RULES, create_leads=False)     # a referral arrives
    assert state(sessions, lead_id) == ("stale", "stale")
    with sessions() as session:
        stale = DynamicsRepository(session).lead_ids("stale")
        assert LeadRepository(session).count(LeadFilter(dynamics="stale")) == 1
    assert stale == [lead_id]
    result = push_leads(sessions, sink, stale, options=OPTIONS)
    assert result.updated == 1 and sink.records["torosyapi.com.tr"]["hnt_pcreferral"] == "Active/Accepted"
    assert sink.records["torosyapi.com.tr"]["subject"] == "Edited by a salesperson"   # create-only kept
    assert state(sessions, lead_id) == ("pushed", "pushed")


def test_one_bad_lead_fails_alone_with_the_services_message(sessions, scanned) -> None:
    sink = FakeLeadSink()
    sink.reject["torosyapi.com.tr"] = "A validation error occurred.  The length of the 'subject' attribute …"
    result = push_leads(sessions, sink, list(scanned.values()), options=OPTIONS)
    assert (result.created, result.failed) == (2, 1)
    assert result.failures == [{"domain": "torosyapi.com.tr", "error": sink.reject["torosyapi.com.tr"],
                                "code": "0x80044331", "request_id": "req-torosyapi.com.tr"}]
    with sessions() as session:
        ack = DynamicsRepository(session).ack(scanned["torosyapi.com.tr"])
        assert ack.state == "failed" and ack.last_error_code == "0x80044331" and ack.last_request_id
    del sink.reject["torosyapi.com.tr"]
    retried = push_leads(sessions, sink, [scanned["torosyapi.com.tr"]], options=OPTIONS)
    assert retried.created == 1 and state(sessions, scanned["torosyapi.com.tr"]) == ("pushed", "pushed")


def test_the_service_down_fails_the_chunk_and_keeps_hunter_working(sessions, scanned) -> None:
    sink = FakeLeadSink()
    sink.down = True
    result = push_leads(sessions, sink, list(scanned.values()), options=OPTIONS)
    assert result.failed == 3 and "503" in result.aborted and result.created == 0
    assert state(sessions, scanned["gworkspace.test"]) == ("failed", "failed")
    with sessions() as session:
        assert session.get(Lead, scanned["gworkspace.test"]).score is not None     # the verdict is untouched
    sink.down = False
    assert push_leads(sessions, sink, list(scanned.values()), options=OPTIONS).created == 3

