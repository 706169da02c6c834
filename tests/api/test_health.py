"""Liveness, readiness and the OpenAPI document."""

from __future__ import annotations

from fastapi.routing import APIRoute

from hunter.api.routes import analyze, exports, imports, jobs, leads, scans, tokens
from hunter.store import migrate

from .conftest import Api


async def test_healthz_needs_no_token(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_schema_revision(api: Api) -> None:
    response = await api.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "revision": migrate.head()}


async def test_readyz_is_a_503_problem_when_the_schema_is_behind(api: Api) -> None:
    migrate.downgrade(api.services.settings.database(), "base")
    response = await api.client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 503
    assert "sqlite" not in response.text and str(api.services.settings.data_dir) not in response.text


async def test_openapi_lists_every_route(api: Api) -> None:
    response = await api.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/healthz" in paths and "/readyz" in paths
    versioned = {"/api/v1" + r.path for module in (analyze, exports, imports, jobs, leads, scans, tokens)
                 for r in module.router.routes if isinstance(r, APIRoute)}
    assert versioned >= {"/api/v1/leads", "/api/v1/leads/{lead_id}", "/api/v1/analyze", "/api/v1/imports",
                         "/api/v1/scans", "/api/v1/jobs", "/api/v1/jobs/{job_id}",
                         "/api/v1/exports/leads.csv", "/api/v1/exports/leads.xlsx",
                         "/api/v1/tokens", "/api/v1/tokens/{token_id}"}
    assert versioned <= set(paths)
    assert "BearerToken" in response.json()["components"]["securitySchemes"]


async def test_docs_page_is_served(api: Api) -> None:
    response = await api.client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "/api/v1/openapi.json" in response.text
