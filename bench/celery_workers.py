"""Benchmark: a bulk scan on Celery workers — domains per second and memory per worker, with one
and with two workers.

For each worker count: a scratch PostgreSQL database (``lead_database.scratch_database``) with
--domains synthetic leads (``synthetic.py``: the realistic mix, served by the sandbox DNS in its
own process at --latency per answer), Redis as the broker (database 14, flushed), N ``hunter
worker`` processes (prefork, one child each, ``HUNTER_JOBS_CONCURRENCY`` leads at once per
worker); the job is submitted through ``CeleryRunner`` and timed from submit to ``done``. Each
worker child's peak RSS is read from ``/proc`` while it runs. Traffic goes only to 127.0.0.1.

    python bench/celery_workers.py [--domains 100000] [--workers 1,2] [--latency 0.02] [--concurrency 100]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lead_database  # noqa: E402
import redis  # noqa: E402
import synthetic  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from hunter.jobs.celery_runner import CeleryRunner  # noqa: E402
from hunter.settings import Settings  # noqa: E402
from hunter.store.db import make_engine, session_factory  # noqa: E402
from hunter.store.models import Lead  # noqa: E402

BROKER = "redis://127.0.0.1:6379/14"
PORT = 53611


def seed(url: str, count: int, mix: str) -> list[int]:
    engine = make_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        names = list(synthetic.domains(count, mix))
        for start in range(0, count, 5000):
            conn.execute(insert(Lead), [{"domain": n, "created_at": now, "updated_at": now, "contacts": [], "tags": []}
                                        for n in names[start:start + 5000]])
    with session_factory(engine)() as session:
        ids = [row[0] for row in session.execute(Lead.__table__.select().with_only_columns(Lead.id).order_by(Lead.id))]
    engine.dispose()
    return ids


def children_rss(procs: list[subprocess.Popen]) -> dict[int, int]:
    """Current RSS (kB) of every process in the workers' process groups."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            pgid = os.getpgid(int(pid))
            status = Path(f"/proc/{pid}/status").read_text()
        except (OSError, ProcessLookupError):
            continue
        if pgid in {p.pid for p in procs}:
            found[int(pid)] = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
    return found


def run(count: int, workers: int, *, latency: float, concurrency: int, mix: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp, lead_database.scratch_database() as url:
        zones = synthetic.write_zones(Path(tmp), mix)
        server = synthetic.start_server(zones, PORT, latency)
        redis.Redis.from_url(BROKER).flushdb()
        ids = seed(url, count, mix)
        settings = Settings(database_url=SecretStr(url), jobs_backend="celery", broker_url=SecretStr(BROKER),
                            dns_nameservers=(f"127.0.0.1:{PORT}",), jobs_concurrency=concurrency,
                            celery_chunk_size=500, data_dir=Path(tmp))
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("HUNTER_")},
               "HUNTER_DATABASE_URL": url, "HUNTER_JOBS_BACKEND": "celery", "HUNTER_BROKER_URL": BROKER,
               "HUNTER_DNS_NAMESERVERS": f"127.0.0.1:{PORT}", "HUNTER_JOBS_CONCURRENCY": str(concurrency),
               "HUNTER_CELERY_CHUNK_SIZE": "500", "HUNTER_DATA_DIR": tmp}
        procs = [subprocess.Popen([sys.executable, "-m", "hunter.cli", "worker", "--", "--pool", "prefork",
                                   "--concurrency", "1", "--hostname", f"bench{i}@%h", "--without-gossip",
                                   "--without-mingle"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True) for i in range(workers)]
        engine = make_engine(url)
        runner = CeleryRunner(session_factory(engine), settings)
        peak: dict[int, int] = {}
        try:
            time.sleep(3)                                   # the workers connect
            started = time.monotonic()
            job_id = runner.submit("scan", {"rescan": True}, lead_ids=ids)
            while not (status := runner.status(job_id)).finished:
                for pid, rss in children_rss(procs).items():
                    peak[pid] = max(peak.get(pid, 0), rss)
                time.sleep(1.0)
            elapsed = time.monotonic() - started
        finally:
            for proc in procs:
                os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs:
                proc.wait(30)
            runner.close()
            engine.dispose()
            synthetic.stop_server(server)
        return {"workers": workers, "domains": count, "seconds": elapsed, "rate": status.done / elapsed,
                "done": status.done, "failed": status.failed, "status": status.status,
                "peak_rss_mb": sorted(round(v / 1024) for v in peak.values())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--mix", default="realistic")
    args = parser.parse_args()
    for workers in (int(w) for w in args.workers.split(",")):
        r = run(args.domains, workers, latency=args.latency, concurrency=args.concurrency, mix=args.mix)
        print(f"{r['workers']} worker(s): {r['done']}/{r['domains']} scanned ({r['failed']} failed, job {r['status']}) "
              f"in {r['seconds']:.0f} s = {r['rate']:.0f} domains/s; peak RSS per process (MB): {r['peak_rss_mb']}",
              flush=True)


if __name__ == "__main__":
    main()
