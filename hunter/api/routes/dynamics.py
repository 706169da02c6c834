"""Dynamics 365 Sales: push one lead now [sales], push a selection as a job [sales], the status
[viewer].  The same flow as ``hunter dynamics push`` (``flows.push_leads``).  With
``HUNTER_D365_ENABLED`` off every push is refused with 409 and no request is sent; the rest of
the API works as before.
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, status
from starlette.concurrency import run_in_threadpool

from ...flows.push_leads import PushOptions, push_leads
from ...integrations.base import LeadSink
from ...jobs.tasks import filter_params
from ...store import dynamics
from ...store.dynamics import DynamicsRepository
from ...store.leads import LeadRepository
from ...wiring import dynamics_link
from ..deps import RunnerDep, Sales, Services, ServicesDep, SessionDep, Viewer
from ..errors import Conflict, NotFound, responses
from ..schemas import DynamicsPushed, DynamicsPushRequest, DynamicsStatus, JobOut, LeadSelection
from .jobs import job_out

router = APIRouter(tags=["dynamics"], responses=responses(401, 403, 422))
FLAG = "HUNTER_D365_ENABLED"


@router.post("/leads/{lead_id}/dynamics", responses=responses(404, 409),
             summary="Create or update this lead in Dynamics 365 now (upsert: never a duplicate)")
async def push_one(lead_id: int, svc: ServicesDep, session: SessionDep, _: Sales) -> DynamicsPushed:
    sink = _sink(svc)
    if LeadRepository(session).get(lead_id) is None:
        raise NotFound(f"There is no lead {lead_id}.")
    session.rollback()                       # no connection held while Dataverse answers
    options = PushOptions(sales_config=svc.sales_config, public_url=svc.settings.public_url, force=True,
                          trigger="api")
    summary = await run_in_threadpool(push_leads, svc.sessions, sink, [lead_id], options=options)
    result = summary.results.get(lead_id, {})
    ack = DynamicsRepository(session).ack(lead_id)
    view = dynamics.view(ack, url=dynamics_link(svc.settings, ack.record_id) if ack and ack.record_id else None)
    return DynamicsPushed(outcome=result.get("outcome", "failed"), **view)


@router.post("/dynamics/push", status_code=status.HTTP_202_ACCEPTED, responses=responses(409),
             summary="Push the leads matching a filter (a job); changed=true: the stale ones")
def push_many(body: DynamicsPushRequest, runner: RunnerDep, svc: ServicesDep, _: Sales) -> JobOut:
    _sink(svc)
    filters = (body.filter or LeadSelection()).to_filter()
    if body.changed:
        filters = replace(filters, dynamics="stale")
    params = {"filter": filter_params(filters), "force": body.force, "trigger": "api"}
    return job_out(runner.status(runner.submit("d365_push", params, lead_ids=[])))


@router.get("/dynamics/status", summary="The flag, the environment, leads by push state, recent failures")
def get_status(svc: ServicesDep, session: SessionDep, _: Viewer) -> DynamicsStatus:
    repo = DynamicsRepository(session)
    return DynamicsStatus(
        enabled=svc.settings.d365_enabled, url=svc.settings.d365_url, problem=svc.sink_error,
        counts=repo.counts(),
        recent_failures=repo.recent_failures())


def _sink(svc: Services) -> LeadSink:
    if not svc.settings.d365_enabled:
        raise Conflict(f"Dynamics 365 is off: set {FLAG}=true to turn it on.")
    if svc.sink is None:
        raise Conflict(f"Dynamics 365 is not configured: {svc.sink_error}")
    return svc.sink
