"""Benchmark: IP enrichment lookups per second and `hunter scan` throughput with it on vs off.

1. Lookups/s over the shared test databases (MaxMind City + ASN, IP2Location DB1, IP2Proxy PX10):
   uncached (every distinct address once, straight through ``Enricher.lookup``), then through the
   pipeline's cache path (get, or lookup + set) on a MemoryCache, and on Redis when one answers
   on 127.0.0.1:6379: a first pass that fills the cache and a second one that only hits it.
2. `hunter scan` on the synthetic sandbox zone of bench/scan_throughput.py (its functions are
   reused), with A/AAAA records added so every domain's apex, www, autodiscover and own mail
   server resolve to addresses the test databases know: off and on, alternating, at two paces —
   cpu-bound (20 ms per answer, 200 domains at once: the client's CPU is the limit) and
   latency-bound (100 ms per answer, 50 at once: the resolvers are).  Wall time and the scan
   process's CPU time, medians of ``--repeat`` runs.
Traffic goes only to 127.0.0.1.

    python bench/enrichment.py [--domains 2000] [--latency-domains 1000] [--ips 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scan_throughput  # noqa: E402  (bench/scan_throughput.py)

from hunter.analysis import infrastructure  # noqa: E402
from hunter.cache import MemoryCache  # noqa: E402
from hunter.flows.inspect_enrichment import cache_key  # noqa: E402
from hunter.integrations import ipfacts  # noqa: E402
from hunter.integrations.enrichment import Enricher  # noqa: E402
from hunter.pipeline import analyze  # noqa: E402
from hunter.settings import Settings  # noqa: E402
from hunter.wiring import build_context  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HUNTER_SHARED_DIR") or REPO.parent / "shared") / "data"
DATABASES = {
    "HUNTER_ENRICHMENT_DB_PATH_MAXMIND_CITY": SHARED / "maxmind" / "GeoIP2-City-Test.mmdb",
    "HUNTER_ENRICHMENT_DB_PATH_MAXMIND_ASN": SHARED / "maxmind" / "GeoLite2-ASN-Test.mmdb",
    "HUNTER_ENRICHMENT_DB_PATH_IP2LOCATION": SHARED / "ip2location" / "IP2LOCATION-LITE-DB1.BIN",
    "HUNTER_ENRICHMENT_DB_PATH_IP2PROXY": SHARED / "ip2location" / "PX10.SAMPLE.BIN",
}
# Networks the test databases know (see /work/shared/data/*/expected-values.json).
KNOWN = ("81.2.69.160/27", "89.160.20.112/28", "2.125.160.216/29", "175.16.199.0/24",
         "216.160.83.56/29", "67.43.156.0/24", "1.0.0.0/24", "1.0.16.0/24", "2001:1700::/27")
RECORDS = """*.m365 IN A 89.160.20.114
*.google IN A 2.125.160.217
*.natro IN A 175.16.199.10
*.natro IN AAAA 2001:1700::10
*.self IN A 216.160.83.58
mail.self IN A 81.2.69.161
*.gateway IN A 67.43.156.20
"""


def enrichment_env() -> dict[str, str]:
    return {"HUNTER_ENRICHMENT_ENABLED": "true", "HUNTER_ENRICHMENT_DB_DIR": "",
            **{name: str(path) for name, path in DATABASES.items()}}


def settings_from(env: dict[str, str], **extra: Any) -> Settings:
    """``Settings`` from HUNTER_* variables (as the scan subprocess reads them) plus ``extra``."""
    return Settings(**{k.removeprefix("HUNTER_").lower(): v for k, v in env.items()}, **extra)


def distinct_ips(count: int, seed: int = 7) -> list[str]:
    """``count`` distinct public addresses: a quarter from known networks, the rest random."""
    rng, found = random.Random(seed), set()
    nets = [ipaddress.ip_network(n) for n in KNOWN]
    while len(found) < count:
        if rng.random() < 0.25:
            net = rng.choice(nets)
            address = net[rng.randrange(min(net.num_addresses, 2**20))]
        else:
            address = ipaddress.IPv4Address(rng.getrandbits(32))
        if ipfacts.classify(address) is None:
            found.add(str(address))
    return sorted(found)


def uncached(enricher: Enricher, ips: list[str]) -> float:
    started = time.perf_counter()
    for ip in ips:
        enricher.lookup(ip)
    return len(ips) / (time.perf_counter() - started)


def cached_pass(enricher: Enricher, cache: Any, ips: list[str]) -> float:
    """The pipeline's path for each address: the cache, or a lookup stored for next time.  The
    key's version part is computed once per domain by the pipeline; here once, untimed."""
    keys = [(ip, cache_key(enricher, ip)) for ip in ips]
    started = time.perf_counter()
    for ip, key in keys:
        if cache.get(key) is None:
            cache.set(key, infrastructure.fact_values(enricher.lookup(ip)), ttl=300)
    return len(ips) / (time.perf_counter() - started)


def redis_cache() -> Any | None:
    try:
        from hunter.cache.redis import RedisCache

        cache = RedisCache("redis://127.0.0.1:6379/15", namespace=f"bench-{uuid.uuid4().hex[:8]}")
        cache._client.ping()
        return cache
    except Exception:  # noqa: BLE001 - Redis is optional here
        return None


