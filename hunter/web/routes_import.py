"""Import a lead file [sales] (the API's upload and import job: ``api.routes.imports``), watch
it run, read its counts and rejected rows (and download them all as CSV), and analyse one
domain on the spot (the API's ``analyze``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError

from .. import exports, sales
from ..api.deps import Services, services
from ..api.errors import ApiProblem, status_of
from ..api.routes import analyze as api_analyze
from ..api.routes import imports as api_imports
from ..api.schemas import AnalyzeRequest
from ..sales.texts import invalid_reason
from ..store.imports import ImportRepository
from ..store.leads import LeadRepository
from .auth import Sales, SalesAction, WebUser
from .errors import NotFound
from .pages import flash, render, translator
from .progress import job_of

router = APIRouter(include_in_schema=False)
SHOWN_REJECTED = 50
PAGE = 1000


@router.get("/import")
def import_page(request: Request, user: Sales) -> Response:
    return _page(request, user)


def _page(request: Request, user: WebUser, *, status: int = 200, **values: object) -> Response:
    svc = services(request)
    job = job_of(svc, request.query_params.get("job"))
    scan_job = job_of(svc, (job.result or {}).get("scan_job")) if job is not None and job.kind == "import" else None
    values.setdefault("analysis", None)
    lang = translator(request).lang
    return render(request, "import.html", status=status, user=user, job=job if job and job.kind == "import" else None,
                  why=lambda reason: invalid_reason(lang, reason),      # type: ignore[arg-type]
                  scan_job=scan_job, shown_rejected=SHOWN_REJECTED, max_rows=svc.settings.import_max_rows,
                  max_bytes=svc.settings.api_upload_max_bytes, **values)


@router.post("/import")
async def upload(request: Request, user: SalesAction,
                 file: Annotated[UploadFile | None, File()] = None,
                 source: Annotated[str, Form(max_length=300)] = "",
                 scan: Annotated[bool, Form()] = False) -> Response:
    if file is None or not file.filename:
        return _page(request, user, status=422, upload_error="import.no_file")
    try:
        accepted = await api_imports.import_file(services(request), user, Response(), file,   # type: ignore[arg-type]
                                                 source.strip() or None, scan)
    except ApiProblem as exc:
        return _page(request, user, status=status_of(exc), upload_error=f"import.error_{status_of(exc)}")
    return flash(RedirectResponse(f"/import?job={accepted.job_id}", status_code=303), "flash.import_started")


@router.get("/import/{job_id}/rejected.csv")
def rejected_csv(job_id: str, request: Request, user: Sales) -> StreamingResponse:
    """Every rejected row of the import (row number, value, reason), as CSV for Excel."""
    svc = services(request)
    job = job_of(svc, job_id)
    batch = (job.result or {}).get("batch_id") if job is not None and job.kind == "import" else None
    if not isinstance(batch, int):
        raise NotFound()
    t = translator(request)
    header = [t("import.col_row"), t("import.col_value"), t("import.col_reason")]
    rows = _rejected_rows(svc, batch, header, why=lambda reason: invalid_reason(t.lang, reason))  # type: ignore[arg-type]
    return StreamingResponse(rows, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="hunter-rejected-{batch}.csv"'})


def _rejected_rows(svc: Services, batch: int, header: list[str], *, why: Callable[[str | None], str]) -> Iterator[str]:
    """A byte-order mark (Excel reads Turkish letters), the header, then the rows a page at a time
    with the reason in the reader's language."""
    yield "\ufeff" + _csv([header])
    offset = 0
    with svc.sessions() as session:
        repo = ImportRepository(session)
        while rows := repo.rows(batch, "rejected", limit=PAGE, offset=offset):
            yield _csv([r.row, exports.safe_cell(r.value), exports.safe_cell(why(r.reason))] for r in rows)
            offset += len(rows)


def _csv(rows: Iterable[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


@router.post("/import/analyze")
async def analyse(request: Request, user: SalesAction, domain: Annotated[str, Form(max_length=2048)] = "",
                  store: Annotated[bool, Form()] = False) -> Response:
    svc, t = services(request), translator(request)
    try:
        body = AnalyzeRequest(domain=domain.strip(), store=store)
    except ValidationError:
        return _page(request, user, status=422, analyse_error="import.no_domain", domain=domain)
    analysis = await api_analyze.analyze(body, svc.context, svc, user)   # type: ignore[arg-type]
    lead_id = _lead_id(svc, analysis.domain) if store and analysis.domain else None
    summary = sales.summarise(analysis, lang=t.lang, config=svc.sales_config)   # type: ignore[arg-type]
    return _page(request, user, analysis=analysis, summary=summary, lead_id=lead_id, domain=domain)


def _lead_id(svc: Services, domain: str) -> int | None:
    with svc.sessions() as session:
        lead = LeadRepository(session).by_domain(domain)
        return lead.id if lead is not None else None

