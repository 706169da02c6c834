"""The lead screen inside the API's application: ``install(app)`` adds its pages, its static
files, its security headers and its error pages to the app ``hunter.api.create_app`` builds, so
both share one lifespan (database, context, runner, Dynamics sink) and one set of flows."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, FastAPI, Response

from . import errors, progress, routes_admin, routes_auth, routes_dashboard, routes_import, routes_lead
from . import routes_leads, routes_referrals
from .errors import NotFound
from .pages import render_error, static_version
from .ratelimit import LoginLimiter
from .security import SecurityHeaders

UPLOAD_PATH = "/import"
STATIC = {"hunter.css": "text/css; charset=utf-8", "hunter.js": "text/javascript; charset=utf-8",
          "favicon.svg": "image/svg+xml"}
static_router = APIRouter(include_in_schema=False)


@static_router.get("/static/{name}")
def static(name: str, v: str | None = None) -> Response:
    """A static file; immutable for a year when asked by its versioned URL (``pages.static_url``)."""
    if name not in STATIC:
        raise NotFound()
    cache = "public, max-age=31536000, immutable" if v == static_version(name) else "no-cache"
    return Response(_read(name), media_type=STATIC[name],
                    headers={"Cache-Control": cache, "ETag": f'"{static_version(name)}"'})


@lru_cache(maxsize=None)
def _read(name: str) -> bytes:
    return resources.files("hunter.web").joinpath("static", name).read_bytes()


def install(app: FastAPI) -> None:
    """Mount the pages on ``app`` (after the API's routes and error handlers)."""
    app.state.login_limiter = LoginLimiter()
    for module in (routes_auth, routes_leads, routes_lead, routes_import, routes_referrals, routes_dashboard,
                   routes_admin, progress):
        app.include_router(module.router)
    app.include_router(static_router)
    app.add_middleware(SecurityHeaders)
    errors.install(app, render_error)
