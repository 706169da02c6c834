"""``GET /metrics``: open like /healthz unless HUNTER_METRICS_TOKEN is set; a scan job through the
API shows up in its counters, the backlog gauges and the latency by route template."""

from __future__ import annotations

import asyncio
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from hunter.settings import Settings

from .conftest import Api, api_settings, open_api
from .test_auth import assert_problem
from .test_jobs import add_leads, wait_for


async def scrape(api: Api, **headers: str) -> dict[tuple[str, tuple], float]:
    response = await api.client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(found: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_need_no_token_by_default(api: Api) -> None:
    found = await scrape(api)
    assert value(found, "hunter_database_up") == 1
    assert value(found, "hunter_enrichment_enabled") == 0
    assert value(found, "hunter_partner_center_sync_enabled") == 0
    assert any(name == "hunter_build_info" and dict(labels)["jobs_backend"] == "inprocess"
               for name, labels in found)


async def test_a_scan_job_is_counted_and_the_backlog_drains(api: Api) -> None:
    before = await scrape(api)
    ids = add_leads(api, "m365-tenant.test", "gworkspace.test", "selfhosted.test")
    job_id = (await api.post("/api/v1/scans", json={"lead_ids": ids})).json()["job_id"]
    assert (await wait_for(api, job_id))["status"] == "done"
    await api.get(f"/api/v1/jobs/{job_id}")
    async with asyncio.timeout(10):                    # the lane records the execution as it ends
        while value(after := await scrape(api), "hunter_job_tasks_total", kind="scan", outcome="ok") == \
                value(before, "hunter_job_tasks_total", kind="scan", outcome="ok"):
            await asyncio.sleep(0.05)

    def grown(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grown("hunter_job_tasks_total", kind="scan", outcome="ok") == 1
    assert grown("hunter_domains_scanned_total", status="ok", provider="m365") == 1
    assert grown("hunter_domains_scanned_total", status="ok", provider="google") == 1
    assert grown("hunter_dns_exchanges_total", resolver=api.services.settings.dns_nameservers[0]) > 0
    assert value(after, "hunter_job_items_pending", kind="scan") == 0
    assert value(after, "hunter_jobs_active", kind="scan", status="running") == 0
    assert grown("hunter_http_request_duration_seconds_count", method="GET", route="/api/v1/jobs/{job_id}",
                 code="200") >= 1
    assert grown("hunter_http_request_duration_seconds_count", method="POST", route="/api/v1/scans",
                 code="202") == 1
    assert not any(job_id in text for _, labels in after for _, text in labels)


async def test_a_metrics_token_is_required_when_set(world_settings: Settings, tmp_path: Path) -> None:
    settings = api_settings(world_settings, f"sqlite:///{tmp_path / 'api.db'}", tmp_path,
                            metrics_token=SecretStr("scrape-s3cret"))
    async with open_api(settings) as api:
        missing = await api.client.get("/metrics")
        wrong = await api.client.get("/metrics", headers={"Authorization": "Bearer nope"})
        api_token = await api.client.get("/metrics", headers=api.auth("admin"))
        found = await scrape(api, Authorization="Bearer scrape-s3cret")
    for response in (missing, wrong, api_token):
        assert_problem(response, 401)
        assert "scrape-s3cret" not in response.text
    assert value(found, "hunter_database_up") == 1


async def test_metrics_stay_out_of_the_openapi_document(api: Api) -> None:
    paths = (await api.client.get("/api/v1/openapi.json")).json()["paths"]
    assert "/metrics" not in paths
