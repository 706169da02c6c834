"""The lead list: filters, facets, sort, keyset pages, and CSV/XLSX of exactly what is filtered.
The rows, the filters and the exports are the API's own functions (``api.routes.leads.list_leads``,
``api.routes.exports``): the page only shows them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse

from ..api.deps import services
from ..api.routes import exports as api_exports
from ..api.routes import leads as api_leads
from ..store.facets import FACETS, FacetRepository
from . import listing
from .auth import Viewer
from .pages import render, translator

router = APIRouter(include_in_schema=False)
COLUMNS = ("priority", "domain", "provider", "local_provider", "tenant_size", "score", "segment", "referral",
           "dynamics", "scanned_at")


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/leads", status_code=303)


@router.get("/leads")
def leads_page(request: Request, user: Viewer) -> Response:
    svc, t = services(request), translator(request)
    state = listing.parse(request)
    with svc.sessions() as session:
        page = api_leads.list_leads(state.query, session, svc.context, svc, user)   # type: ignore[arg-type]
        counts = FacetRepository(session).counts(state.query.to_filter(), FACETS)
    return render(request, "leads.html", user=user, page=page, state=state,
                  facets=listing.facets(counts, state, t=t, ctx=svc.context),
                  label=listing.labeller(t, svc.context), columns=COLUMNS, priorities=listing.PRIORITIES,
                  segments=list(svc.context.scoring_rules.segments), first=state.value("cursor") is None)


@router.get("/leads.csv")
def leads_csv(request: Request, user: Viewer) -> StreamingResponse:
    return api_exports.export_csv(listing.parse(request).export_query(), services(request), user)  # type: ignore[arg-type]


@router.get("/leads.xlsx")
async def leads_xlsx(request: Request, user: Viewer) -> FileResponse:
    return await api_exports.export_xlsx(listing.parse(request).export_query(), services(request), user)  # type: ignore[arg-type]
