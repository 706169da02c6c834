"""Benchmark: the leads API on 100 000 leads in PostgreSQL.

Creates a fresh database on 127.0.0.1:5432, applies the migrations, seeds N leads (each with a
realistic verdict and one stored scan), starts `hunter serve` on 127.0.0.1, then measures:
  - GET /api/v1/leads for every filter and sort below: p50 / p95 over --requests calls each;
  - GET /api/v1/leads/{id} (detail with sales summary): p50 / p95;
  - GET /api/v1/exports/leads.csv of all leads: total time and size.
Prints the figures.  Drops the database at the end unless --keep.

    python bench/api_leads.py [--leads 100000] [--requests 40]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lead_database import percentile as p, scratch_database, seed  # noqa: E402  (bench/lead_database.py)

QUERIES = [
    "", "sort=-score", "sort=priority", "sort=domain", "sort=-scanned_at",
    "provider=m365", "kind=local_hosting&sort=-score", "segment=greenfield&sort=priority",
    "priority=P1&priority=P2", "score_min=60&score_max=90&sort=-score", "gateway=true",
    "tenant_size=large", "local_provider=Natro", "status=ok&sort=company", "q=firma12",
    "provider=google&priority=P2&score_min=40&sort=-score",
]


def timed(client: httpx.Client, path: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return times


def serve(url: str, port: int, data_dir: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "HUNTER_DATABASE_URL": url, "HUNTER_DATA_DIR": data_dir}
    token = subprocess.run([sys.executable, "-m", "hunter.cli", "token", "create", "--role", "admin"],
                           env=env, check=True, capture_output=True, text=True).stdout.strip()
    proc = subprocess.Popen([sys.executable, "-m", "hunter.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return proc, token
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the API did not become ready")


def measure(port: int, token: str, count: int, n: int) -> None:
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"},
                          timeout=60)
    worst = 0.0
    print(f"{'GET /api/v1/leads?…':58} {'p50 ms':>8} {'p95 ms':>8}")
    for query in QUERIES:
        times = timed(client, f"/api/v1/leads?limit=50&{query}", n)
        worst = max(worst, p(times, 95))
        print(f"  {query or '(no filter)':56} {p(times, 50):8.1f} {p(times, 95):8.1f}")
    ids = random.Random(1).sample(range(1, count + 1), n)
    detail = [timed(client, f"/api/v1/leads/{i}?lang=tr", 1)[0] for i in ids]
    print(f"worst list p95: {worst:.1f} ms")
    print(f"lead detail (with sales summary): p50 {p(detail, 50):.1f} ms, p95 {p(detail, 95):.1f} ms")
    started = time.perf_counter()
    size = 0
    with client.stream("GET", "/api/v1/exports/leads.csv") as response:
        for chunk in response.iter_bytes():
            size += len(chunk)
    print(f"export of all {count} leads as CSV: {time.perf_counter() - started:.1f} s, {size / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with scratch_database(keep=args.keep) as url:
        started = time.perf_counter()
        seed(url, args.leads)
        print(f"seeded {args.leads} leads with one scan each in {time.perf_counter() - started:.0f} s")
        proc, token = serve(url, args.port, f"/tmp/{url.rsplit('/', 1)[1]}")
        try:
            measure(args.port, token, args.leads, args.requests)
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
