"""Spreadsheet rows: one model for the lead list, the API exports and the command line.

``flatten`` turns an analysis object into one flat row (``COLUMNS``); ``LeadView`` is a stored
lead's current verdict as the lead list shows it (provider and gateway names from the
catalogue, the priority label from the scoring rules, exactly as ``scoring.score`` labels it);
``export_row`` joins the two; ``lead_rows`` is the same row for the CSV and XLSX exports of
thousands of stored leads, built from plain database tuples (``LeadRepository.stream_export``)
and the analysis parts ``flatten`` reads (``ANALYSIS_PARTS``).  ``safe_cell`` neutralises formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from itertools import islice
from dataclasses import dataclass, fields
from operator import itemgetter
from datetime import datetime
from pathlib import Path
from typing import Any

from .model import Analysis
from .rules.catalogue import Catalogue
from .scoring import score as scoring
from .scoring.rules import ScoringRules
from .store.models import Lead

COLUMNS = (
    "domain", "input", "status", "reason", "provider_key", "provider_name", "provider_kind",
    "provider_confidence", "local_provider", "gateway", "mx", "spf_present", "spf_valid", "spf_all",
    "spf_lookups", "dmarc_policy", "dmarc_coverage", "dmarc_source", "dkim_selectors",
    "m365_detected", "m365_tenant", "tenant_size", "score", "segment", "priority",
    "priority_label", "reasons", "infrastructure_summary",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Names of the provider keys that are not catalogue entries (as analysis.provider names them).
SPECIAL_PROVIDERS = {"self_hosted": "Own mail server", "none": "No mail", "unknown": "Unknown"}
LEAD_COLUMNS = (
    "id", "domain", "company", "provider_key", "provider_name", "provider_kind", "local_provider",
    "gateway_key", "gateway", "segment", "priority", "priority_label", "score", "tenant_size",
    "status", "scanned_at", "pc_referral", "pc_referral_count", "pc_referral_state", "dynamics_state",
)
DETAIL_COLUMNS = tuple(c for c in COLUMNS if c not in LEAD_COLUMNS)
EXPORT_COLUMNS = LEAD_COLUMNS + DETAIL_COLUMNS
# The top-level keys of the analysis object that ``flatten`` reads, and no other (a test records
# its reads); exports fetch only these from the stored JSON and leave the rest (``evidence`` …)
# in the database.  Change the two together.
ANALYSIS_PARTS = (
    "domain", "input", "status", "reason", "provider", "local_provider", "gateway", "mx", "spf",
    "dmarc", "dkim", "m365", "tenant_size", "score", "segment", "priority", "priority_label",
    "reasons", "infrastructure_summary",
)
ANALYSIS_OMITTED = tuple(key for key in Analysis.model_fields if key not in ANALYSIS_PARTS)


def flatten(a: dict[str, Any]) -> dict[str, object]:
    """One flat row for spreadsheets, from the analysis object's JSON form (as stored with
    every scan, so exports need not rebuild 100 000 models; callers holding an ``Analysis``
    pass ``analysis.model_dump(mode="json")``)."""
    provider, spf, dmarc = a["provider"], a["spf"], a["dmarc"]
    return {
        "domain": a["domain"], "input": a["input"], "status": a["status"], "reason": a.get("reason"),
        "provider_key": provider["key"], "provider_name": provider["name"],
        "provider_kind": provider["kind"], "provider_confidence": provider["confidence"],
        "local_provider": a.get("local_provider"),
        "gateway": a["gateway"]["name"] if a.get("gateway") else None,
        "mx": " ".join(f"{m['preference']}:{m['host']}" for m in a.get("mx") or ()),
        "spf_present": spf["present"], "spf_valid": spf["valid"], "spf_all": spf.get("all"),
        "spf_lookups": spf.get("lookups"), "dmarc_policy": dmarc.get("policy"),
        "dmarc_coverage": dmarc.get("coverage"), "dmarc_source": dmarc.get("source"),
        "dkim_selectors": " ".join(a["dkim"]["selectors"]), "m365_detected": a["m365"]["detected"],
        "m365_tenant": a["m365"].get("tenant"), "tenant_size": a["tenant_size"]["value"],
        "score": a.get("score"), "segment": a.get("segment"), "priority": a.get("priority"),
        "priority_label": a.get("priority_label"),
        "reasons": "; ".join(f"{r['text']} ({r['points']:+d})" for r in a.get("reasons") or ()),
        "infrastructure_summary": a.get("infrastructure_summary"),
    }


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas (CSV/formula injection): text starting =,+,-,@,TAB,CR gets a '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


# --- a stored lead as the list shows it ---------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LeadView:
    id: int
    domain: str
    company: str | None
    provider_key: str | None
    provider_name: str | None
    provider_kind: str | None
    local_provider: str | None
    gateway_key: str | None
    gateway: str | None
    segment: str | None
    priority: str | None
    priority_label: str | None
    score: int | None
    tenant_size: str | None
    status: str | None
    scanned_at: datetime | None
    pc_referral: bool = False           # a Partner Center referral is linked to the lead
    pc_referral_count: int = 0
    pc_referral_state: str | None = None   # the latest referral's "Status/Substatus"
    dynamics_state: str | None = None      # pending, pushed, stale, failed; None: never pushed

    def row(self) -> dict[str, object]:
        """The fields as a dict (shallow: ``dataclasses.asdict`` deep-copies, 5x slower)."""
        return {name: getattr(self, name) for name in VIEW_FIELDS}


VIEW_FIELDS = tuple(f.name for f in fields(LeadView))


def provider_name(catalogue: Catalogue, key: str | None) -> str | None:
    if key is None:
        return None
    entry = catalogue.get(key)
    return entry.name if entry is not None else SPECIAL_PROVIDERS.get(key, key)


def priority_label(rules: ScoringRules, priority: str | None, segment: str | None, *,
                   gateway: str | None = None) -> str | None:
    """The label the verdict carries (``scoring.score.label_of``): the priority's, else the
    segment's, naming the gateway where the segment does ("Unknown behind Proofpoint")."""
    if segment not in rules.segments:
        return rules.priorities[priority].en if priority in rules.priorities else None
    return scoring.label_of(rules, segment, priority if priority in rules.priorities else None, gateway=gateway)


