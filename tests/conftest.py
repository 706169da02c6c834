"""Fixtures shared by the pipeline, flow and CLI tests.

``world`` is one sandbox DNS server on 127.0.0.1 (its own thread) serving the shared fixture
zones, the bundled demo zones and the bundled ``_world.zone`` (provider SPF records), with the
fixture faults of ``faults.test``.  Tests name it explicitly as their only resolver.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hunter.sandbox.dns import FaultPlan, SandboxDns, load_zone_dir, running
from hunter.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DEMO_ZONES = REPO / "hunter" / "sandbox" / "zones"


def shared_dir() -> Path:
    env = os.environ.get("HUNTER_SHARED_DIR")
    return Path(env) if env else REPO.parent / "shared"


@pytest.fixture(scope="session")
def world() -> Iterator[SandboxDns]:
    zones = load_zone_dir(shared_dir() / "data" / "dns" / "zones") + load_zone_dir(DEMO_ZONES)
    with running(zones, faults=FaultPlan.fixture_defaults(),
                 broken_zones=("broken.test", "vanmermer.com.tr")) as server:
        yield server


@pytest.fixture
def world_settings(world: SandboxDns) -> Settings:
    """Settings naming only the sandbox, with short timeouts so failure paths stay fast."""
    return Settings(dns_nameservers=(world.address,), dns_timeout=0.3, dns_domain_time_limit=10)


# --- databases -------------------------------------------------------------------------------
# Every database test runs on SQLite AND PostgreSQL (127.0.0.1:5432, trust auth).  In CI
# (CI=true) PostgreSQL is required: if it cannot be reached the tests fail, never skip.

import uuid  # noqa: E402

import sqlalchemy  # noqa: E402

PG_ADMIN_URL = os.environ.get("HUNTER_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _postgres_database() -> Iterator[str]:
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"hunter_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            raise RuntimeError(f"PostgreSQL is required in CI and is not reachable: {exc}") from exc
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432 (required in CI)")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """An empty database (no tables) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hunter.db'}"
    else:
        yield from _postgres_database()
