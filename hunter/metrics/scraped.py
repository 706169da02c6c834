"""The gauges the API computes when ``/metrics`` is read (``SCRAPED``): the job backlog and the
Partner Center state from the database, the enrichment databases from their files, the build."""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError

from .catalogue import SCRAPED

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ..settings import Settings

log = logging.getLogger("hunter.metrics")


GAUGES = {spec.name: spec for spec in SCRAPED}
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


class ServiceCollector:
    """The gauges of ``SCRAPED``: the job backlog and Partner Center state from the database
    (two cheap aggregate queries), the enrichment databases from their files."""

    def __init__(self, sessions: Callable[[], Session], settings: Settings, ip_lookup: Any = None) -> None:
        self._sessions, self._settings, self._ip_lookup = sessions, settings, ip_lookup

    def collect(self) -> Iterator[Any]:
        yield _gauge("hunter_build_info", [((_version(), self._settings.jobs_backend), 1.0)])
        yield from self._database()
        yield from self._enrichment()

    def _database(self) -> Iterator[Any]:
        from ..store.monitoring import MonitoringRepository

        try:
            with self._sessions() as session:
                repo = MonitoringRepository(session)
                backlog, sync = repo.backlog(), repo.sync_state()
        except SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer: %s", type(exc).__name__,
                        extra={"event": "metrics_database_down"})
            yield _gauge("hunter_database_up", [((), 0.0)])
            return
        yield _gauge("hunter_database_up", [((), 1.0)])
        yield _gauge("hunter_jobs_active", [((kind, status), float(n)) for (kind, status), n in backlog.jobs.items()])
        yield _gauge("hunter_job_items_pending", [((kind,), float(n)) for kind, n in backlog.pending_items.items()])
        if backlog.oldest_queued is not None:
            yield _gauge("hunter_job_oldest_queued_timestamp_seconds", [((), backlog.oldest_queued.timestamp())])
        yield _gauge("hunter_partner_center_sync_enabled",
                     [((), float(self._settings.partner_center_sync_enabled))])
        success = sync.last_success.timestamp() if sync.last_success is not None else 0.0
        yield _gauge("hunter_partner_center_last_success_timestamp_seconds", [((), success)])
        if sync.last_run_ok is not None:
            yield _gauge("hunter_partner_center_last_run_success", [((), float(sync.last_run_ok))])

    def _enrichment(self) -> Iterator[Any]:
        yield _gauge("hunter_enrichment_enabled", [((), float(self._settings.enrichment_enabled))])
        if not self._settings.enrichment_enabled:
            return
        files = database_files(self._ip_lookup)
        yield _gauge("hunter_enrichment_databases_loaded", [((), float(sum(ok for _, ok, _ in files)))])
        yield _gauge("hunter_enrichment_database_loaded", [((name,), float(ok)) for name, ok, _ in files])
        yield _gauge("hunter_enrichment_database_build_timestamp_seconds",
                     [((name,), built) for name, _, built in files if built is not None])


def database_files(ip_lookup: Any) -> list[tuple[str, bool, float | None]]:
    """(database, loaded, built at) of every enrichment database the lookup holds."""
    if ip_lookup is None:
        return []
    checks = ip_lookup.checks() if hasattr(ip_lookup, "checks") else [ip_lookup.check()]
    return [(health.name, file.loaded, built_at(file.version, file.path))
            for health in checks for file in health.files]


def built_at(version: str | None, path: str) -> float | None:
    """A database's build time: the date in its version (MaxMind: ``GeoLite2-City 2025-05-02``),
    else the file's modification time; None when neither is known."""
    match = DATE.search(version or "")
    if match:
        try:
            return datetime.fromisoformat(f"{match.group(0)}T00:00:00+00:00").timestamp()
        except ValueError:
            pass
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def _gauge(name: str, samples: Iterable[tuple[tuple[str, ...], float]]) -> Any:
    from prometheus_client.core import GaugeMetricFamily

    spec = GAUGES[name]
    family = GaugeMetricFamily(name, spec.help, labels=spec.labels)
    for values, value in samples:
        family.add_metric(list(values), value)
    return family


@functools.cache
def _version() -> str:
    try:
        return metadata.version("hunter")
    except metadata.PackageNotFoundError:
        return "unknown"
