"""The lead screen under test without a browser: Hunter's app in-process (its lifespan run, a
migrated SQLite database, the sandbox DNS), leads analysed and stored through the API, one
user per role, and httpx clients that sign in through the login form and keep the cookies.

Import ``web`` in a test module to use the fixture (``from .support import web``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from hunter.settings import Settings
from hunter.store.users import UserRepository
from tests.api.conftest import Api, api_settings, open_api, seed

DOMAINS = ("karadenizfindik.com.tr", "torosyapi.com.tr", "m365-tenant.test", "gateway-m365.test",
           "gworkspace.test", "zoho-co.test")
USERS = {"viewer": ("izleyici", "izleyici-Parola-1"), "sales": ("satis", "satis-Parola-1"),
         "admin": ("yonetici", "yonetici-Parola-1")}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
BASE = "http://hunter.test"


@dataclass
class Web:
    api: Api
    leads: dict[str, int]
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    @property
    def services(self):
        return self.api.services

    def client(self, base_url: str = BASE, **headers: str) -> httpx.AsyncClient:
        """A new browser-like client on the same app (its own cookie jar)."""
        transport = httpx.ASGITransport(app=self.api.app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url=base_url, headers=headers)
        self.clients.append(client)
        return client

    async def login(self, role: str, **headers: str) -> httpx.AsyncClient:
        client = self.client(**headers)
        name, password = USERS[role]
        answer = await sign_in(client, name, password)
        assert answer.status_code == 303, answer.text
        return client


async def sign_in(client: httpx.AsyncClient, name: str, password: str, *, next: str = "/leads") -> httpx.Response:
    page = await client.get("/login")
    return await client.post("/login", data={"username": name, "password": password, "csrf": csrf_of(page),
                                             "next": next})


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "no CSRF field on the page"
    return found.group(1)


async def post(client: httpx.AsyncClient, path: str, data: dict | None = None, *, form_page: str = "/leads",
               **kw) -> httpx.Response:
    """POST like the browser does: the CSRF token of a page the user has open, then the form."""
    token = csrf_of(await client.get(form_page))
    return await client.post(path, data={"csrf": token, **(data or {})}, **kw)


async def job_done(client: httpx.AsyncClient, job_id: str, timeout: float = 30.0) -> dict:
    """Poll the page's job JSON until the job is finished."""
    for _ in range(int(timeout / 0.05)):
        job = (await client.get(f"/jobs/{job_id}")).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def create_users(api: Api) -> None:
    with api.services.sessions() as session:
        users = UserRepository(session)
        for role, (name, password) in USERS.items():
            users.create(name, password=password, role=role)
        session.commit()


@asynccontextmanager
async def opened(settings: Settings, domains: tuple[str, ...] = DOMAINS) -> AsyncIterator[Web]:
    async with open_api(settings) as api:
        create_users(api)
        web = Web(api=api, leads=await seed(api, domains) if domains else {})
        try:
            yield web
        finally:
            for client in web.clients:
                await client.aclose()


@pytest.fixture
async def web(world_settings: Settings, tmp_path: Path) -> AsyncIterator[Web]:
    """The app on SQLite with the ``DOMAINS`` leads and the three users."""
    async with opened(api_settings(world_settings, f"sqlite:///{tmp_path / 'web.db'}", tmp_path)) as ready:
        yield ready


@pytest.fixture
async def bare_web(world_settings: Settings, tmp_path: Path) -> AsyncIterator[Web]:
    """The app with the three users and no leads (sign-in, roles, headers)."""
    async with opened(api_settings(world_settings, f"sqlite:///{tmp_path / 'web.db'}", tmp_path), ()) as ready:
        yield ready
