"""Is this instance ready to work: the database (reachable, schema at head), the cache (Redis,
when ``HUNTER_REDIS_URL``), the broker (when ``HUNTER_JOBS_BACKEND=celery``) and the enrichment
databases (when ``HUNTER_ENRICHMENT_ENABLED``).

``check_all`` runs the checks at once, each in a thread under ``timeout``, and says for each one
``ok``, ``failing`` (with what is wrong, never a secret or a server path) or ``off`` (not used
by this configuration).  ``GET /readyz`` answers with it; container health checks run it as a
command: ``python -m hunter.readiness broker database`` (exit 0 when none is failing).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import Engine

from .jobs.base import describe
from .settings import Settings

CHECKS = ("database", "cache", "broker", "enrichment")
TIMEOUT = 3.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Literal["ok", "failing", "off"]
    detail: str


def database(settings: Settings, *, engine: Engine | None = None, timeout: float = TIMEOUT) -> Check:
    """Reachable, and its schema at the revision this version ships (``hunter db upgrade``)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy.exc import SQLAlchemyError

    from .store import db, migrate

    own = engine is None
    engine = engine or db.make_engine(settings.database())
    try:
        with engine.connect() as conn:
            revision = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        return Check("database", "failing", f"not reachable ({type(exc).__name__})")
    finally:
        if own:
            engine.dispose()
    head = migrate.head()
    if revision != head:
        return Check("database", "failing", f"schema at {revision or 'nothing'}, this version needs {head}: "
                                            "run the migrations (hunter db upgrade)")
    return Check("database", "ok", f"schema at {head}")


def cache(settings: Settings, *, timeout: float = TIMEOUT) -> Check:
    """Redis answers PING (when ``HUNTER_REDIS_URL`` is set; else the in-process cache)."""
    if settings.redis_url is None:
        return Check("cache", "off", "in-process memory cache (HUNTER_REDIS_URL not set)")
    try:
        import redis
    except ImportError:
        return Check("cache", "failing", "the redis extra is not installed: pip install 'hunter[redis]'")
    client = redis.Redis.from_url(settings.redis_url.get_secret_value(), socket_timeout=timeout,
                                  socket_connect_timeout=timeout)
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        return Check("cache", "failing", f"Redis did not answer: {describe(exc)}")
    finally:
        client.close()
    return Check("cache", "ok", "Redis answered")


def broker(settings: Settings, *, timeout: float = TIMEOUT) -> Check:
    """A connection to the Celery broker opens (when ``HUNTER_JOBS_BACKEND=celery``)."""
    if settings.jobs_backend != "celery":
        return Check("broker", "off", "in-process jobs (HUNTER_JOBS_BACKEND=inprocess)")
    try:
        from kombu import Connection
        from kombu.exceptions import KombuError

        from .jobs.celery_app import broker_url
    except ImportError:
        return Check("broker", "failing", "the celery extra is not installed: pip install 'hunter[celery]'")
    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
    conn = Connection(broker_url(settings), connect_timeout=timeout, transport_options=options)
    errors = (KombuError, OSError, *conn.connection_errors, *conn.channel_errors)   # each transport's own
    try:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except errors as exc:
        return Check("broker", "failing", f"no connection: {describe(exc)}")
    finally:
        conn.release()
    return Check("broker", "ok", "connected")


def enrichment(settings: Settings, *, ip_lookup: Any = None, timeout: float = TIMEOUT) -> Check:
    """At least one enrichment database is loaded (when ``HUNTER_ENRICHMENT_ENABLED``); the
    detail names those that are not."""
    if not settings.enrichment_enabled:
        return Check("enrichment", "off", "IP enrichment off (HUNTER_ENRICHMENT_ENABLED not set)")
    own = ip_lookup is None
    if own:
        from .integrations.enrichment import Enricher

        ip_lookup = Enricher.from_settings(settings)
    if ip_lookup is None:
        return Check("enrichment", "failing", "enabled, but no database file was found "
                                              "(HUNTER_ENRICHMENT_DB_DIR, HUNTER_ENRICHMENT_DB_PATH_*)")
    try:
        health = ip_lookup.check()
    finally:
        if own:
            ip_lookup.close()
    return Check("enrichment", "ok" if health.ok else "failing", health.detail)


RUNS: dict[str, Callable[..., Check]] = {"database": database, "cache": cache, "broker": broker,
                                         "enrichment": enrichment}


async def check_all(settings: Settings, *, names: Sequence[str] = CHECKS, engine: Engine | None = None,
                    ip_lookup: Any = None, timeout: float = TIMEOUT) -> list[Check]:
    """Every named check, at once; one that does not answer within ``timeout`` is failing."""
    extra = {"database": {"engine": engine}, "enrichment": {"ip_lookup": ip_lookup}}

    async def one(name: str) -> Check:
        work = asyncio.to_thread(RUNS[name], settings, timeout=timeout, **extra.get(name, {}))
        try:
            return await asyncio.wait_for(work, timeout + 1.0)
        except TimeoutError:
            return Check(name, "failing", f"no answer within {timeout + 1.0:g} s")

    return list(await asyncio.gather(*(one(name) for name in names)))


def main(argv: Sequence[str]) -> int:
    """``python -m hunter.readiness [check …]``: one JSON line per check; exit 1 when one is failing."""
    unknown = [name for name in argv if name not in RUNS]
    if unknown or "-h" in argv or "--help" in argv:
        print(f"usage: python -m hunter.readiness [{' '.join(CHECKS)}]", file=sys.stderr)
        return 0 if not unknown else 2
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"settings: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}", file=sys.stderr)
        return 2
    checks = asyncio.run(check_all(settings, names=list(argv) or CHECKS))
    for check in checks:
        print(json.dumps(asdict(check)))
    return 1 if any(check.status == "failing" for check in checks) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