def view(lead: Lead, *, catalogue: Catalogue, rules: ScoringRules) -> LeadView:
    return LeadView(
        id=lead.id, domain=lead.domain, company=lead.company, provider_key=lead.provider_key,
        provider_name=provider_name(catalogue, lead.provider_key), provider_kind=lead.provider_kind,
        local_provider=lead.local_provider, gateway_key=lead.gateway_key,
        gateway=provider_name(catalogue, lead.gateway_key), segment=lead.segment,
        priority=lead.priority, priority_label=priority_label(rules, lead.priority, lead.segment,
                                                                           gateway=provider_name(catalogue, lead.gateway_key)),
        score=lead.score, tenant_size=lead.tenant_size, status=lead.status, scanned_at=lead.scanned_at,
        pc_referral=bool(lead.pc_referral_count), pc_referral_count=lead.pc_referral_count or 0,
        pc_referral_state=lead.pc_referral_state, dynamics_state=lead.dynamics_state,
    )


# --- exports -------------------------------------------------------------------------------------

def export_row(lead: LeadView, analysis: dict[str, Any] | None) -> list[object]:
    """One export row (``EXPORT_COLUMNS``), formulas neutralised; ``analysis`` is the latest
    scan's stored JSON."""
    values = lead.row()
    values["scanned_at"] = lead.scanned_at.isoformat(timespec="seconds") if lead.scanned_at else None
    details = flatten(analysis) if analysis is not None else {}
    values.update({column: details.get(column) for column in DETAIL_COLUMNS})
    return [safe_cell(values[column]) for column in EXPORT_COLUMNS]


# The lead table's columns an export reads, in the order ``lead_rows`` unpacks them.
EXPORT_LEAD_FIELDS = ("id", "domain", "company", "provider_key", "provider_kind", "local_provider",
                      "gateway_key", "segment", "priority", "score", "tenant_size", "status", "scanned_at",
                      "pc_referral_count", "pc_referral_state", "dynamics_state")
_NO_DETAILS = (None,) * len(DETAIL_COLUMNS)
_UNSEEN = object()


def lead_rows(records: Iterable[tuple[Any, ...]], *, catalogue: Catalogue,
              rules: ScoringRules) -> Iterator[list[object]]:
    """Export rows (``EXPORT_COLUMNS``, the values of ``export_row``) from plain tuples: the
    ``EXPORT_LEAD_FIELDS`` then the analysis dict (``ANALYSIS_PARTS`` suffice) or ``None``.

    Hot path of exports of 100 000 leads: no objects per row, catalogue names and priority
    labels looked up once per distinct key, only strings tested for formula starts.
    """
    names: dict[str | None, str | None] = {}
    labels: dict[tuple[str | None, str | None, str | None], str | None] = {}
    details_of = itemgetter(*DETAIL_COLUMNS)
    starts = FORMULA_START
    for (lead_id, domain, company, provider_key, provider_kind, local_provider, gateway_key, segment,
         priority, score, tenant_size, status, scanned_at, pc_count, pc_state, d365_state, analysis) in records:
        if provider_key not in names:
            names[provider_key] = provider_name(catalogue, provider_key)
        if gateway_key not in names:
            names[gateway_key] = provider_name(catalogue, gateway_key)
        label = labels.get((priority, segment, gateway_key), _UNSEEN)
        if label is _UNSEEN:
            label = labels[priority, segment, gateway_key] = priority_label(rules, priority, segment,
                                                                            gateway=names[gateway_key])
        row = [lead_id, domain, company, provider_key, names[provider_key], provider_kind,
               local_provider, gateway_key, names[gateway_key], segment, priority, label, score,
               tenant_size, status, scanned_at.isoformat(timespec="seconds") if scanned_at else None,
               bool(pc_count), pc_count or 0, pc_state, d365_state]
        row.extend(details_of(flatten(analysis)) if analysis is not None else _NO_DETAILS)
        yield [("'" + v if v.startswith(starts) else v) if isinstance(v, str) else v for v in row]


def csv_chunks(rows: Iterable[list[object]], *, every: int = 1000) -> Iterator[str]:
    """CSV text in chunks of ``every`` rows: a UTF-8 BOM (for Excel), the header, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(EXPORT_COLUMNS)
    rows = iter(rows)
    while batch := list(islice(rows, every)):
        writer.writerows(batch)
        yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def write_xlsx(rows: Iterable[list[object]], path: Path, *, sheet: str = "Leads") -> None:
    """Stream ``rows`` into a write-only workbook at ``path``."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    page = book.create_sheet(sheet)
    page.append(list(EXPORT_COLUMNS))
    for row in rows:
        page.append(row)
    book.save(path)
