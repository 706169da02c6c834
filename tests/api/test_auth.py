"""Bearer tokens and roles, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging

import pytest

from hunter.store.models import ApiToken
from hunter.store.tokens import digest

from .conftest import Api

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert set(body) >= {"type", "title", "status", "detail", "instance"}
    assert body["status"] == status
    assert "Traceback" not in response.text and "sqlalchemy" not in response.text.lower()
    return body


async def test_missing_token_is_401_with_bearer_challenge(any_api: Api) -> None:
    response = await any_api.client.get("/api/v1/leads")
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert body["instance"] == "/api/v1/leads"


@pytest.mark.parametrize("header", ["Bearer hnt_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer", "hnt_x"])
async def test_wrong_token_is_401(any_api: Api, header: str) -> None:
    response = await any_api.client.get("/api/v1/leads", headers={"Authorization": header})
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert "hnt_not-a-real-token" not in body["detail"]


async def test_revoked_token_is_401(any_api: Api) -> None:
    created = (await any_api.post("/api/v1/tokens", role="admin", json={"role": "viewer", "name": "temp"})).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert (await any_api.client.get("/api/v1/leads", headers=headers)).status_code == 200
    revoked = await any_api.client.delete(f"/api/v1/tokens/{created['id']}", headers=any_api.auth("admin"))
    assert revoked.status_code == 204
    assert_problem(await any_api.client.get("/api/v1/leads", headers=headers), 401)


@pytest.mark.parametrize(("role", "method", "url", "body"), [
    ("viewer", "POST", "/api/v1/analyze", {"domain": "m365-tenant.test"}),
    ("viewer", "POST", "/api/v1/scans", {"lead_ids": [1]}),
    ("viewer", "DELETE", "/api/v1/jobs/x", None),
    ("sales", "GET", "/api/v1/tokens", None),
    ("sales", "POST", "/api/v1/tokens", {"role": "admin"}),
])
async def test_role_too_low_is_403(any_api: Api, role: str, method: str, url: str, body) -> None:
    response = await any_api.client.request(method, url, json=body, headers=any_api.auth(role))
    problem = assert_problem(response, 403)
    assert role in problem["detail"]


async def test_token_is_stored_only_as_its_digest(any_api: Api) -> None:
    created = (await any_api.post("/api/v1/tokens", role="admin", json={"role": "sales", "name": "crm"})).json()
    assert created["token"].startswith("hnt_") and created["role"] == "sales"
    with any_api.services.sessions() as session:
        row = session.get(ApiToken, created["id"])
        assert row.token_hash == digest(created["token"]) and len(row.token_hash) == 64
    listed = await any_api.get("/api/v1/tokens", role="admin")
    assert created["token"] not in listed.text and row.token_hash not in listed.text
    assert {"id", "role", "name", "created_at", "last_used_at", "revoked"} == set(listed.json()[0])


async def test_last_used_at_is_recorded(any_api: Api) -> None:
    await any_api.get("/api/v1/leads")
    listed = (await any_api.get("/api/v1/tokens", role="admin")).json()
    viewer = next(t for t in listed if t["role"] == "viewer")
    assert viewer["last_used_at"] is not None


async def test_tokens_never_reach_the_logs(any_api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await any_api.client.get("/api/v1/leads", headers={"Authorization": "Bearer hnt_secret-in-flight"})
    await any_api.get("/api/v1/leads")
    assert "hnt_" not in caplog.text


async def test_unknown_token_id_is_404(any_api: Api) -> None:
    response = await any_api.client.delete("/api/v1/tokens/999999", headers=any_api.auth("admin"))
    assert_problem(response, 404)
