"""Exports [viewer]: every lead matching the list's filters, in the list's sort, as CSV or XLSX.

CSV streams straight from the database (UTF-8 with a BOM, so Excel reads Turkish letters);
XLSX is written row by row to a temporary file by openpyxl's write-only workbook, then sent.
Both use ``hunter.exports``: the same lead view as the list, formulas neutralised.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from ... import exports
from ...store.leads import LeadRepository
from ..deps import Services, ServicesDep, Viewer
from ..errors import responses
from ..schemas import ExportQuery

router = APIRouter(prefix="/exports", tags=["exports"], responses=responses(401, 403, 422))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/leads.csv", response_class=StreamingResponse, summary="Leads as CSV (UTF-8 with BOM)",
            responses={200: {"content": {"text/csv": {}}, "description": "The leads, one a row"}})
def export_csv(query: Annotated[ExportQuery, Query()], svc: ServicesDep, _: Viewer) -> StreamingResponse:
    rows = export_rows(svc, query)
    first = next(rows, None)             # runs the query now, so a bad filter is a 422, not a cut stream
    chunks = exports.csv_chunks(_chain(first, rows))
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8",
                             headers=_disposition("csv"))


@router.get("/leads.xlsx", response_class=FileResponse, summary="Leads as an Excel workbook",
            responses={200: {"content": {XLSX: {}}, "description": "The leads, one a row"}})
async def export_xlsx(query: Annotated[ExportQuery, Query()], svc: ServicesDep, _: Viewer) -> FileResponse:
    path = await run_in_threadpool(_write_xlsx, svc, query)
    return FileResponse(path, media_type=XLSX, headers=_disposition("xlsx"),
                        background=BackgroundTask(os.unlink, path))


def export_rows(svc: Services, query: ExportQuery) -> Iterator[list[object]]:
    """Every matching lead as an export row; owns its session (the response outlives the request's).

    Plain tuples and only the analysis parts the rows show (``exports.ANALYSIS_PARTS``): 100 000
    leads in a few seconds (docs/benchmarks.md)."""
    ctx = svc.context
    with svc.sessions() as session:
        records = LeadRepository(session).stream_export(
            exports.EXPORT_LEAD_FIELDS, query.to_filter(), query.sort, omit=exports.ANALYSIS_OMITTED)
        yield from exports.lead_rows(records, catalogue=ctx.catalogue, rules=ctx.scoring_rules)


def _chain(first: list[object] | None, rest: Iterator[list[object]]) -> Iterator[list[object]]:
    if first is not None:
        yield first
        yield from rest


def _write_xlsx(svc: Services, query: ExportQuery) -> Path:
    handle, name = tempfile.mkstemp(prefix="hunter-export-", suffix=".xlsx")
    os.close(handle)
    try:
        exports.write_xlsx(export_rows(svc, query), Path(name))
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def _disposition(ext: str) -> dict[str, str]:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    return {"Content-Disposition": f'attachment; filename="hunter-leads-{day}.{ext}"'}
