"""IP enrichment diagnostics [admin], outside ``/api/v1`` as the issue names them.

    GET /debug/ip-enrichment/config   flag, providers and their files (names only), versions,
                                      errors, cache backend and counters, lookup metrics
    GET /debug/ip-enrichment/{ip}     each provider's own answer, the merged one, the cache entry
                                      and the stored rows for that address

``/config`` is declared before ``/{ip}`` and ``{ip}`` must be an IP address (422 otherwise), so
neither can shadow the other.  With enrichment off both still answer 200: ``enabled: false``,
no providers, and (for an address) the rows stored while it was on.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, IPvAnyAddress

from ...flows import inspect_enrichment
from ..deps import Admin, ContextDep, SessionDep, SettingsDep
from ..errors import responses

router = APIRouter(prefix="/debug/ip-enrichment", tags=["debug"], responses=responses(401, 403))


class FileStatus(BaseModel):
    file: str                       # the file name only, never its directory
    loaded: bool
    version: str | None             # build date (MaxMind) or database version (IP2Location)
    error: str | None


class ProviderStatus(BaseModel):
    name: str
    ok: bool
    detail: str
    files: list[FileStatus]


class CacheStatus(BaseModel):
    backend: str
    stats: dict[str, Any]           # hits, misses, errors, hit_rate (+ entries for memory)


class EnrichmentConfig(BaseModel):
    enabled: bool
    available: bool
    detail: str
    providers: list[ProviderStatus]
    cache: CacheStatus | None
    metrics: dict[str, Any] | None  # lookups, special, answered, per-provider latency and errors


class ProviderAnswer(BaseModel):
    name: str
    facts: dict[str, Any] | None    # the adapter's own IpFacts; null when it knows nothing
    error: str | None


class CacheEntry(BaseModel):
    key: str
    state: str                      # hit or miss
    ttl: float | None               # seconds left, when the backend says
    value: dict[str, Any] | None


class StoredUse(BaseModel):
    domain: str
    roles: list[str]
    updated_at: str


class IpDiagnosis(BaseModel):
    ip: str
    enabled: bool
    special: str | None             # private, loopback, documentation…: never looked up
    providers: list[ProviderAnswer]
    merged: dict[str, Any] | None
    cache: CacheEntry | None
    stored: list[StoredUse]


@router.get("/config", summary="IP enrichment configuration, files and counters")
def config(ctx: ContextDep, settings: SettingsDep, _: Admin) -> EnrichmentConfig:
    report = inspect_enrichment.status(ctx.ip_lookup, enabled=settings.enrichment_enabled,
                                       cache=ctx.ip_cache)
    return EnrichmentConfig.model_validate(report)


@router.get("/{ip}", summary="How one IP address is enriched, provider by provider",
            responses=responses(422))
def diagnose(ip: IPvAnyAddress, ctx: ContextDep, settings: SettingsDep, session: SessionDep,
             _: Admin) -> IpDiagnosis:
    report = inspect_enrichment.lookup(ctx.ip_lookup, str(ip), enabled=settings.enrichment_enabled,
                                       session=session, cache=ctx.ip_cache)
    return IpDiagnosis.model_validate(report)
