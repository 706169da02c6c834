"""Jobs on Celery for real: a Redis broker (and RabbitMQ once), PostgreSQL for the state, and
``hunter worker`` processes started here; the scans ask a sandbox DNS that answers slowly, so a
worker can be killed in the middle of a scan.

In CI (``CI`` set) Redis, RabbitMQ and PostgreSQL must be up (``.ci/run`` starts them): the
tests fail rather than skip."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hunter.jobs.celery_runner import CeleryRunner
from hunter.sandbox.dns import load_zone_dir, running
from hunter.settings import Settings
from hunter.store import migrate
from hunter.store.db import make_engine, session_factory
from hunter.store.leads import LeadRepository
from hunter.store.models import Job, JobItem, Scan
from tests.conftest import DEMO_ZONES, _postgres_database, shared_dir

REDIS_DB = 13                       # a Redis database of their own; flushed before each test
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
LEADS = 60


def _need(check, what: str) -> None:
    try:
        check()
    except Exception as exc:                    # noqa: BLE001 - any failure means "not there"
        if os.environ.get("CI"):
            raise RuntimeError(f"{what} is required in CI and is not reachable: {exc}") from exc
        pytest.skip(f"{what} not reachable ({exc})")


@pytest.fixture(scope="module")
def slow_dns() -> Iterator[str]:
    """The fixture and demo zones, every answer 150 ms late: a scan takes a second or so."""
    zones = load_zone_dir(shared_dir() / "data" / "dns" / "zones") + load_zone_dir(DEMO_ZONES)
    with running(zones, latency=0.15) as server:
        yield server.address


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from _postgres_database()


@pytest.fixture
def broker() -> str:
    _need(lambda: redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping(), "Redis on 127.0.0.1:6379")
    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


class Workers:
    """``hunter worker`` processes (each its own process group, so SIGKILL takes all of it)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, {}

    def start(self, name: str, *extra: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "hunter.cli", "worker", "--", "--pool", "prefork",
                                 "--concurrency", "1", "--hostname", f"{name}@%h", "--without-gossip",
                                 "--without-mingle", *extra],
                                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(10)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def settings_for(pg_url: str, dns: str, broker: str, data_dir: Path) -> Settings:
    return Settings(database_url=SecretStr(pg_url), dns_nameservers=(dns,), dns_timeout=1.0, jobs_backend="celery",
                    broker_url=SecretStr(broker), jobs_concurrency=5, celery_chunk_size=6,
                    celery_visibility_timeout=15, data_dir=data_dir, log_level="INFO")


