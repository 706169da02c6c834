"""Liveness and readiness, without authentication (for load balancers and orchestrators)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ... import readiness
from ...store import migrate
from ..deps import ServicesDep
from ..errors import problem, responses
from ..schemas import Health, Ready, ReadyCheck

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> Health:
    return Health()


@router.get("/readyz", summary="The database, cache, broker and enrichment databases are ready",
            response_model=Ready, responses=responses(503))
async def readyz(svc: ServicesDep) -> Ready | JSONResponse:
    """Each check is ``ok``, ``failing`` (with what is wrong) or ``off``; 503 when one is failing."""
    found = await readiness.check_all(svc.settings, engine=svc.engine, ip_lookup=svc.context.ip_lookup)
    checks = {check.name: ReadyCheck(status=check.status, detail=check.detail) for check in found}
    failing = [check.name for check in found if check.status == "failing"]
    if failing:
        return problem(503, f"Not ready: {', '.join(failing)}.", instance="/readyz", failing=failing,
                       checks={name: check.model_dump() for name, check in checks.items()})
    return Ready(revision=migrate.head(), checks=checks)
