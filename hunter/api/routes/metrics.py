"""``GET /metrics``: the Prometheus exposition (docs/operations.md, "Metrics").  Open like
``/healthz`` (scrapers carry no API token) unless ``HUNTER_METRICS_TOKEN`` is set: then it needs
``Authorization: Bearer <that token>``.  The 401 is answered here, as the API's problem
document, whatever handlers the web pages install for non-API paths."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response

from ... import metrics
from ..deps import ServicesDep
from ..errors import problem

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
def exposition(request: Request, svc: ServicesDep) -> Response:
    expected = svc.settings.metrics_token.get_secret_value() if svc.settings.metrics_token else ""
    if expected and not _bearer_is(request.headers.get("authorization"), expected):
        return problem(401, "The metrics need the bearer token set in HUNTER_METRICS_TOKEN.", instance="/metrics")
    collector = metrics.ServiceCollector(svc.sessions, svc.settings, svc.context.ip_lookup)
    body, content_type = metrics.exposition(collector)
    return Response(body, media_type=content_type)


def _bearer_is(header: str | None, token: str) -> bool:
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
