"""hunter/store/enrichment.py and the flow that fills it: one row per (lead, IP), kept current
across rescans (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hunter.flows.scan_leads import store_analysis
from hunter.model import Infrastructure, IpInfo
from hunter.store.enrichment import IpEnrichmentRepository, canonical
from hunter.store.leads import LeadRepository
from hunter.store.models import IpEnrichment, Lead
from hunter.store.scans import ScanRepository

MAIL = IpInfo(ip="81.2.69.142", roles=["mail"], hosts=["mx.example.com.tr"], country_code="GB",
              city="London", asn=20712, sources=["maxmind"])
WEB = IpInfo(ip="2001:db8::1", roles=["web"], special="documentation")
OWN = IpInfo(ip="89.160.20.112", roles=["mail", "own_server"], country_code="SE", sources=["maxmind"])


@pytest.fixture
def lead(session: Session) -> Lead:
    return LeadRepository(session).upsert("example.com.tr")[0]


def scan_id(session: Session, lead: Lead, make_analysis) -> int:
    return ScanRepository(session).add(lead.id, make_analysis(lead.domain)).id


def by_ip(session: Session, lead_id: int) -> dict[str, IpEnrichment]:
    return {row.ip: row for row in IpEnrichmentRepository(session).for_lead(lead_id)}


def test_rows_hold_roles_and_the_ip_facts(session: Session, lead: Lead, make_analysis) -> None:
    repo = IpEnrichmentRepository(session)
    first = scan_id(session, lead, make_analysis)
    repo.replace_for_lead(lead.id, first, [MAIL, WEB])
    rows = by_ip(session, lead.id)
    assert set(rows) == {"81.2.69.142", "2001:db8::1"}
    assert rows["81.2.69.142"].roles == ["mail"]
    assert rows["81.2.69.142"].facts == MAIL.model_dump(mode="json")
    assert IpInfo.model_validate(rows["2001:db8::1"].facts) == WEB
    assert rows["81.2.69.142"].scan_id == first


def test_rescan_keeps_the_row_of_a_kept_ip_and_removes_a_gone_one(session: Session, lead: Lead,
                                                                    make_analysis) -> None:
    repo = IpEnrichmentRepository(session)
    repo.replace_for_lead(lead.id, scan_id(session, lead, make_analysis), [MAIL, WEB])
    before = by_ip(session, lead.id)["81.2.69.142"]
    kept_id, kept_at = before.id, before.updated_at
    second = scan_id(session, lead, make_analysis)
    moved = MAIL.model_copy(update={"roles": ["mail", "web"], "city": "Leeds"})
    repo.replace_for_lead(lead.id, second, [moved, OWN])
    after = by_ip(session, lead.id)
    assert set(after) == {"81.2.69.142", "89.160.20.112"}          # the web IP is gone
    kept = after["81.2.69.142"]
    assert kept.id == kept_id                                        # updated in place
    assert (kept.scan_id, kept.roles, kept.facts["city"]) == (second, ["mail", "web"], "Leeds")
    assert kept.updated_at >= kept_at


def test_an_empty_list_removes_every_row_of_the_lead_only(session: Session, lead: Lead,
                                                          make_analysis) -> None:
    repo = IpEnrichmentRepository(session)
    other = LeadRepository(session).upsert("other.com.tr")[0]
    repo.replace_for_lead(lead.id, scan_id(session, lead, make_analysis), [MAIL])
    repo.replace_for_lead(other.id, scan_id(session, other, make_analysis), [MAIL])
    repo.replace_for_lead(lead.id, scan_id(session, lead, make_analysis), [])
    assert by_ip(session, lead.id) == {}
    assert set(by_ip(session, other.id)) == {"81.2.69.142"}


def test_for_ip_names_every_lead_on_the_address(session: Session, lead: Lead, make_analysis) -> None:
    repo = IpEnrichmentRepository(session)
    other = LeadRepository(session).upsert("another.com.tr")[0]
    repo.replace_for_lead(lead.id, scan_id(session, lead, make_analysis), [MAIL])
    repo.replace_for_lead(other.id, scan_id(session, other, make_analysis), [OWN, MAIL.model_copy(
        update={"roles": ["web"]})])
    uses = repo.for_ip("81.2.69.142")
    assert [(u.domain, u.roles) for u in uses] == [("another.com.tr", ["web"]), ("example.com.tr", ["mail"])]
    assert all(u.updated_at is not None for u in uses)
    assert repo.for_ip("2001:DB8:0::1") == []
    assert repo.for_ip("not an ip") == []


def test_duplicate_ips_in_one_scan_make_one_row(session: Session, lead: Lead, make_analysis) -> None:
    repo = IpEnrichmentRepository(session)
    repo.replace_for_lead(lead.id, scan_id(session, lead, make_analysis), [MAIL, MAIL])
    assert len(repo.for_lead(lead.id)) == 1


def test_deleting_the_lead_deletes_its_rows(session: Session, lead: Lead, make_analysis) -> None:
    IpEnrichmentRepository(session).replace_for_lead(lead.id, scan_id(session, lead, make_analysis), [MAIL])
    session.execute(delete(Lead).where(Lead.id == lead.id))
    assert session.scalar(select(func.count()).select_from(IpEnrichment)) == 0


def test_store_analysis_persists_infrastructure_and_leaves_rows_when_it_is_absent(
        session: Session, lead: Lead, make_analysis) -> None:
    enriched = make_analysis(lead.domain).model_copy(update={"infrastructure": Infrastructure(ips=[MAIL, WEB])})
    scan, _ = store_analysis(session, lead, enriched)
    rows = by_ip(session, lead.id)
    assert set(rows) == {"81.2.69.142", "2001:db8::1"} and rows["81.2.69.142"].scan_id == scan.id
    store_analysis(session, lead, make_analysis(lead.domain))           # enrichment off
    assert {ip: row.scan_id for ip, row in by_ip(session, lead.id).items()} == {
        ip: row.scan_id for ip, row in rows.items()}
    rescan = enriched.model_copy(update={"infrastructure": Infrastructure(ips=[MAIL])})
    third, _ = store_analysis(session, lead, rescan)
    after = by_ip(session, lead.id)
    assert set(after) == {"81.2.69.142"}
    assert after["81.2.69.142"].id == rows["81.2.69.142"].id and after["81.2.69.142"].scan_id == third.id


def test_canonical_form() -> None:
    assert canonical(" 2001:DB8:0:0::1 ") == "2001:db8::1"
    assert canonical("garbage") == "garbage"
