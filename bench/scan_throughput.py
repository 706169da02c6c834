"""Benchmark: `hunter scan` throughput and memory against a resolver that adds latency.

Starts the sandbox DNS in its own process (the other core) with --latency (default 20 ms on
every answer), writes N synthetic domains, then:
  1. a plain sequential baseline (one domain after another, same queries, dnspython stub);
  2. `hunter scan` on the whole list as a subprocess, timing it and reading its peak RSS.
Prints the figures.  Traffic goes only to 127.0.0.1.

    python bench/scan_throughput.py [--domains 5000] [--latency 0.02] [--concurrency 200]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dns.resolver

from hunter.dns import plan

KINDS = ("m365", "google", "natro", "self", "gateway")
ZONE = """$ORIGIN bench.test.
$TTL 300
@ IN SOA ns1.bench.test. hostmaster.bench.test. ( 1 3600 600 604800 300 )
@ IN NS ns1.bench.test.
ns1 IN A 127.0.0.1
*.m365 IN MX 0 bench-test.mail.protection.outlook.com.
*.m365 IN TXT "v=spf1 include:spf.protection.outlook.com -all"
*.google IN MX 1 aspmx.l.google.com.
*.google IN TXT "v=spf1 include:_spf.google.com ~all"
*.natro IN MX 10 mx.natrohost.com.
*.natro IN TXT "v=spf1 a mx ~all"
*.self IN MX 10 mail.self.bench.test.
*.self IN TXT "v=spf1 mx -all"
*.gateway IN MX 10 mx1-eu1.ppe-hosted.com.
*.gateway IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
"""


# The providers' side, as in the real world: their SPF records and MX hosts resolve (and are
# then cached), instead of being refused by a server that only knows bench.test.
WORLD = """$ORIGIN .
$TTL 3600
@ IN SOA ns1.bench.test. hostmaster.bench.test. ( 1 3600 600 604800 300 )
@ IN NS ns1.bench.test.
spf.protection.outlook.com. IN TXT "v=spf1 ip4:192.0.2.0/26 -all"
_spf.google.com. IN TXT "v=spf1 ip4:192.0.2.64/27 ~all"
bench-test.mail.protection.outlook.com. IN A 192.0.2.10
aspmx.l.google.com. IN A 192.0.2.70
mx.natrohost.com. IN A 198.51.100.130
mx1-eu1.ppe-hosted.com. IN A 203.0.113.130
"""


def write_inputs(folder: Path, count: int) -> Path:
    (folder / "zones").mkdir()
    (folder / "zones" / "bench.test.zone").write_text(ZONE)
    (folder / "zones" / "_world.zone").write_text(WORLD)
    leads = folder / "leads.txt"
    with leads.open("w") as handle:
        for i in range(count):
            handle.write(f"firma{i}.{KINDS[i % len(KINDS)]}.bench.test\n")
    return leads


def start_server(zones: Path, port: int, latency: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "hunter.sandbox.dns", "--zones", str(zones),
                             "--port", str(port), "--latency", str(latency)],
                            stdout=subprocess.PIPE, text=True)
    proc.stdout.readline()  # the server prints its address once it listens
    return proc


def baseline(leads: Path, port: int, sample: int) -> float:
    """Domains per second for a plain sequential loop over the same queries."""
    stub = dns.resolver.Resolver(configure=False)
    stub.nameservers, stub.port, stub.lifetime = ["127.0.0.1"], port, 5
    names = leads.read_text().split()[:sample]
    started = time.perf_counter()
    for domain in names:
        for query in plan.queries(domain) + [plan.Query(f"_dmarc.{domain}", "TXT")]:
            try:
                stub.resolve(query.name, query.rdtype, raise_on_no_answer=False)
            except dns.exception.DNSException:
                pass
    return len(names) / (time.perf_counter() - started)


def scan(leads: Path, port: int, concurrency: int, out: Path) -> tuple[float, float]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "hunter.cli", "scan", str(leads), "--out", str(out),
                    "--nameserver", f"127.0.0.1:{port}", "--concurrency", str(concurrency),
                    "--no-progress"], check=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--baseline-sample", type=int, default=50)
    parser.add_argument("--port", type=int, default=53531)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        leads = write_inputs(folder, args.domains)
        server = start_server(folder / "zones", args.port, args.latency)
        try:
            base = baseline(leads, args.port, args.baseline_sample)
            seconds, peak_mb = scan(leads, args.port, args.concurrency, folder / "out.jsonl")
        finally:
            server.terminate()
            server.wait()
        lines = sum(1 for _ in (folder / "out.jsonl").open())
    queries = len(plan.queries("x")) + 1
    print(f"domains               {args.domains} ({queries}+ queries each, {args.latency * 1000:.0f} ms added per answer)")
    print(f"sequential baseline   {base:8.1f} domains/s  (first {args.baseline_sample} domains)")
    print(f"hunter scan           {args.domains / seconds:8.1f} domains/s  ({seconds:.1f} s, concurrency {args.concurrency})")
    print(f"peak memory (RSS)     {peak_mb:8.1f} MB")
    print(f"results written       {lines}")


if __name__ == "__main__":
    main()
