"""Dynamics 365 in the API: push one lead now, push a selection as a job, every lead's
``dynamics`` object and filter, the status, and the flag off (a fake LeadSink; the real adapter
against the Dataverse stand-in is tested in tests/integrations/dataverse and tests/cli)."""

from __future__ import annotations

from dataclasses import replace

from hunter.flows.push_leads import PushOptions
from hunter.jobs.inprocess import InProcessRunner
from hunter.jobs.tasks import d365_push_task
from hunter.wiring import build_context
from tests.fakes.dynamics import FakeLeadSink

from .conftest import Api, finished, seed
from .test_auth import assert_problem


def with_sink(api: Api, sink: FakeLeadSink | None = None) -> FakeLeadSink:
    """The app's services with Dynamics on and the fake sink, for the routes and the push job."""
    sink = sink or FakeLeadSink()
    svc = api.services
    settings = svc.settings.model_copy(update={"d365_enabled": True, "d365_url": "https://fake.crm4.dynamics.com"})
    svc.runner.close()
    options = PushOptions(sales_config=svc.sales_config)
    runner = InProcessRunner(svc.sessions, lambda: build_context(settings), concurrency=4,
                             job_tasks={"d365_push": d365_push_task(lambda: sink, options)})
    api.app.state.services = replace(svc, settings=settings, sink=sink, runner=runner)
    return sink


async def test_push_one_lead_now_and_see_it_on_the_lead(any_api: Api) -> None:
    ids = await seed(any_api, ("karadenizfindik.com.tr", "torosyapi.com.tr"))
    sink = with_sink(any_api)
    lead_id = ids["karadenizfindik.com.tr"]
    pushed = await any_api.post(f"/api/v1/leads/{lead_id}/dynamics", role="sales")
    assert pushed.status_code == 200, pushed.text
    body = pushed.json()
    record_id = sink.records["karadenizfindik.com.tr"]["leadid"]
    assert body["outcome"] == "created" and body["state"] == "pushed" and body["id"] == record_id
    assert body["url"] == f"https://fake.crm4.dynamics.com/main.aspx?pagetype=entityrecord&etn=lead&id={record_id}"
    again = (await any_api.post(f"/api/v1/leads/{lead_id}/dynamics", role="admin")).json()
    assert again["outcome"] == "updated" and sink.created == {"karadenizfindik.com.tr": 1}
    detail = (await any_api.get(f"/api/v1/leads/{lead_id}")).json()
    assert detail["lead"]["dynamics"]["state"] == "pushed" and detail["lead"]["dynamics"]["id"] == record_id
    items = {i["domain"]: i for i in (await any_api.get("/api/v1/leads")).json()["items"]}
    assert items["torosyapi.com.tr"]["dynamics"] == {"state": None, "id": None, "url": None, "pushed_at": None,
                                                     "error": None}
    pushed_only = (await any_api.get("/api/v1/leads", params={"dynamics": "pushed"})).json()
    never = (await any_api.get("/api/v1/leads", params={"dynamics": "none"})).json()
    assert [i["domain"] for i in pushed_only["items"]] == ["karadenizfindik.com.tr"]
    assert [i["domain"] for i in never["items"]] == ["torosyapi.com.tr"]
    forbidden = await any_api.post(f"/api/v1/leads/{lead_id}/dynamics", role="viewer")
    assert_problem(forbidden, 403)
    missing = await any_api.post("/api/v1/leads/999999/dynamics", role="sales")
    assert_problem(missing, 404)


async def test_a_failed_push_shows_the_services_message(api: Api) -> None:
    ids = await seed(api, ("torosyapi.com.tr",))
    sink = with_sink(api)
    sink.reject["torosyapi.com.tr"] = "Could not find a property named 'hnt_score' on type 'Microsoft.Dynamics.CRM.lead'."
    body = (await api.post(f"/api/v1/leads/{ids['torosyapi.com.tr']}/dynamics")).json()
    assert body["outcome"] == "failed" and body["state"] == "failed" and "hnt_score" in body["error"]
    status = (await api.get("/api/v1/dynamics/status")).json()
    assert status["counts"]["failed"] == 1 and status["recent_failures"][0]["domain"] == "torosyapi.com.tr"
    assert status["recent_failures"][0]["code"] == "0x80044331"


async def test_push_a_selection_as_a_job_and_the_changed_ones(api: Api) -> None:
    ids = await seed(api, ("karadenizfindik.com.tr", "torosyapi.com.tr", "gworkspace.test"))
    sink = with_sink(api)
    started = await api.post("/api/v1/dynamics/push", json={"filter": {"priority": ["P1"]}})
    assert started.status_code == 202 and started.json()["kind"] == "d365_push"
    job = await finished(api, started.json()["id"])
    assert job["status"] == "done" and job["result"]["created"] == job["result"]["leads"] >= 1
    assert set(sink.records) <= {d for d in ids if d != "gworkspace.test"}
    changed = await finished(api, (await api.post("/api/v1/dynamics/push", json={"changed": True})).json()["id"])
    assert changed["result"]["leads"] == 0                                   # nothing stale yet


async def test_the_flag_off_refuses_every_push(api: Api) -> None:
    ids = await seed(api, ("torosyapi.com.tr",))
    one = await api.post(f"/api/v1/leads/{ids['torosyapi.com.tr']}/dynamics")
    assert_problem(one, 409)
    assert "HUNTER_D365_ENABLED" in one.json()["detail"]
    assert_problem(await api.post("/api/v1/dynamics/push", json={}), 409)
    status = (await api.get("/api/v1/dynamics/status")).json()
    assert status["enabled"] is False and status["counts"]["never"] == 1
