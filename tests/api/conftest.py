"""An API per test: a migrated database (SQLite, or both backends via ``database_url``), the
sandbox DNS as the only resolver, the lifespan run, and one token per role.

``api`` runs on SQLite only; ``any_api`` runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from hunter.api import create_app
from hunter.api.deps import Services
from hunter.settings import Settings
from hunter.store import migrate
from hunter.store.tokens import ROLES, TokenRepository

SEEDED = ("m365-tenant.test", "gateway-m365.test", "gworkspace.test", "selfhosted.test",
          "zoho-co.test", "hybrid-co.test", "karadenizfindik.com.tr", "torosyapi.com.tr",
          "parked.test")


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    tokens: dict[str, str]

    @property
    def services(self) -> Services:
        return self.app.state.services

    def auth(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def get(self, url: str, role: str = "viewer", **kw) -> httpx.Response:
        return await self.client.get(url, headers=self.auth(role) | kw.pop("headers", {}), **kw)

    async def post(self, url: str, role: str = "sales", **kw) -> httpx.Response:
        return await self.client.post(url, headers=self.auth(role) | kw.pop("headers", {}), **kw)


def api_settings(base: Settings, url: str, data_dir: Path, **extra: object) -> Settings:
    return base.model_copy(update={"database_url": SecretStr(url), "data_dir": data_dir, "jobs_concurrency": 8, **extra})


@asynccontextmanager
async def open_api(settings: Settings) -> AsyncIterator[Api]:
    migrate.upgrade(settings.database())
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://hunter.test") as client:
            yield Api(app=app, client=client, tokens=_tokens(app.state.services))


def _tokens(services: Services) -> dict[str, str]:
    with services.sessions() as session:
        issued = {role: TokenRepository(session).issue(role=role, name=f"test {role}")[1] for role in ROLES}
        session.commit()
    return issued


@pytest.fixture
async def api(world_settings: Settings, tmp_path: Path) -> AsyncIterator[Api]:
    settings = api_settings(world_settings, f"sqlite:///{tmp_path / 'api.db'}", tmp_path)
    async with open_api(settings) as opened:
        yield opened


@pytest.fixture
async def any_api(world_settings: Settings, tmp_path: Path, database_url: str) -> AsyncIterator[Api]:
    async with open_api(api_settings(world_settings, database_url, tmp_path)) as opened:
        yield opened


async def seed(api: Api, domains: tuple[str, ...] = SEEDED) -> dict[str, int]:
    """Analyse and store each domain through the API; returns {domain: lead id}."""
    for domain in domains:
        response = await api.post("/api/v1/analyze", json={"domain": domain, "store": True})
        assert response.status_code == 200, response.text
    page = (await api.get("/api/v1/leads", params={"limit": 500})).json()
    return {item["domain"]: item["id"] for item in page["items"]}


async def finished(api: Api, job_id: str, *, polls: int = 300) -> dict:
    """Poll a job through the API until it is final; its JSON."""
    for _ in range(polls):
        job = (await api.get(f"/api/v1/jobs/{job_id}")).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")
