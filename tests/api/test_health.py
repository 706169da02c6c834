"""Liveness, readiness (database, cache, broker, enrichment databases), the request id, and
the OpenAPI document.  Redis is asked for real on 127.0.0.1:6379 (required in CI)."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from pydantic import SecretStr

from hunter.api.routes import analyze, exports, imports, jobs, leads, scans, tokens
from hunter.logs import JsonFormatter
from hunter.settings import Settings
from hunter.store import migrate

from .conftest import Api, api_settings, open_api

REDIS = "redis://127.0.0.1:6379/15"


async def test_healthz_needs_no_token(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_names_every_check_and_the_schema_revision(api: Api) -> None:
    response = await api.client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["revision"] == migrate.head()
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok", "cache": "off", "broker": "off", "enrichment": "off"}
    assert migrate.head() in body["checks"]["database"]["detail"]


async def test_readyz_is_a_503_problem_when_the_schema_is_behind(api: Api) -> None:
    migrate.downgrade(api.services.settings.database(), "base")
    response = await api.client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 503
    assert response.json()["failing"] == ["database"]
    assert "hunter db upgrade" in response.json()["checks"]["database"]["detail"]
    assert "sqlite" not in response.text and str(api.services.settings.data_dir) not in response.text


def _redis_up() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS, socket_timeout=1).ping()
    except (redis.RedisError, OSError) as exc:
        if os.environ.get("CI"):
            raise RuntimeError(f"Redis is required in CI and is not reachable: {exc}") from exc
        pytest.skip("Redis not reachable on 127.0.0.1:6379 (required in CI)")


async def test_readyz_asks_redis_and_the_broker_when_they_are_configured(world_settings: Settings,
                                                                         tmp_path: Path) -> None:
    _redis_up()
    settings = api_settings(world_settings, f"sqlite:///{tmp_path / 'api.db'}", tmp_path,
                            redis_url=SecretStr(REDIS), jobs_backend="celery",
                            broker_url=SecretStr("redis://127.0.0.1:6379/14"))
    async with open_api(settings) as api:
        response = await api.client.get("/readyz")
    assert response.status_code == 200, response.text
    checks = response.json()["checks"]
    assert (checks["cache"]["status"], checks["broker"]["status"]) == ("ok", "ok")


async def test_readyz_names_what_is_not_ready_without_its_password(world_settings: Settings,
                                                                   tmp_path: Path) -> None:
    settings = api_settings(world_settings, f"sqlite:///{tmp_path / 'api.db'}", tmp_path,
                            redis_url=SecretStr("redis://:cache-s3cret@127.0.0.1:1/0"), jobs_backend="celery",
                            broker_url=SecretStr("redis://:broker-s3cret@127.0.0.1:1/0"),
                            enrichment_enabled=True, enrichment_db_dir=tmp_path / "no-databases")
    async with open_api(settings) as api:
        response = await api.client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["failing"] == ["cache", "broker", "enrichment"]
    assert body["checks"]["database"]["status"] == "ok"
    assert "Not ready: cache, broker, enrichment." == body["detail"]
    assert "s3cret" not in response.text and str(tmp_path) not in response.text


async def test_readyz_reports_the_enrichment_databases_loaded(world_settings: Settings, tmp_path: Path) -> None:
    from tests.conftest import shared_dir

    databases = shared_dir() / "data" / "maxmind"
    if not databases.is_dir():
        pytest.skip("the MaxMind test databases are not in ../shared/data")
    settings = api_settings(world_settings, f"sqlite:///{tmp_path / 'api.db'}", tmp_path,
                            enrichment_enabled=True, enrichment_db_dir=databases)
    async with open_api(settings) as api:
        response = await api.client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["enrichment"]["status"] == "ok"


async def test_every_answer_carries_a_request_id_and_a_sane_one_is_kept(api: Api) -> None:
    fresh = await api.client.get("/healthz")
    kept = await api.client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.42"})
    replaced = await api.client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 300})
    assert len(fresh.headers["x-request-id"]) == 32
    assert kept.headers["x-request-id"] == "lb-7f3a.42"
    assert replaced.headers["x-request-id"] != "<script>" and len(replaced.headers["x-request-id"]) == 32


async def test_every_line_logged_while_serving_carries_the_request_id(api: Api) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("hunter")
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        await api.get("/api/v1/leads/999999", headers={"X-Request-ID": "req-1"})
        await api.get("/api/v1/leads")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in lines if line.get("event") == "http_request"]
    assert [line["route"] for line in access] == ["/api/v1/leads/{lead_id}", "/api/v1/leads"]
    assert access[0]["request_id"] == "req-1" and access[0]["status"] == 404
    assert len(access[1]["request_id"]) == 32
    assert all("request_id" in line for line in lines)


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
