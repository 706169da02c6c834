"""Scan jobs end to end: submit, poll, verdicts stored, changes recorded on a rescan, cancel."""

from __future__ import annotations

import asyncio

from hunter.flows.scan_leads import store_analysis
from hunter.model import Analysis, Provider
from hunter.store.leads import LeadRepository

from .conftest import Api
from .test_auth import assert_problem


async def wait_for(api: Api, job_id: str, timeout: float = 30.0) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            job = (await api.get(f"/api/v1/jobs/{job_id}")).json()
            if job["status"] in ("done", "failed", "cancelled"):
                return job
            await asyncio.sleep(0.05)


def add_leads(api: Api, *domains: str) -> list[int]:
    with api.services.sessions() as session:
        ids = [LeadRepository(session).upsert(d, source="test")[0].id for d in domains]
        session.commit()
    return ids


async def test_scan_job_gives_leads_their_verdicts(api: Api) -> None:
    ids = add_leads(api, "m365-tenant.test", "gworkspace.test", "selfhosted.test")
    response = await api.post("/api/v1/scans", json={"lead_ids": ids, "rescan": False})
    assert response.status_code == 202, response.text
    assert response.json()["leads"] == 3
    job = await wait_for(api, response.json()["job_id"])
    assert job["status"] == "done" and job["done"] == 3 and job["progress"] == 1.0
    items = (await api.get("/api/v1/leads", params={"sort": "domain"})).json()["items"]
    assert [(i["domain"], i["provider"]["key"]) for i in items] == [
        ("gworkspace.test", "google"), ("m365-tenant.test", "m365"), ("selfhosted.test", "self_hosted")]
    listed = (await api.get("/api/v1/jobs")).json()
    assert listed[0]["id"] == job["id"] and listed[0]["kind"] == "scan"


async def test_rescan_records_what_changed(api: Api) -> None:
    [lead_id] = add_leads(api, "m365-tenant.test")
    with api.services.sessions() as session:          # an older scan that saw Google
        lead = LeadRepository(session).get(lead_id)
        real = (await api.post("/api/v1/analyze", json={"domain": "m365-tenant.test"})).json()
        old = Analysis.model_validate(real).model_copy(update={"provider": Provider(
            key="google", name="Google Workspace", kind="cloud_suite", confidence="high")})
        store_analysis(session, lead, old)
        session.commit()
    response = await api.post("/api/v1/scans", json={"filter": {"q": "m365-tenant"}})
    job = await wait_for(api, response.json()["job_id"])
    assert job["status"] == "done" and job["total"] == 1
    detail = (await api.get(f"/api/v1/leads/{lead_id}")).json()
    assert len(detail["history"]) == 2 and detail["lead"]["provider"]["key"] == "m365"
    moved = [c for c in detail["changes"] if c["kind"] == "provider_moved"]
    assert moved and moved[0]["before"] == "Google Workspace"


async def test_older_than_days_picks_unscanned_and_stale_leads(api: Api) -> None:
    add_leads(api, "zoho-co.test")
    await api.post("/api/v1/analyze", json={"domain": "hybrid-co.test", "store": True})   # fresh
    response = await api.post("/api/v1/scans", json={"older_than_days": 1})
    assert response.status_code == 202 and response.json()["leads"] == 1
    await wait_for(api, response.json()["job_id"])


async def test_cancel_and_unknown_jobs(api: Api) -> None:
    ids = add_leads(api, *(f"lead{i}.m365-tenant.test" for i in range(30)))
    job_id = (await api.post("/api/v1/scans", json={"lead_ids": ids})).json()["job_id"]
    cancelled = await api.client.delete(f"/api/v1/jobs/{job_id}", headers=api.auth("sales"))
    assert cancelled.status_code == 202
    assert cancelled.json()["status"] in ("cancelled", "done")
    assert_problem(await api.get("/api/v1/jobs/no-such-job"), 404)
    assert_problem(await api.client.delete("/api/v1/jobs/no-such-job", headers=api.auth("sales")), 404)


async def test_scan_request_validation(api: Api) -> None:
    assert_problem(await api.post("/api/v1/scans", json={"lead_ids": [424242]}), 404)
    assert_problem(await api.post("/api/v1/scans", json={"lead_ids": [1], "older_than_days": 3}), 400)
    assert_problem(await api.post("/api/v1/scans", json={"lead_ids": []}), 422)
    assert_problem(await api.post("/api/v1/scans", json={"filter": {"priority": ["P0"]}}), 422)
