"""The CSV export is byte-identical to the first (ORM) implementation, on both backends.

``reference_csv`` is a frozen copy of that implementation (ORM ``Lead`` + the whole stored
analysis JSON, ``exports.view``/``export_row`` of the time, ``csv.writer``): the fast export
must write the same bytes for the same data, whatever the sort, the filters and the values
(formula starts, quotes, commas, line breaks, Turkish letters, missing scans, gateways …).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import defer

from hunter.api.schemas import ExportQuery
from hunter.exports import (ANALYSIS_OMITTED, ANALYSIS_PARTS, EXPORT_COLUMNS, FORMULA_START, LeadView, flatten,
                            priority_label, provider_name)
from hunter.model import Analysis, Dkim, Dmarc, Gateway, M365, MxHost, Provider, Reason, Spf, TenantSize
from hunter.store.leads import LeadRepository
from hunter.store.models import Lead, Scan

from .conftest import Api, seed
from .test_exports import add_evil_leads

DETAIL = tuple(c for c in ("domain", "input", "status", "reason", "provider_key", "provider_name",
                           "provider_kind", "provider_confidence", "local_provider", "gateway", "mx",
                           "spf_present", "spf_valid", "spf_all", "spf_lookups", "dmarc_policy",
                           "dmarc_coverage", "dmarc_source", "dkim_selectors", "m365_detected",
                           "m365_tenant", "tenant_size", "score", "segment", "priority",
                           "priority_label", "reasons", "infrastructure_summary")
               if c not in EXPORT_COLUMNS[:16])


# --- the reference: the export as first written ------------------------------------------------

def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _reference_rows(session: Any, query: ExportQuery, ctx: Any):
    repo = LeadRepository(session)
    terms = __import__("hunter.store.leads", fromlist=["_terms"])._terms(query.sort, repo._dialect)
    stmt = (select(Lead, Scan.analysis).outerjoin(Scan, Scan.id == Lead.last_scan_id)
            .options(defer(Lead.contacts), defer(Lead.tags))
            .where(*repo._conditions(query.to_filter())).order_by(*repo._order(terms)))
    for lead, analysis in session.execute(stmt):
        view = LeadView(
            id=lead.id, domain=lead.domain, company=lead.company, provider_key=lead.provider_key,
            provider_name=provider_name(ctx.catalogue, lead.provider_key), provider_kind=lead.provider_kind,
            local_provider=lead.local_provider, gateway_key=lead.gateway_key,
            gateway=provider_name(ctx.catalogue, lead.gateway_key), segment=lead.segment,
            priority=lead.priority, priority_label=priority_label(ctx.scoring_rules, lead.priority, lead.segment),
            score=lead.score, tenant_size=lead.tenant_size, status=lead.status, scanned_at=lead.scanned_at)
        values = view.row()
        values["scanned_at"] = lead.scanned_at.isoformat(timespec="seconds") if lead.scanned_at else None
        details = flatten(analysis) if analysis is not None else {}
        values.update({column: details.get(column) for column in DETAIL})
        yield [_safe(values[column]) for column in EXPORT_COLUMNS]


def reference_csv(api: Api, query: ExportQuery) -> bytes:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    with api.services.sessions() as session:
        for row in _reference_rows(session, query, api.services.context):
            writer.writerow(row)
    return buffer.getvalue().encode("utf-8")


# --- a varied data set ------------------------------------------------------------------------

WHEN = datetime(2024, 5, 17, 9, 30, 12, 345678, tzinfo=UTC)
PROVIDERS = [
    Provider(key="m365", name="Microsoft 365", kind="cloud_suite", confidence="high"),
    Provider(key="google", name="Google Workspace", kind="cloud_suite", confidence="medium"),
    Provider(key="natro", name="Natro", kind="local_hosting", confidence="low", evidence=["mx natro"]),
    Provider(key="self_hosted", name="Own mail server", kind="self_hosted", confidence="high"),
    Provider(key="none", name="No mail", kind="none", confidence="none"),
    Provider(key="unknown", name="Unknown", kind="unknown", confidence="none"),
    Provider(key="not-in-catalogue", name="=Weird, \"quoted\"\nname", kind="hosting", confidence="low"),
]
TEXTS = ["plain", "=1+2", "+cmd", "-3", "@SUM(A1)", "comma, here", 'quote "x"', "line\nbreak",
         "Şişecam İğdır çöğüş", "\ttab inside", " leading space", ""]


def analysis_for(i: int) -> tuple[Analysis, str | None]:
    provider = PROVIDERS[i % len(PROVIDERS)]
    text = TEXTS[i % len(TEXTS)]
    segment = [None, "microsoft", "competitive", "greenfield", "no_mail", "made-up"][i % 6]
    priority = [None, "P1", "P2", "P3", "P4", "P5", "P6"][i % 7]
    domain = None if i % 23 == 5 else f"firma{i}.com.tr"
    return Analysis(
        domain=domain, input=(domain or f"  {text}  "), status=["ok", "no_mx", "invalid", "dns_error"][i % 4],
        reason=text or None, registrable_domain=domain,
        mx=[MxHost(host=f"{text[:3]}mx{n}.firma{i}.com.tr", preference=n * 10) for n in range(i % 3)],
        provider=provider, local_provider=["Natro", None, "=Turhost"][i % 3],
        gateway=Gateway(key="proofpoint", name=["Proofpoint", "+gw"][i % 2]) if i % 5 == 0 else None,
        spf=Spf(present=i % 2 == 0, valid=i % 3 == 0, record="v=spf1 mx ~all",
                all=[None, "~all", "-all", "+all"][i % 4], lookups=i % 11),
        dmarc=Dmarc(present=i % 3 == 0, valid=i % 3 == 0, policy=[None, "none", "reject"][i % 3],
                    coverage=[None, 100, 0][i % 3], source=[None, "domain", "organizational"][i % 3]),
        dkim=Dkim(present=i % 2 == 0, selectors=[[], ["selector1"], ["-k1", "google"]][i % 3]),
        m365=M365(detected=i % 4 == 0, tenant=[None, "contoso", "=tenant"][i % 3]),
        tenant_size=TenantSize(value=["small", "medium", "large", "enterprise", "unknown"][i % 5]),
        score=[None, 0, 55, 100, -7][i % 5], segment=segment, priority=priority,
        priority_label=[None, "P1", "-label"][i % 3],
        reasons=[Reason(code=f"r{n}", points=[15, -20, 0][n % 3], text=[text, "İyi, \"x\""][n % 2])
                 for n in range(i % 4)],
        infrastructure_summary=[None, text, "Microsoft 365; Proofpoint"][i % 3],
        analysed_at=WHEN.isoformat(), rules_version="test",
    ), priority


def add_varied_leads(api: Api, count: int = 90) -> None:
    with api.services.sessions() as session:
        for i in range(count):
            a, priority = analysis_for(i)
            text = TEXTS[i % len(TEXTS)]
            when = WHEN - timedelta(days=i % 9, seconds=i)
            scanned = i % 13 != 7                               # some leads were never scanned
            lead = Lead(domain=f"varied{i:03d}.test", company=[None, f"Firma {text}"][i % 2 or i % 3 == 0],
                        source="test", contacts=[{"email": f"a{i}@x.test"}], tags=["t"],
                        created_at=when, updated_at=when)
            if scanned:
                lead.scanned_at, lead.status = when, a.status
                lead.provider_key = a.provider.key if i % 8 else None
                lead.provider_kind, lead.local_provider = a.provider.kind, a.local_provider
                lead.gateway_key = a.gateway.key if a.gateway else ("=unknown-gw" if i % 9 == 0 else None)
                lead.segment, lead.priority, lead.score = a.segment, priority, a.score
                lead.tenant_size = ["-x", a.tenant_size.value][i % 2]
            session.add(lead)
            session.flush()
            if scanned:
                scan = Scan(lead_id=lead.id, scanned_at=when, status=a.status, rules_version="test",
                            analysis=a.model_dump(mode="json"))
                session.add(scan)
                session.flush()
                session.execute(update(Lead).where(Lead.id == lead.id).values(last_scan_id=scan.id))
        session.commit()


QUERIES = [{}, {"sort": "domain"}, {"sort": "score"}, {"sort": "priority"}, {"sort": "company"},
           {"sort": "scanned_at"}, {"sort": "-scanned_at"}, {"segment": "competitive"},
           {"q": "varied0", "sort": "domain"}, {"gateway": "true"}, {"q": "nothing-matches"}]


@pytest.mark.parametrize("params", QUERIES, ids=[str(q) or "default" for q in QUERIES])
async def test_csv_export_is_byte_identical_to_the_reference(any_api: Api, params: dict[str, str]) -> None:
    await seed(any_api)
    add_evil_leads(any_api)
    add_varied_leads(any_api)
    response = await any_api.get("/api/v1/exports/leads.csv", params=params)
    assert response.status_code == 200, response.text
    expected = reference_csv(any_api, ExportQuery.model_validate(params))
    assert response.content.count(b"\n") > (1 if params.get("q") != "nothing-matches" else 0)
    assert response.content == expected


# --- the analysis parts an export fetches are exactly those ``flatten`` reads -----------------

class Recording(dict):
    """A dict that notes every key read (``[]`` and ``get``)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)


