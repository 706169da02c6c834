"""The HTTP API: ``create_app(settings)``; the lifespan opens the database, the analysis
``Context``, the sales configuration and the job runner once, and closes them at shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ..jobs.schedule import DailySchedule, parse_time
from ..sales.config import load_config
from ..settings import Settings
from ..store.db import make_engine, session_factory
from ..errors import HunterError
from ..integrations.base import LeadSink
from ..wiring import build_context, job_runner, lead_sink
from .. import web
from . import errors
from .deps import Services
from .limits import BodyLimit
from .access import Access
from .routes import analyze, debug, dynamics, exports, health, imports, jobs, leads, metrics, referrals, scans, tokens

log = logging.getLogger("hunter.api")
PREFIX = "/api/v1"
JSON_BODY_LIMIT = 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024
RUNNER_CLOSE_TIMEOUT = 10.0


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="Hunter API", version="1", lifespan=_lifespan(settings),
                  openapi_url=f"{PREFIX}/openapi.json", docs_url=f"{PREFIX}/docs", redoc_url=None,
                  swagger_ui_oauth2_redirect_url=f"{PREFIX}/docs/oauth2-redirect",
                  description="Lead intelligence from public DNS. See docs/api.md.")
    errors.install(app)
    app.include_router(health.router)
    app.include_router(metrics.router)          # /metrics (HUNTER_METRICS_TOKEN, docs/operations.md)
    app.include_router(debug.router)            # /debug/ip-enrichment/… (admin)
    for module in (leads, analyze, scans, jobs, exports, tokens, referrals, dynamics):
        app.include_router(module.router, prefix=PREFIX)
    app.include_router(imports.router, prefix=PREFIX)
    web.install(app)                            # the lead screen at / (hunter/web, docs/web.md)
    upload = settings.api_upload_max_bytes + MULTIPART_OVERHEAD
    app.add_middleware(BodyLimit, default=JSON_BODY_LIMIT,
                       paths={f"{PREFIX}/imports": upload, web.UPLOAD_PATH: upload})
    app.add_middleware(Access)                  # request id, access log, latency by route
    return app


def _lifespan(settings: Settings):
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = _open(settings)
        app.state.services = services
        schedule = _schedule(settings, services)
        try:
            services.runner.resume_pending()
            if schedule is not None:
                schedule.start()
            yield
        finally:
            if schedule is not None:
                await schedule.stop()
            await _close(services)
    return lifespan


def _open(settings: Settings) -> Services:
    engine = make_engine(settings.database())
    sessions = session_factory(engine)
    context = build_context(settings)
    runner = job_runner(settings, sessions)
    sink, sink_error = _sink(settings)
    return Services(settings=settings, engine=engine, sessions=sessions, context=context,
                    sales_config=load_config(settings.sales_config), runner=runner, sink=sink,
                    sink_error=sink_error)


def _sink(settings: Settings) -> tuple[LeadSink | None, str | None]:
    """The Dynamics sink, opened once (its token cache lives as long as the app); a setting
    that is missing is logged once and the API serves on without it."""
    try:
        return lead_sink(settings), None
    except HunterError as exc:
        log.error("Dynamics 365 is enabled but not usable: %s", exc, extra={"event": "d365_config"})
        return None, str(exc)


def _schedule(settings: Settings, services: Services) -> DailySchedule | None:
    """The daily Partner Center sync (a ``pc_sync`` job), when the sync is on and jobs run
    in-process (with Celery, ``hunter beat`` schedules it)."""
    if not settings.partner_center_sync_enabled or settings.jobs_backend != "inprocess":
        return None
    return DailySchedule("partner center sync", parse_time(settings.pc_sync_time),
                         lambda: services.runner.submit("pc_sync", {"trigger": "schedule"}, lead_ids=[]))


async def _close(services: Services) -> None:
    services.runner.close(RUNNER_CLOSE_TIMEOUT)
    if services.sink is not None:
        services.sink.close()
    await services.context.aclose()
    services.engine.dispose()