def lookups(count: int) -> list[str]:
    settings = settings_from(enrichment_env())
    enricher = Enricher.from_settings(settings)
    assert enricher is not None, f"test databases not found under {SHARED}"
    ips = distinct_ips(count)
    uncached(enricher, distinct_ips(2000, seed=1))   # open the files and warm up, untimed
    lines = [f"lookups, uncached      {uncached(enricher, ips):10.0f} /s  ({count} distinct IPs, "
             f"{len(enricher.adapters)} databases)"]
    for name, cache in (("memory", MemoryCache()), ("redis", redis_cache())):
        if cache is None:
            lines.append(f"lookups, {name:<6} cache  (not reachable on 127.0.0.1:6379)")
            continue
        fill, hit = cached_pass(enricher, cache, ips), cached_pass(enricher, cache, ips)
        lines.append(f"lookups, {name:<6} cache {hit:10.0f} /s all hits; first pass (miss + set) {fill:.0f} /s")
        cache.close()
    lines.append(f"Enricher.version()     {version_cost(enricher) * 1e6:10.1f} µs per call (once per domain)")
    enricher.close()
    return lines


def version_cost(enricher: Enricher, calls: int = 2000) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        enricher.version()
    return (time.perf_counter() - started) / calls


# The two paces a bulk scan runs at: the client's CPU sets it when answers come fast and many
# domains are in flight; the resolvers set it when answers are slow or few domains are in flight.
REGIMES = {
    "cpu-bound": {"latency": 0.02, "concurrency": 200},
    "latency-bound": {"latency": 0.1, "concurrency": 50},
}


def scan_once(leads: Path, port: int, concurrency: int, out: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and the child's CPU seconds (user + system, all its threads)."""
    saved = dict(os.environ)
    os.environ.update(env)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        seconds, _ = scan_throughput.scan(leads, port, concurrency, out)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def enriched_count(out: Path) -> tuple[int, int]:
    """(domains with infrastructure, IP entries in all of them)."""
    rows = [json.loads(line) for line in out.open()]
    infra = [r["infrastructure"] for r in rows if r.get("infrastructure")]
    return len(infra), sum(len(i["ips"]) for i in infra)


def regime(folder: Path, leads: Path, n: int, name: str, port: int, repeat: int) -> list[str]:
    """Off and on, alternating ``repeat`` times against one sandbox server; medians."""
    latency, concurrency = REGIMES[name]["latency"], REGIMES[name]["concurrency"]
    server = scan_throughput.start_server(folder / "zones", port, latency)
    runs: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
    single = []
    try:
        for _ in range(repeat):
            for mode, env in (("off", {"HUNTER_ENRICHMENT_ENABLED": "false"}), ("on", enrichment_env())):
                runs[mode].append(scan_once(leads, port, concurrency, folder / f"{mode}.jsonl", env))
        if name == "latency-bound":
            single = one_at_a_time(leads, port, 20, latency)
    finally:
        server.terminate()
        server.wait()
    domains, ips = enriched_count(folder / "on.jsonl")
    wall = {m: statistics.median(r[0] for r in runs[m]) for m in runs}
    cpu = {m: statistics.median(r[1] for r in runs[m]) for m in runs}
    slower = (wall["on"] / wall["off"] - 1) * 100
    head = f"{name} ({latency * 1000:g} ms per answer, concurrency {concurrency}, {n} domains, median of {repeat})"
    return [head,
            f"  hunter scan, off     {n / wall['off']:10.1f} domains/s  ({wall['off']:.2f} s, CPU {cpu['off']:.2f} s)",
            f"  hunter scan, on      {n / wall['on']:10.1f} domains/s  ({wall['on']:.2f} s, CPU {cpu['on']:.2f} s; "
            f"{domains} domains with infrastructure, {ips} IP entries)",
            f"  enrichment adds      {slower:+9.1f} % wall time, {(cpu['on'] - cpu['off']) / n * 1e6:+.0f} µs CPU per domain",
            *single]


def one_at_a_time(leads: Path, port: int, count: int, latency: float) -> list[str]:
    """The API's case: one domain analysed on its own; median seconds per domain, off vs on."""
    texts = leads.read_text().split()[:count]
    medians = {}
    for mode, env in (("off", {"HUNTER_ENRICHMENT_ENABLED": "false"}), ("on", enrichment_env())):
        settings = settings_from(env, dns_nameservers=[f"127.0.0.1:{port}"])

        async def run() -> list[float]:
            ctx = build_context(settings)
            times = []
            try:
                for text in texts:
                    if ctx.resolver.cache is not None:
                        ctx.resolver.cache.clear()
                    started = time.perf_counter()
                    await analyze(text, ctx)
                    times.append(time.perf_counter() - started)
            finally:
                await ctx.aclose()
            return times

        medians[mode] = statistics.median(asyncio.run(run()))
    return [f"one domain at a time ({latency * 1000:g} ms per answer, DNS cache cleared before each, median of {count})",
            f"  analyze, off         {medians['off'] * 1000:10.0f} ms per domain",
            f"  analyze, on          {medians['on'] * 1000:10.0f} ms per domain"]


def scans(args: argparse.Namespace) -> list[str]:
    lines = []
    for name, count in (("cpu-bound", args.domains), ("latency-bound", args.latency_domains)):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            leads = scan_throughput.write_inputs(folder, count)
            zone = folder / "zones" / "bench.test.zone"
            zone.write_text(zone.read_text() + RECORDS)
            lines += regime(folder, leads, count, name, args.port, args.repeat)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=2000)
    parser.add_argument("--ips", type=int, default=20000)
    parser.add_argument("--latency-domains", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=53532)
    args = parser.parse_args()
    for line in lookups(args.ips) + scans(args):
        print(line, flush=True)


if __name__ == "__main__":
    main()
