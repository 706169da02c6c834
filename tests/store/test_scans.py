"""hunter/store/scans.py and changes.py: analyses stored whole, verdicts copied, history."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from hunter.store.changes import ChangeRepository
from hunter.store.leads import LeadRepository
from hunter.store.models import Lead, Scan
from hunter.store.scans import ScanRepository


def utc(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive UTC wall time; PostgreSQL an aware value."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


@pytest.fixture
def lead(session: Session) -> Lead:
    return LeadRepository(session).upsert("example.com.tr", company="Örnek A.Ş.")[0]


def test_add_stores_the_whole_analysis_and_it_round_trips(session: Session, lead: Lead, make_analysis) -> None:
    analysis = make_analysis("example.com.tr", gateway="proofpoint")
    scans = ScanRepository(session)
    scan = scans.add(lead.id, analysis, job_id="6f1c2a9e-0000-4000-8000-000000000001")
    session.expire_all()                                  # read back from the database
    stored = scans.get(scan.id)
    assert stored.analysis == analysis.model_dump(mode="json")
    assert scans.analysis_of(stored) == analysis
    assert (stored.status, stored.rules_version, stored.job_id) == ("ok", "2025.03", scan.job_id)
    assert utc(stored.scanned_at) == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def test_add_copies_the_verdict_onto_the_lead(session: Session, lead: Lead, make_analysis) -> None:
    scan = ScanRepository(session).add(lead.id, make_analysis(gateway="proofpoint", score=81, priority="P1"))
    session.expire_all()
    fresh = session.get(Lead, lead.id)
    assert {name: getattr(fresh, name) for name in (
        "status", "provider_key", "provider_kind", "local_provider", "gateway_key", "segment",
        "priority", "score", "tenant_size", "m365_tenant", "dmarc_policy", "rules_version",
        "last_scan_id")} == {
        "status": "ok", "provider_key": "microsoft365", "provider_kind": "cloud_suite",
        "local_provider": None, "gateway_key": "proofpoint", "segment": "m365_upsell",
        "priority": "P1", "score": 81, "tenant_size": "medium", "m365_tenant": "contoso",
        "dmarc_policy": "quarantine", "rules_version": "2025.03", "last_scan_id": scan.id}
    assert utc(fresh.scanned_at) == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert fresh.company == "Örnek A.Ş."                   # the lead's own data is untouched


def test_a_new_scan_replaces_the_verdict_and_clears_what_went_away(session: Session, lead: Lead,
                                                                    make_analysis) -> None:
    scans = ScanRepository(session)
    scans.add(lead.id, make_analysis(gateway="mimecast"))
    scans.add(lead.id, make_analysis(provider="google", kind="cloud_suite", score=None, priority=None,
                                     analysed_at=None))
    assert (lead.gateway_key, lead.provider_key, lead.score, lead.priority) == (None, "google", None, None)
    assert utc(lead.scanned_at) > datetime(2025, 3, 2, tzinfo=UTC)      # no analysed_at: now


def test_latest_previous_and_history_are_newest_first(session: Session, lead: Lead, make_analysis) -> None:
    scans = ScanRepository(session)
    assert scans.latest(lead.id) is None and scans.history(lead.id) == []
    added = [scans.add(lead.id, make_analysis(score=score)) for score in (10, 20, 30)]
    other = LeadRepository(session).upsert("other.com")[0]
    scans.add(other.id, make_analysis("other.com"))
    assert scans.latest(lead.id) is added[2]
    assert scans.previous(lead.id, added[2].id) is added[1]
    assert scans.previous(lead.id, added[0].id) is None
    assert [s.id for s in scans.history(lead.id)] == [s.id for s in reversed(added)]
    assert [s.id for s in scans.history(lead.id, limit=2)] == [added[2].id, added[1].id]


def test_add_to_a_missing_lead_is_a_lookup_error(session: Session, make_analysis) -> None:
    with pytest.raises(LookupError):
        ScanRepository(session).add(999_999, make_analysis())


def test_change_events_for_a_lead_newest_first(session: Session, lead: Lead, make_analysis) -> None:
    scans, changes = ScanRepository(session), ChangeRepository(session)
    first = scans.add(lead.id, make_analysis(gateway="mimecast"))
    second = scans.add(lead.id, make_analysis(provider="google"))
    assert changes.add_many(lead.id, first.id, [("gateway_added", None, "mimecast")]) == 1
    assert changes.add_many(lead.id, second.id, [("provider_moved", "microsoft365", "google"),
                                                 ("gateway_removed", "mimecast", None)]) == 2
    assert changes.add_many(lead.id, second.id, []) == 0
    events = changes.for_lead(lead.id)
    assert [(e.kind, e.before, e.after, e.scan_id) for e in events] == [
        ("gateway_removed", "mimecast", None, second.id),
        ("provider_moved", "microsoft365", "google", second.id),
        ("gateway_added", None, "mimecast", first.id)]
    assert [e.kind for e in changes.for_lead(lead.id, limit=1)] == ["gateway_removed"]
    assert changes.for_lead(lead.id + 1) == []


def test_a_leads_latest_scan_is_read_from_one_index_range(session: Session, lead: Lead) -> None:
    """``latest`` for a lead without scans among thousands of another lead's: PostgreSQL and SQLite
    read the (lead_id, id) index, never a walk over every scan (migration 0008)."""
    other = LeadRepository(session).upsert("other.com.tr")[0]
    now = datetime.now(UTC)
    session.execute(insert(Scan), [{"lead_id": other.id, "scanned_at": now, "status": "ok", "analysis": {}}
                                   for _ in range(3000)])
    sent: list[tuple[str, object]] = []
    engine = session.get_bind().engine

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append((statement, parameters))
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert ScanRepository(session).latest(lead.id) is None
    finally:
        event.remove(engine, "before_cursor_execute", note)
    statement, parameters = next((s, p) for s, p in sent if "FROM scans" in s)
    explain = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    plan = " ".join(str(row) for row in session.connection().exec_driver_sql(explain + statement, parameters))
    assert re.search(r"ix_scans_lead\b", plan), plan
    assert "pk_scans" not in plan and "TEMP B-TREE" not in plan, plan
