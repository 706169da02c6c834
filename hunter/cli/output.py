"""Output formats of the command line: JSON Lines, CSV (UTF-8 BOM, Excel-safe) and XLSX."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import IO, Protocol

from ..model import Analysis

COLUMNS = (
    "domain", "input", "status", "reason", "provider_key", "provider_name", "provider_kind",
    "provider_confidence", "local_provider", "gateway", "mx", "spf_present", "spf_valid", "spf_all",
    "spf_lookups", "dmarc_policy", "dmarc_coverage", "dmarc_source", "dkim_selectors",
    "m365_detected", "m365_tenant", "tenant_size", "score", "segment", "priority",
    "priority_label", "reasons", "infrastructure_summary",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_json(analysis: Analysis) -> str:
    """One compact JSON object (UTF-8 text, not \\u-escaped), serialised by pydantic-core."""
    return analysis.model_dump_json()


def flatten(a: Analysis) -> dict[str, object]:
    """One flat row for spreadsheets."""
    return {
        "domain": a.domain, "input": a.input, "status": a.status, "reason": a.reason,
        "provider_key": a.provider.key, "provider_name": a.provider.name,
        "provider_kind": a.provider.kind, "provider_confidence": a.provider.confidence,
        "local_provider": a.local_provider, "gateway": a.gateway.name if a.gateway else None,
        "mx": " ".join(f"{m.preference}:{m.host}" for m in a.mx),
        "spf_present": a.spf.present, "spf_valid": a.spf.valid, "spf_all": a.spf.all,
        "spf_lookups": a.spf.lookups, "dmarc_policy": a.dmarc.policy,
        "dmarc_coverage": a.dmarc.coverage, "dmarc_source": a.dmarc.source,
        "dkim_selectors": " ".join(a.dkim.selectors), "m365_detected": a.m365.detected,
        "m365_tenant": a.m365.tenant, "tenant_size": a.tenant_size.value, "score": a.score,
        "segment": a.segment, "priority": a.priority, "priority_label": a.priority_label,
        "reasons": "; ".join(f"{r.text} ({r.points:+d})" for r in a.reasons),
        "infrastructure_summary": a.infrastructure_summary,
    }


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas (CSV/formula injection): text starting =,+,-,@ gets a '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class Writer(Protocol):
    def write(self, analysis: Analysis) -> None: ...
    def close(self) -> None: ...


class JsonlWriter:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, analysis: Analysis) -> None:
        self._stream.write(to_json(analysis) + "\n")

    def close(self) -> None:
        self._stream.flush()


class CsvWriter:
    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        stream.write("\ufeff")
        self._csv = csv.DictWriter(stream, fieldnames=COLUMNS)
        self._csv.writeheader()

    def write(self, analysis: Analysis) -> None:
        self._csv.writerow({k: safe_cell(v) for k, v in flatten(analysis).items()})

    def close(self) -> None:
        self._stream.flush()


class XlsxWriter:
    """Streams rows with openpyxl's write-only workbook; saved on close."""

    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self._path = path
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("Hunter")
        self._sheet.append(list(COLUMNS))

    def write(self, analysis: Analysis) -> None:
        self._sheet.append([safe_cell(v) for v in flatten(analysis).values()])

    def close(self) -> None:
        self._book.save(self._path)


def summary(counts_status: Counter[str], counts_provider: Counter[str], seconds: float) -> str:
    total = sum(counts_status.values())
    rate = total / seconds if seconds > 0 else 0.0
    statuses = ", ".join(f"{k} {v}" for k, v in counts_status.most_common())
    providers = ", ".join(f"{k} {v}" for k, v in counts_provider.most_common())
    return (f"{total} domains in {seconds:.1f} s ({rate:.0f}/s) — status: {statuses or 'none'}"
            f" — providers: {providers or 'none'}")
