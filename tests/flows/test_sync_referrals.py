"""flows.sync_referrals on SQLite and PostgreSQL with a fake ReferralSource: first run, delta,
idempotent re-runs, merge by domain, the source down, and the watermark's 100 ns precision."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hunter.flows.sync_referrals import newest_watermark, sync_referrals, ticks
from hunter.scoring import rules as scoring_rules
from hunter.store.leads import LeadFilter, LeadRepository
from hunter.store.models import Lead, PcReferral, PcSyncRun
from hunter.store.referrals import ReferralRepository, SyncRunRepository
from tests.fakes.referrals import FakeReferralSource, referral
from tests.store.conftest import engine, session  # noqa: F401 - migrated, rolled back per test

RULES = scoring_rules.load(scoring_rules.DEFAULT_PATH)


def run(session: Session, source: FakeReferralSource, **kw):
    return sync_referrals(lambda: nullcontext(session), source, rules=RULES, **kw)


def three() -> FakeReferralSource:
    return FakeReferralSource([
        referral("r1", emails=(" Ayse.YILMAZ@Mail.Acme.COM.TR ",), updated="2026-11-01T08:00:00.0000001Z"),
        referral("r2", emails=("x@gmail.com", "b@acme.com.tr"), updated="2026-11-02T08:00:00.1234567Z",
                 status="Active", substatus="Accepted"),
        referral("r3", emails=("only@hotmail.com",), updated="2026-11-01T09:00:00.0000000Z"),
    ])


def test_the_first_run_reads_everything_and_merges_by_domain(session: Session) -> None:
    source = three()
    outcome = run(session, source)
    assert source.calls == [None]
    assert (outcome.mode, outcome.status, outcome.fetched, outcome.created) == ("full", "succeeded", 3, 3)
    assert outcome.watermark == "2026-11-02T08:00:00.1234567Z"
    lead = LeadRepository(session).by_domain("acme.com.tr")
    assert lead is not None and lead.source == "partner_center" and lead.pc_referral_count == 2
    assert lead.pc_referral_state == "Active/Accepted"            # the most recently updated one
    assert {c["email"] for c in lead.contacts} == {"ayse.yilmaz@mail.acme.com.tr", "x@gmail.com", "b@acme.com.tr"}
    assert outcome.new_lead_ids == (lead.id,) and outcome.leads_created == 1
    lonely = ReferralRepository(session).get("r3")
    assert lonely.domain is None and lonely.lead_id is None and "consumer mailbox" in lonely.domain_reason
    assert ReferralRepository(session).get("r1").domain_source == "contact_email"
    assert session.scalar(select(func.count()).select_from(Lead)) == 1     # the seller's microsoft.com: no lead


def test_a_rerun_is_idempotent_and_a_delta_asks_from_the_watermark(session: Session) -> None:
    source = three()
    first = run(session, source)
    again = run(session, source)
    assert source.calls[-1] == first.watermark and again.mode == "delta"
    assert (again.fetched, again.created, again.updated) == (0, 0, 0)
    full = run(session, source, full=True)
    assert (full.fetched, full.created, full.updated, full.unchanged) == (3, 0, 0, 3)
    assert full.new_lead_ids == () and session.scalar(select(func.count()).select_from(Lead)) == 1
    assert session.scalar(select(func.count()).select_from(PcReferral)) == 3


def test_a_changed_referral_is_fetched_alone_and_updates_the_lead(session: Session) -> None:
    source = three()
    run(session, source)
    source.put(referral("r1", emails=("ayse@acme.com.tr",), updated="2026-11-03T10:00:00.0000009Z",
                        status="Closed", substatus="Won"))
    outcome = run(session, source)
    assert (outcome.fetched, outcome.created, outcome.updated, outcome.unchanged) == (1, 0, 1, 0)
    assert outcome.watermark == "2026-11-03T10:00:00.0000009Z"
    assert LeadRepository(session).by_domain("acme.com.tr").pc_referral_state == "Closed/Won"


def test_the_source_down_fails_the_run_and_keeps_everything(session: Session) -> None:
    source = three()
    first = run(session, source)
    source.put(referral("r9", emails=("a@yeni.com.tr",), updated="2026-11-05T00:00:00.0000000Z"))
    source.down()
    failed = run(session, source)
    assert failed.status == "failed" and "503" in failed.reason and failed.watermark == first.watermark
    run_row = session.get(PcSyncRun, failed.run_id)
    assert run_row.status == "failed" and run_row.watermark_after == first.watermark
    assert SyncRunRepository(session).watermark() == first.watermark
    assert LeadRepository(session).by_domain("yeni.com.tr") is None
    source.failure = None
    caught_up = run(session, source)
    assert source.calls[-1] == first.watermark and caught_up.created == 1
    assert LeadRepository(session).by_domain("yeni.com.tr") is not None


def test_without_create_leads_a_referral_waits_for_its_lead(session: Session) -> None:
    LeadRepository(session).upsert("acme.com.tr", source="import.csv")
    source = FakeReferralSource([referral("r1", emails=("a@acme.com.tr",)),
                                 referral("r2", emails=("b@later.com.tr",), updated="2026-11-02T00:00:00.0000000Z")])
    outcome = run(session, source, create_leads=False)
    assert outcome.leads_created == 0 and outcome.leads_linked == 1
    assert ReferralRepository(session).get("r2").lead_id is None
    assert LeadRepository(session).by_domain("acme.com.tr").source == "import.csv"
    LeadRepository(session).upsert("later.com.tr", source="import.csv")
    later = run(session, source, create_leads=False)        # nothing new fetched, still linked
    assert later.fetched == 0 and later.leads_linked == 1
    linked = LeadRepository(session).by_domain("later.com.tr")
    assert linked.pc_referral_count == 1
    assert [lead.domain for lead in LeadRepository(session).list(LeadFilter(referral=True)).items] \
        and LeadRepository(session).count(LeadFilter(referral=True)) == 2
    assert LeadRepository(session).count(LeadFilter(referral=False)) == 0


def test_a_stale_running_run_is_closed_when_its_job_resumes(session: Session) -> None:
    runs = SyncRunRepository(session)
    runs.start(mode="full", trigger="job", job_id="job-1", watermark_before=None)
    outcome = run(session, three(), job_id="job-1", trigger="job")
    statuses = session.scalars(select(PcSyncRun.status).order_by(PcSyncRun.id)).all()
    assert statuses == ["failed", "succeeded"] and outcome.status == "succeeded"


@pytest.mark.parametrize(("a", "b"), [
    ("2026-11-02T08:00:00.1234567Z", "2026-11-02T08:00:00.1234566Z"),     # the 7th digit counts
    ("2026-11-02T08:00:00.1Z", "2026-11-02T08:00:00.0999999Z"),
    ("2026-11-02T11:00:00.0000000+03:00", "2026-11-02T07:59:59.9999999Z"),
])
def test_ticks_compare_at_100_nanoseconds(a: str, b: str) -> None:
    assert ticks(a) > ticks(b)
    assert newest_watermark([b, None, a]) == a
