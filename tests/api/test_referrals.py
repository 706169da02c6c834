"""Partner Center in the API: every lead's ``partner_center``, the ``referral`` filter, the
referral routes, the status, and the sync refused while the flag is off (on both backends)."""

from __future__ import annotations

import json

import pytest

from hunter.cli.demo import with_partner_center
from hunter.flows.sync_referrals import sync_referrals
from hunter.sandbox.partner_center import PartnerCenterSandbox
from tests.fakes.referrals import FakeReferralSource, referral

from .conftest import Api, api_settings, finished, open_api, seed
from .test_auth import assert_problem

SOURCE = FakeReferralSource([
    referral("r-old", emails=("ali@karadenizfindik.com.tr",), updated="2026-11-01T08:00:00.0000000Z"),
    referral("r-new", emails=("Veli@Mail.Karadenizfindik.com.tr",), updated="2026-11-03T08:00:00.0000001Z",
             status="Active", substatus="Accepted", deal=75000.0),
    referral("r-none", emails=("only@gmail.com",), updated="2026-11-02T08:00:00.0000000Z"),
])


async def synced(api: Api) -> dict[str, int]:
    ids = await seed(api, ("karadenizfindik.com.tr", "torosyapi.com.tr"))
    svc = api.services
    outcome = sync_referrals(svc.sessions, SOURCE, rules=svc.context.scoring_rules, create_leads=False)
    assert outcome.status == "succeeded" and outcome.fetched == 3
    return ids


async def test_every_lead_answers_is_this_a_referral(any_api: Api) -> None:
    ids = await synced(any_api)
    items = {i["domain"]: i for i in (await any_api.get("/api/v1/leads")).json()["items"]}
    pc = items["karadenizfindik.com.tr"]["partner_center"]
    assert pc["referral"] is True and pc["count"] == 2
    assert pc["latest"]["id"] == "r-new" and pc["latest"]["status"] == "Active"
    assert pc["latest"]["substatus"] == "Accepted" and pc["latest"]["deal_value"] == 75000.0
    assert set(pc["latest"]) == {"id", "status", "substatus", "type", "qualification", "direction", "deal_value",
                                 "currency", "created", "updated"}
    assert items["torosyapi.com.tr"]["partner_center"] == {"referral": False, "count": 0, "latest": None}
    detail = (await any_api.get(f"/api/v1/leads/{ids['karadenizfindik.com.tr']}")).json()
    assert detail["lead"]["partner_center"] == pc
    codes = [r["code"] for r in detail["verdict"]["reasons"]]
    assert any(code.startswith("pc_referral") for code in codes), codes


async def test_the_referral_filter(any_api: Api) -> None:
    await synced(any_api)
    yes = (await any_api.get("/api/v1/leads", params={"referral": "true"})).json()
    no = (await any_api.get("/api/v1/leads", params={"referral": "false"})).json()
    assert [i["domain"] for i in yes["items"]] == ["karadenizfindik.com.tr"] and yes["total"] == 1
    assert [i["domain"] for i in no["items"]] == ["torosyapi.com.tr"]


async def test_referral_routes(any_api: Api) -> None:
    ids = await synced(any_api)
    page = (await any_api.get("/api/v1/referrals")).json()
    assert page["total"] == 3 and [r["id"] for r in page["items"]][0] == "r-new"
    unlinked = (await any_api.get("/api/v1/referrals", params={"linked": "false"})).json()
    assert [r["id"] for r in unlinked["items"]] == ["r-none"]
    assert unlinked["items"][0]["domain"] is None and "consumer" in unlinked["items"][0]["domain_reason"]
    by_lead = (await any_api.get("/api/v1/referrals", params={"lead_id": ids["karadenizfindik.com.tr"]})).json()
    assert {r["id"] for r in by_lead["items"]} == {"r-old", "r-new"}
    one = await any_api.get("/api/v1/referrals/r-new")
    assert one.status_code == 200 and one.json()["raw"]["customerProfile"]["team"][0]["email"]
    assert one.json()["domain"] == "karadenizfindik.com.tr" and one.json()["domain_source"] == "contact_email"
    missing = await any_api.get("/api/v1/referrals/nope")
    assert_problem(missing, 404)


async def test_status_and_the_sync_while_the_flag_is_off(api: Api) -> None:
    await synced(api)
    status = (await api.get("/api/v1/partner-center/status")).json()
    assert status["enabled"] is False and status["schedule"] is None
    assert status["watermark"] == "2026-11-03T08:00:00.0000001Z"
    assert status["last_run"]["status"] == "succeeded" and status["counts"]["total"] == 3
    refused = await api.post("/api/v1/partner-center/sync", role="admin", json={})
    assert_problem(refused, 409)
    assert "HUNTER_PARTNER_CENTER_SYNC_ENABLED" in refused.json()["detail"]
    forbidden = await api.post("/api/v1/partner-center/sync", role="sales", json={})
    assert_problem(forbidden, 403)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_an_admin_starts_a_sync_job_against_the_stand_in(world_settings, tmp_path) -> None:
    with PartnerCenterSandbox(tmp_path / "pc", referrals=12) as pc:
        settings = with_partner_center(api_settings(world_settings, f"sqlite:///{tmp_path / 'api.db'}", tmp_path), pc)
        async with open_api(settings) as api:
            started = await api.post("/api/v1/partner-center/sync", role="admin", json={"full": True})
            assert started.status_code == 202 and started.json()["kind"] == "pc_sync"
            job = await finished(api, started.json()["id"])
            assert job["status"] == "done" and job["result"]["fetched"] == 12 and job["result"]["status"] == "succeeded"
            if job["result"]["scan_job"]:                         # the leads it created are scanned after it
                assert (await finished(api, job["result"]["scan_job"]))["status"] == "done"
            assert (await api.get("/api/v1/referrals")).json()["total"] == 12
            status = (await api.get("/api/v1/partner-center/status")).json()
            assert status["enabled"] and status["schedule"] == "05:30 UTC" and status["last_run"]["trigger"] == "api"
            pc.faults.add("down")
            failed = await finished(api, (await api.post("/api/v1/partner-center/sync", role="admin")).json()["id"])
            assert failed["status"] == "failed" and "503" in failed["error"]
            assert pc.settings_env()["HUNTER_PC_PASSWORD"] not in json.dumps(failed)