@pytest.mark.parametrize("i", range(0, 60, 7))
def test_flatten_reads_exactly_the_analysis_parts_exports_fetch(i: int) -> None:
    full = analysis_for(i)[0].model_dump(mode="json")
    recording = Recording(full)
    flat = flatten(recording)
    assert recording.read == set(ANALYSIS_PARTS)
    assert set(ANALYSIS_PARTS) | set(ANALYSIS_OMITTED) >= set(full)
    assert flatten({k: v for k, v in full.items() if k not in ANALYSIS_OMITTED}) == flat
    assert "evidence" in ANALYSIS_OMITTED


def test_lead_rows_match_export_row() -> None:
    """The fast rows and ``export_row`` (one ``LeadView``) agree, formulas neutralised in both."""
    from hunter.exports import EXPORT_LEAD_FIELDS, export_row, lead_rows
    from hunter.settings import Settings
    from hunter.wiring import build_context

    ctx = build_context(Settings())
    for i in range(40):
        a = analysis_for(i)[0]
        values = {"id": i, "domain": f"={i}.test", "company": TEXTS[i % len(TEXTS)] or None,
                  "provider_key": ["m365", "google", None, "natro", "@x"][i % 5], "provider_kind": "-k",
                  "local_provider": ["\rCR", None][i % 2], "gateway_key": [None, "proofpoint", "+g"][i % 3],
                  "segment": a.segment, "priority": a.priority, "score": a.score, "tenant_size": "-x",
                  "status": a.status, "scanned_at": [None, WHEN][i % 2],
                  "pc_referral_count": [0, 2, 1][i % 3], "pc_referral_state": [None, "Active/Accepted", "=New"][i % 3],
                  "dynamics_state": [None, "pushed", "stale", "failed"][i % 4]}
        stored = a.model_dump(mode="json") if i % 6 else None
        record = (*(values[name] for name in EXPORT_LEAD_FIELDS), stored)
        view = LeadView(**{**values, "pc_referral": bool(values["pc_referral_count"]), "provider_name": provider_name(ctx.catalogue, values["provider_key"]),
                           "gateway": provider_name(ctx.catalogue, values["gateway_key"]),
                           "priority_label": priority_label(ctx.scoring_rules, a.priority, a.segment)})
        (row,) = lead_rows([record], catalogue=ctx.catalogue, rules=ctx.scoring_rules)
        assert row == export_row(view, stored)
