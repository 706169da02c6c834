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
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa

from hunter.model import Analysis, Dmarc, Dkim, Gateway, MxHost, Provider, Reason, Spf, TenantSize
from hunter.store import migrate
from hunter.store.models import Lead, Scan

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PROVIDERS = [
    (Provider(key="m365", name="Microsoft 365", kind="cloud_suite", confidence="high"), None, "microsoft"),
    (Provider(key="google", name="Google Workspace", kind="cloud_suite", confidence="high"), None, "competitive"),
    (Provider(key="natro", name="Natro", kind="local_hosting", confidence="high"), "Natro", "greenfield"),
    (Provider(key="turhost", name="Turhost", kind="local_hosting", confidence="medium"), "Turhost", "greenfield"),
    (Provider(key="self_hosted", name="Own mail server", kind="self_hosted", confidence="high"), None, "greenfield"),
    (Provider(key="none", name="No mail", kind="none", confidence="high"), None, "no_mail"),
]
PRIORITY = {"microsoft": ["P3", "P4"], "competitive": ["P2", "P5"], "greenfield": ["P1", "P5"], "no_mail": ["P6"]}
QUERIES = [
    "", "sort=-score", "sort=priority", "sort=domain", "sort=-scanned_at",
    "provider=m365", "kind=local_hosting&sort=-score", "segment=greenfield&sort=priority",
    "priority=P1&priority=P2", "score_min=60&score_max=90&sort=-score", "gateway=true",
    "tenant_size=large", "local_provider=Natro", "status=ok&sort=company", "q=firma12",
    "provider=google&priority=P2&score_min=40&sort=-score",
]


def analysis_for(i: int, rng: random.Random, when: datetime) -> tuple[Analysis, str]:
    provider, local, segment = PROVIDERS[i % len(PROVIDERS)]
    priority = rng.choice(PRIORITY[segment])
    domain = f"firma{i}.com.tr"
    gateway = Gateway(key="proofpoint", name="Proofpoint") if i % 17 == 0 else None
    score = rng.randint(0, 100) if segment != "no_mail" else 0
    return Analysis(
        domain=domain, input=domain, status="ok" if segment != "no_mail" else "no_mx",
        registrable_domain=domain, mx=[MxHost(host=f"mx.{domain}", preference=10)], provider=provider,
        local_provider=local, gateway=gateway, spf=Spf(present=True, valid=True, record="v=spf1 mx ~all", all="~all"),
        dmarc=Dmarc(present=i % 3 == 0, valid=i % 3 == 0, policy="none" if i % 3 == 0 else None),
        dkim=Dkim(present=i % 2 == 0, selectors=["selector1"] if i % 2 == 0 else []),
        tenant_size=TenantSize(value=rng.choice(["small", "medium", "large", "unknown"])),
        score=score, segment=segment, priority=priority, priority_label=priority,
        reasons=[Reason(code=f"segment_{segment}", points=score, text=segment)],
        analysed_at=when.isoformat(), rules_version="bench",
    ), priority


def seed(url: str, count: int) -> None:
    engine = sa.create_engine(url)
    rng, now = random.Random(7), datetime.now(UTC)
    with engine.begin() as conn:
        for start in range(0, count, 5000):
            leads, scans = [], []
            for i in range(start, min(count, start + 5000)):
                when = now - timedelta(days=rng.randint(0, 60))
                a, priority = analysis_for(i, rng, when)
                leads.append(dict(id=i + 1, domain=a.domain, company=f"Firma {i} A.Ş.", source="bench",
                                  contacts=[], tags=[], created_at=when, updated_at=when, scanned_at=when,
                                  status=a.status, provider_key=a.provider.key, provider_kind=a.provider.kind,
                                  local_provider=a.local_provider, gateway_key=a.gateway.key if a.gateway else None,
                                  segment=a.segment, priority=priority, score=a.score,
                                  tenant_size=a.tenant_size.value, rules_version="bench"))
                scans.append(dict(id=i + 1, lead_id=i + 1, scanned_at=when, status=a.status,
                                  rules_version="bench", analysis=a.model_dump(mode="json")))
            conn.execute(sa.insert(Lead), leads)
            conn.execute(sa.insert(Scan), scans)
            conn.execute(sa.update(Lead).where(Lead.id.between(start + 1, start + 5000)).values(last_scan_id=Lead.id))
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval('leads_id_seq', (SELECT max(id) FROM leads))"))
            conn.execute(sa.text("SELECT setval('scans_id_seq', (SELECT max(id) FROM scans))"))
            conn.execute(sa.text("ANALYZE"))


def timed(client: httpx.Client, path: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return times


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


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
    name = f"hunter_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    proc = None
    try:
        migrate.upgrade(url)
        started = time.perf_counter()
        seed(url, args.leads)
        print(f"seeded {args.leads} leads with one scan each in {time.perf_counter() - started:.0f} s")
        proc, token = serve(url, args.port, f"/tmp/{name}")
        measure(args.port, token, args.leads, args.requests)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()
        if not args.keep:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
