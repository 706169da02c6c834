"""Liveness and readiness, without authentication (for load balancers and orchestrators)."""

from __future__ import annotations

from fastapi import APIRouter

from ...errors import ConfigError
from ...store import migrate
from ..deps import SettingsDep
from ..errors import Unavailable, responses
from ..schemas import Health, Ready

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> Health:
    return Health()


@router.get("/readyz", summary="The database is reachable and its schema is at head",
            responses=responses(503))
def readyz(settings: SettingsDep) -> Ready:
    try:
        revision = migrate.current(settings.database())
    except ConfigError:
        raise Unavailable("The database is not reachable.") from None
    if revision != migrate.head():
        raise Unavailable("The database schema is not at the current version; run the migrations.")
    return Ready(revision=revision)
