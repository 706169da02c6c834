"""GET /debug/ip-enrichment/config and /debug/ip-enrichment/{ip}: admin only, problem+json,
file names but never server paths, each provider's answer, the cache entry, stored rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hunter.flows.inspect_enrichment import cache_key
from hunter.model import IpInfo
from hunter.settings import Settings
from hunter.store.enrichment import IpEnrichmentRepository
from hunter.store.leads import LeadRepository
from hunter.store.scans import ScanRepository
from tests.api.conftest import Api, api_settings, open_api
from tests.api.test_auth import assert_problem
from tests.conftest import shared_dir
from tests.store.conftest import build_analysis

CONFIG = "/debug/ip-enrichment/config"
MAXMIND = shared_dir() / "data" / "maxmind"
IP2LOCATION = shared_dir() / "data" / "ip2location"
LONDON = "81.2.69.160"


def enrichment(**extra: object) -> dict[str, object]:
    return {"enrichment_enabled": True,
            "enrichment_db_path_maxmind_city": MAXMIND / "GeoIP2-City-Test.mmdb",
            "enrichment_db_path_maxmind_asn": MAXMIND / "GeoLite2-ASN-Test.mmdb",
            "enrichment_db_path_ip2location": IP2LOCATION / "IP2LOCATION-LITE-DB1.BIN", **extra}


@pytest.fixture
async def on_api(world_settings: Settings, tmp_path: Path) -> AsyncIterator[Api]:
    settings = api_settings(world_settings, f"sqlite:///{tmp_path / 'api.db'}", tmp_path, **enrichment())
    async with open_api(settings) as opened:
        yield opened


async def test_config_lists_files_by_name_with_versions(on_api: Api) -> None:
    response = await on_api.get(CONFIG, role="admin")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["enabled"] is True and body["available"] is True
    files = {f["file"]: f for p in body["providers"] for f in p["files"]}
    assert set(files) == {"GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb", "IP2LOCATION-LITE-DB1.BIN"}
    assert all(f["loaded"] and f["version"] and f["error"] is None for f in files.values())
    assert body["cache"]["backend"] == "memory" and {"hits", "misses"} <= set(body["cache"]["stats"])
    assert "lookups" in body["metrics"]
    assert str(shared_dir()) not in response.text and "/data/" not in response.text


async def test_a_missing_file_is_reported_without_its_path(world_settings: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "secret-dir" / "GeoLite2-ASN.mmdb"
    settings = api_settings(world_settings, f"sqlite:///{tmp_path / 'api.db'}", tmp_path,
                            **enrichment(enrichment_db_path_maxmind_asn=missing))
    async with open_api(settings) as api:
        response = await api.get(CONFIG, role="admin")
    asn = [f for p in response.json()["providers"] for f in p["files"] if f["file"] == "GeoLite2-ASN.mmdb"]
    assert asn and asn[0]["loaded"] is False and asn[0]["error"]
    assert "secret-dir" not in response.text and str(tmp_path) not in response.text


@pytest.mark.parametrize("url", [CONFIG, f"/debug/ip-enrichment/{LONDON}"])
async def test_admin_only(on_api: Api, url: str) -> None:
    assert_problem(await on_api.client.get(url), 401)
    for role in ("viewer", "sales"):
        assert_problem(await on_api.get(url, role=role), 403)


async def test_config_is_not_taken_for_an_ip_and_an_ip_works(on_api: Api) -> None:
    config = await on_api.get(CONFIG, role="admin")
    assert config.status_code == 200 and "providers" in config.json() and "ip" not in config.json()
    found = await on_api.get(f"/debug/ip-enrichment/{LONDON}", role="admin")
    assert found.status_code == 200 and found.json()["ip"] == LONDON


@pytest.mark.parametrize("garbage", ["not-an-ip", "999.1.1.1", "81.2.69"])
async def test_garbage_is_a_422_problem(on_api: Api, garbage: str) -> None:
    problem = assert_problem(await on_api.get(f"/debug/ip-enrichment/{garbage}", role="admin"), 422)
    assert problem["errors"][0]["loc"] == ["path", "ip"]


async def test_lookup_shows_each_provider_and_the_merged_answer(on_api: Api) -> None:
    body = (await on_api.get(f"/debug/ip-enrichment/{LONDON}", role="admin")).json()
    answers = {p["name"]: p for p in body["providers"]}
    assert answers["maxmind-city"]["facts"]["city"] == "London"
    assert answers["ip2location"]["facts"]["country_code"] == "GB"
    assert body["merged"]["city"] == "London" and "maxmind-city" in body["merged"]["sources"]
    assert body["special"] is None and body["stored"] == []


async def test_lookup_reports_the_cache_entry(on_api: Api) -> None:
    ctx = on_api.services.context
    first = (await on_api.get(f"/debug/ip-enrichment/{LONDON}", role="admin")).json()
    assert first["cache"]["state"] == "miss"
    ctx.ip_cache.set(cache_key(ctx.ip_lookup, LONDON), {"city": "London"}, ttl=60)
    second = (await on_api.get(f"/debug/ip-enrichment/{LONDON}", role="admin")).json()
    assert second["cache"]["state"] == "hit" and second["cache"]["value"] == {"city": "London"}


async def test_special_addresses_are_not_looked_up(on_api: Api) -> None:
    body = (await on_api.get("/debug/ip-enrichment/10.1.2.3", role="admin")).json()
    assert body["special"] == "private" and body["providers"] == []
    assert body["merged"]["special"] == "private"


async def test_lookup_lists_the_stored_rows_for_the_ip(on_api: Api) -> None:
    with on_api.services.sessions() as session:
        lead = LeadRepository(session).upsert("firma.com.tr")[0]
        scan = ScanRepository(session).add(lead.id, build_analysis("firma.com.tr"))
        IpEnrichmentRepository(session).replace_for_lead(lead.id, scan.id, [IpInfo(ip=LONDON, roles=["mail"])])
        session.commit()
    body = (await on_api.get(f"/debug/ip-enrichment/{LONDON}", role="admin")).json()
    assert [(s["domain"], s["roles"]) for s in body["stored"]] == [("firma.com.tr", ["mail"])]


async def test_disabled_still_answers(api: Api) -> None:
    config = (await api.get(CONFIG, role="admin")).json()
    assert config["enabled"] is False and config["providers"] == [] and "disabled" in config["detail"]
    found = await api.get(f"/debug/ip-enrichment/{LONDON}", role="admin")
    assert found.status_code == 200
    assert found.json() | {"stored": []} == {"ip": LONDON, "enabled": False, "special": None, "providers": [],
                                            "merged": None, "cache": None, "stored": []}


async def test_both_routes_are_in_the_openapi_document(api: Api) -> None:
    paths = (await api.client.get("/api/v1/openapi.json")).json()["paths"]
    assert {CONFIG, "/debug/ip-enrichment/{ip}"} <= set(paths)


async def test_a_stored_scan_persists_its_ips_and_the_endpoint_lists_them(
        world_settings: Settings, tmp_path: Path, database_url: str) -> None:
    """End to end on SQLite and PostgreSQL: analyse + store with enrichment on, then look up."""
    async with open_api(api_settings(world_settings, database_url, tmp_path, **enrichment())) as api:
        response = await api.post("/api/v1/analyze", json={"domain": "m365-tenant.test", "store": True})
        assert response.status_code == 200, response.text
        ips = response.json()["infrastructure"]["ips"]
        assert ips, "the sandbox zone should give the domain at least one address"
        with api.services.sessions() as session:
            lead = LeadRepository(session).by_domain("m365-tenant.test")
            rows = IpEnrichmentRepository(session).for_lead(lead.id)
            assert sorted(r.ip for r in rows) == sorted(i["ip"] for i in ips)
        body = (await api.get(f"/debug/ip-enrichment/{ips[0]['ip']}", role="admin")).json()
        assert [s["domain"] for s in body["stored"]] == ["m365-tenant.test"]
        assert body["cache"]["state"] == "hit"             # the same key as the pipeline's stage
