"""POST /api/v1/analyze: the contract object, optionally stored as a lead with its scan."""

from __future__ import annotations

import pytest

from hunter.model import Analysis

from .conftest import Api
from .test_auth import assert_problem


async def test_analyze_returns_the_contract_object(api: Api) -> None:
    response = await api.post("/api/v1/analyze", json={"domain": "https://www.gateway-m365.test/about"})
    assert response.status_code == 200, response.text
    analysis = Analysis.model_validate(response.json())
    assert analysis.domain == "gateway-m365.test" and analysis.provider.key == "m365"
    assert analysis.gateway is not None and analysis.gateway.key == "proofpoint"
    assert (await api.get("/api/v1/leads")).json()["total"] == 0      # store defaults to false


@pytest.mark.parametrize("text", ["not a domain", "+90 212 555 12 12", "192.168.1.10"])
async def test_bad_domain_is_an_analysis_with_status_invalid(api: Api, text: str) -> None:
    response = await api.post("/api/v1/analyze", json={"domain": text, "store": True})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "invalid" and body["reason"] and body["score"] is None
    assert (await api.get("/api/v1/leads")).json()["total"] == 0      # invalid input is never stored


async def test_store_true_upserts_the_lead_and_keeps_each_scan(api: Api) -> None:
    for _ in range(2):
        response = await api.post("/api/v1/analyze", json={"domain": "zoho-co.test", "store": True})
        assert response.status_code == 200
    page = (await api.get("/api/v1/leads")).json()
    assert page["total"] == 1 and page["items"][0]["provider"]["key"] == "zoho"
    detail = (await api.get(f"/api/v1/leads/{page['items'][0]['id']}")).json()
    assert len(detail["history"]) == 2 and detail["source"] == "api"


@pytest.mark.parametrize("body", [{}, {"domain": ""}, {"domain": "x.test", "extra": 1}, {"domain": 5}])
async def test_bad_body_is_422_problem_with_locations(api: Api, body: dict) -> None:
    problem = assert_problem(await api.post("/api/v1/analyze", json=body), 422)
    assert problem["errors"][0]["loc"][0] == "body"


async def test_malformed_json_is_422_problem(api: Api) -> None:
    response = await api.post("/api/v1/analyze", content=b"{not json",
                              headers={"Content-Type": "application/json"})
    assert_problem(response, 422)


async def test_oversized_json_body_is_413_problem(api: Api) -> None:
    response = await api.post("/api/v1/analyze", json={"domain": "x" * (2 * 1024 * 1024)})
    assert_problem(response, 413)
