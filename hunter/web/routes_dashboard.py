"""The dashboard: leads by priority, segment and provider as charts (SVG drawn on the server,
each bar a link to the list so filtered), the latest changes (provider moved, DMARC tightened …)
and the health of the integrations: the last Partner Center sync, Dynamics push failures and
the IP enrichment databases loaded.  The figures are ``store.dashboard``; the statuses are the
API's own (``partner-center/status``, ``dynamics/status``, ``debug/ip-enrichment/config``)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from ..api.deps import services
from ..api.routes import dynamics as api_dynamics
from ..api.routes import referrals as api_referrals
from ..flows import inspect_enrichment
from ..store.dashboard import OTHER, DashboardRepository
from ..store.leads import LeadRepository
from . import listing
from .auth import Viewer
from .charts import bar_chart, donut_chart
from .i18n import Translator
from .pages import render, translator

router = APIRouter(include_in_schema=False)
PARAM = {"priority": "priority", "segment": "segment", "provider_key": "provider"}


@router.get("/dashboard")
def dashboard(request: Request, user: Viewer) -> Response:
    svc, t = services(request), translator(request)
    label = listing.labeller(t, svc.context)
    with svc.sessions() as session:
        figures = DashboardRepository(session)
        priority, segment, provider = figures.by_priority(), figures.by_segment(), figures.by_provider(10)
        changes = figures.recent_changes(20)
        total = LeadRepository(session).count()
        partner_center = api_referrals.get_status(session, svc.settings, user)   # type: ignore[arg-type]
        dynamics = api_dynamics.get_status(svc, session, user)   # type: ignore[arg-type]
    enrichment = inspect_enrichment.status(svc.context.ip_lookup, enabled=svc.settings.enrichment_enabled,
                                           cache=svc.context.ip_cache)
    charts = {
        "priority": _chart(bar_chart, "priority", priority, t=t, label=label, title=t("dash.by_priority")),
        "segment": _chart(donut_chart, "segment", segment, t=t, label=label, title=t("dash.by_segment")),
        "provider": _chart(bar_chart, "provider_key", provider, t=t, label=label, title=t("dash.by_provider")),
    }
    return render(request, "dashboard.html", user=user, charts=charts, changes=changes, total=total,
                  by_priority=dict(priority), partner_center=partner_center, dynamics=dynamics,
                  enrichment=enrichment)


def _chart(draw: Callable[..., Markup], field: str, counts: list[tuple[str | None, int]], *, t: Translator,
           label: Callable[[str, str | None], str], title: str) -> Markup:
    """A chart whose labels read in the page's language and whose bars open the list so filtered."""
    links: dict[str, str] = {}
    items = []
    for value, count in counts:
        shown = (t("dash.other") if value == OTHER and field == "provider_key"
                 else label(field, value) if value is not None else t("dash.not_scanned"))
        if field == "priority" and value is not None:
            shown = f"{value} · {shown}"                 # the chart colours a priority's bar
        if value is not None and value != OTHER:
            links[shown] = "/leads?" + urlencode({PARAM[field]: value})
        items.append((shown, count))
    return draw(items, title=title, href=lambda shown: links.get(shown, ""))