def env_of(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUNTER_")}
    env.update({"HUNTER_DATABASE_URL": settings.database(), "HUNTER_DNS_NAMESERVERS": ",".join(settings.dns_nameservers),
                "HUNTER_DNS_TIMEOUT": "1.0", "HUNTER_JOBS_BACKEND": "celery",
                "HUNTER_BROKER_URL": settings.broker_url.get_secret_value(), "HUNTER_JOBS_CONCURRENCY": "5",
                "HUNTER_CELERY_CHUNK_SIZE": "6", "HUNTER_CELERY_VISIBILITY_TIMEOUT": "15",
                "HUNTER_DATA_DIR": str(settings.data_dir), "HUNTER_LOG_LEVEL": "INFO"})
    return env


@pytest.fixture
def stack(pg_url, slow_dns, broker, tmp_path):
    settings = settings_for(pg_url, slow_dns, broker, tmp_path)
    migrate.upgrade(pg_url)
    engine = make_engine(pg_url)
    sessions = session_factory(engine)
    with sessions() as session:
        ids = [LeadRepository(session).upsert(f"lead{i:03d}.{zone}")[0].id
               for i, zone in zip(range(LEADS), ["m365-tenant.test", "gworkspace.test", "selfhosted.test"] * LEADS)]
        session.commit()
    workers = Workers(env_of(settings), tmp_path)
    runner = CeleryRunner(sessions, settings)
    try:
        yield settings, sessions, ids, workers, runner
    finally:
        workers.stop()
        runner.close()
        engine.dispose()


def wait_for(runner: CeleryRunner, job_id: str, *, until, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = runner.status(job_id)
        if until(status):
            return status
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not get there in {timeout} s: {runner.status(job_id)}")


def scans_per_lead(sessions: sessionmaker[Session], job_id: str) -> Counter:
    with sessions() as session:
        return Counter(dict(session.execute(select(Scan.lead_id, func.count()).where(Scan.job_id == job_id)
                                            .group_by(Scan.lead_id)).all()))


def test_a_bulk_scan_fans_out_across_two_workers(stack) -> None:
    settings, sessions, ids, workers, runner = stack
    workers.start("w1")
    workers.start("w2")
    job_id = runner.submit("scan", {"rescan": True}, lead_ids=ids)
    status = wait_for(runner, job_id, until=lambda s: s.finished)
    assert (status.status, status.done, status.failed, status.total) == ("done", LEADS, 0, LEADS)
    assert set(scans_per_lead(sessions, job_id).values()) == {1} and len(scans_per_lead(sessions, job_id)) == LEADS
    for name in ("w1", "w2"):                       # both took chunks
        assert "hunter.items" in workers.log(name) and "succeeded" in workers.log(name), workers.log(name)[-2000:]


def test_a_worker_killed_mid_scan_loses_nothing_and_scans_nothing_twice(stack) -> None:
    settings, sessions, ids, workers, runner = stack
    workers.start("w1")
    workers.start("w2")
    job_id = runner.submit("scan", {"rescan": True}, lead_ids=ids)
    wait_for(runner, job_id, until=lambda s: s.done >= 12)
    workers.kill("w1")                              # SIGKILL, the whole process group, mid-chunk
    workers.start("w3")
    status = wait_for(runner, job_id, until=lambda s: s.finished, timeout=180)
    assert (status.status, status.done, status.failed) == ("done", LEADS, 0), status
    per_lead = scans_per_lead(sessions, job_id)
    assert len(per_lead) == LEADS and set(per_lead.values()) == {1}      # one stored scan per lead per job
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(JobItem)
                              .where(JobItem.job_id == job_id, JobItem.state == "pending")) == 0


def test_a_job_whose_messages_were_lost_resumes(stack) -> None:
    settings, sessions, ids, workers, runner = stack
    job_id = runner.submit("scan", {"rescan": False}, lead_ids=ids[:18])
    redis.Redis.from_url(REDIS_URL).flushdb()       # the broker lost every message
    assert runner.resume_pending() == [job_id]
    workers.start("w1")
    status = wait_for(runner, job_id, until=lambda s: s.finished)
    assert (status.status, status.done) == ("done", 18)


def test_job_level_tasks_and_a_cancelled_job(stack) -> None:
    settings, sessions, ids, workers, runner = stack
    workers.start("w1")
    cancelled = runner.submit("scan", {"rescan": True}, lead_ids=ids)
    assert runner.cancel(cancelled)
    job_id = runner.submit("pc_sync", {"trigger": "test"}, lead_ids=[])   # the sync is off: a clear failure
    status = wait_for(runner, job_id, until=lambda s: s.finished)
    assert status.status == "failed" and "HUNTER_PARTNER_CENTER_SYNC_ENABLED" in status.error
    final = runner.status(cancelled)
    assert final.status == "cancelled" and final.done < LEADS


def test_rabbitmq_as_the_broker(pg_url, slow_dns, tmp_path) -> None:
    import kombu

    def ping() -> None:
        with kombu.Connection(AMQP_URL, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)

    _need(ping, "RabbitMQ on 127.0.0.1:5672")
    settings = settings_for(pg_url, slow_dns, AMQP_URL, tmp_path)
    migrate.upgrade(pg_url)
    engine = make_engine(pg_url)
    sessions = session_factory(engine)
    with sessions() as session:
        ids = [LeadRepository(session).upsert(f"r{i}.gworkspace.test")[0].id for i in range(8)]
        session.commit()
    workers = Workers(env_of(settings), tmp_path)
    runner = CeleryRunner(sessions, settings)
    try:
        runner._app.connection_for_write().channel().queue_purge("hunter.items")  # noqa: SLF001 - a clean queue
    except Exception:                                                            # noqa: BLE001 - not declared yet
        pass
    try:
        workers.start("amqp1")
        job_id = runner.submit("scan", {"rescan": True}, lead_ids=ids)
        status = wait_for(runner, job_id, until=lambda s: s.finished)
        assert (status.status, status.done) == ("done", 8)
        assert set(scans_per_lead(sessions, job_id).values()) == {1}
    finally:
        workers.stop()
        runner.close()
        engine.dispose()
