"""Leads [viewer]: the filtered, sorted, paginated list and one lead in full."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query

from ... import exports, sales
from ...model import Analysis
from ...pipeline import Context
from ...store import dynamics
from ...store.changes import ChangeRepository
from ...store.dynamics import DynamicsRepository
from ...store.leads import LeadRepository, PageRequest
from ...store.models import ChangeEvent, DynamicsPush, Lead, PcReferral, Scan
from ...store.referrals import ReferralRepository
from ...store.scans import ScanRepository
from ...wiring import dynamics_link
from ..deps import ContextDep, ServicesDep, SessionDep, Viewer
from ..errors import NotFound, responses
from ..referral_schemas import PartnerCenterRef
from ..schemas import (ChangeOut, DynamicsRef, GatewayRef, Lang, LeadDetail, LeadPage, LeadSummary, ListQuery,
                       ProviderRef, ScanRef, Verdict)

router = APIRouter(prefix="/leads", tags=["leads"], responses=responses(401, 403, 422))
HISTORY = 20
CHANGES = 100


@router.get("", summary="Leads matching the filters, one page at a time")
def list_leads(query: Annotated[ListQuery, Query()], session: SessionDep, ctx: ContextDep,
               svc: ServicesDep, _: Viewer) -> LeadPage:
    page = LeadRepository(session).list(
        query.to_filter(), query.sort,
        PageRequest(limit=query.limit, cursor=query.cursor, offset=query.offset))
    latest = ReferralRepository(session).latest_for_leads(lead.id for lead in page.items if lead.pc_referral_count)
    acks = DynamicsRepository(session).acks(lead.id for lead in page.items if lead.dynamics_state)
    link = partial(dynamics_link, svc.settings)
    return LeadPage(items=[summary(lead, ctx, latest.get(lead.id), acks.get(lead.id), link) for lead in page.items],
                    next_cursor=page.next_cursor, total=page.total or 0)


@router.get("/{lead_id}", summary="One lead: verdict, score breakdown, evidence, sales summary, history",
            responses=responses(404))
def get_lead(lead_id: int, session: SessionDep, svc: ServicesDep, _: Viewer,
             lang: Lang = "tr") -> LeadDetail:
    lead = LeadRepository(session).get(lead_id)
    if lead is None:
        raise NotFound(f"There is no lead {lead_id}.")
    scans = ScanRepository(session)
    history = scans.history(lead.id, HISTORY)
    analysis = scans.analysis_of(history[0]) if history else None
    latest = ReferralRepository(session).latest_for_leads([lead.id]).get(lead.id)
    ack = DynamicsRepository(session).ack(lead.id)
    return LeadDetail(
        lead=summary(lead, svc.context, latest, ack, partial(dynamics_link, svc.settings)), source=lead.source, contacts=list(lead.contacts or []),
        tags=list(lead.tags or []), verdict=_verdict(analysis), evidence=analysis,
        sales=_sales(analysis, lang=lang, config=svc.sales_config),
        history=[_scan_ref(scan) for scan in history],
        changes=[_change(event) for event in ChangeRepository(session).for_lead(lead.id, CHANGES)])


def summary(lead: Lead, ctx: Context, latest: PcReferral | None = None, ack: DynamicsPush | None = None,
            link: Callable[[str], str | None] = lambda _: None) -> LeadSummary:
    """A lead as the list shows it (the same view the exports write); ``latest`` is its most
    recently updated Partner Center referral, ``ack`` its Dynamics acknowledgement, if any;
    ``link`` makes a Dataverse id a deep link."""
    v = exports.view(lead, catalogue=ctx.catalogue, rules=ctx.scoring_rules)
    return LeadSummary(
        id=v.id, domain=v.domain, company=v.company,
        provider=ProviderRef(key=v.provider_key, name=v.provider_name, kind=v.provider_kind),
        local_provider=v.local_provider,
        gateway=GatewayRef(key=v.gateway_key, name=v.gateway or v.gateway_key) if v.gateway_key else None,
        segment=v.segment, priority=v.priority, priority_label=v.priority_label, score=v.score,
        tenant_size=v.tenant_size, status=v.status, scanned_at=v.scanned_at,
        partner_center=PartnerCenterRef.of(lead.pc_referral_count or 0, latest),
        dynamics=DynamicsRef.model_validate(dynamics.view(ack, url=link(ack.record_id) if ack and ack.record_id else None)))


def _verdict(analysis: Analysis | None) -> Verdict | None:
    if analysis is None:
        return None
    return Verdict(score=analysis.score, segment=analysis.segment, priority=analysis.priority,
                   priority_label=analysis.priority_label, reasons=analysis.reasons)


def _sales(analysis: Analysis | None, *, lang: Lang, config: sales.SalesConfig) -> sales.SalesSummary | None:
    return sales.summarise(analysis, lang=lang, config=config) if analysis is not None else None


def _scan_ref(scan: Scan) -> ScanRef:
    provider = (scan.analysis.get("provider") or {}).get("name")
    return ScanRef(id=scan.id, scanned_at=scan.scanned_at, status=scan.status, provider=provider,
                   priority=scan.analysis.get("priority"), score=scan.analysis.get("score"))


def _change(event: ChangeEvent) -> ChangeOut:
    return ChangeOut(id=event.id, scan_id=event.scan_id, at=event.at, kind=event.kind,
                     before=event.before, after=event.after)
