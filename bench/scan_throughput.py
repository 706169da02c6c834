"""Benchmark: what a scan costs in DNS queries, and how fast `hunter scan` runs.

Starts the sandbox DNS in its own process, serving synthetic domains of every kind
(``bench/synthetic.py``: a realistic mix, or ``--mix classic``, the five wildcard kinds of the
first benchmark), then runs the stages asked for (``--stages``, default all but ``limited``):

  counts   queries sent per domain, by kind of provider: each domain analysed on its own with
           the cache warm for shared names (provider SPF records), as in a long scan; the
           median over the mix, weighted by the mix;
  single   one domain analysed alone with a cold cache at 100 ms per answer: wall time and
           round trips (= time / 100 ms), median by kind;
  baseline a plain sequential loop over the full query list (dnspython stub);
  scan     `hunter scan` on --domains names at --latency (20 ms) per answer: domains/s, queries
           per domain (its own DNS metrics), peak RSS;
  limited  the same scan through a server answering at most --max-qps queries a second
           (REFUSED above it): domains/s against what the limit allows (limit / queries per
           domain), domains lost (dns_error), the server's busiest second.

``--hunter-src DIR`` runs the `hunter scan` of the stages scan and limited from another source
tree (a worktree of an older commit: ``git worktree add /tmp/before <commit>``), for before/after
figures against the same server; counts and single always measure this tree.

Traffic goes only to 127.0.0.1.

    python bench/scan_throughput.py [--domains 5000] [--mix realistic|classic] [--stages counts,scan]
    python bench/scan_throughput.py --stages limited --domains 20000 --max-qps 1500 [--client-max-qps 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import dns.exception
import dns.resolver

import synthetic
from hunter.dns import plan
from hunter.pipeline import analyze
from hunter.settings import Settings
from hunter.wiring import build_context

STAGES = ("counts", "single", "baseline", "scan", "limited")


def weighted_median(values: dict[str, list[int]], weights: dict[str, int]) -> float:
    """The median query count over the mix: each kind's counts weighted by its share."""
    points: list[tuple[float, float]] = []
    for kind, counts in values.items():
        for count in counts:
            points.append((count, weights.get(kind, 1) / len(counts)))
    points.sort()
    half, running = sum(w for _, w in points) / 2, 0.0
    for value, weight in points:
        running += weight
        if running >= half:
            return value
    return float("nan")


def weighted_mean(values: dict[str, list[int]], weights: dict[str, int]) -> float:
    total = sum(weights.get(kind, 1) for kind in values)
    return sum(statistics.mean(c) * weights.get(k, 1) for k, c in values.items()) / total


async def count_queries(address: str, kinds: list[str], sample: int) -> dict[str, list[int]]:
    """Packets each domain sends, analysed one at a time with the cache warm (as in a scan)."""
    ctx = build_context(Settings(dns_nameservers=(address,), dns_timeout=2.0))
    counts: dict[str, list[int]] = defaultdict(list)
    try:
        for kind in kinds:
            for i in range(sample + 2):
                before = ctx.resolver.metrics.total("sent")
                await analyze(synthetic.domain(1_000_000_000 + i, kind), ctx)
                if i >= 2:   # the first two fill the cache with the shared names
                    counts[kind].append(ctx.resolver.metrics.total("sent") - before)
    finally:
        await ctx.aclose()
    return counts


async def single_domain(address: str, kinds: list[str], repeat: int) -> dict[str, list[float]]:
    """Seconds to analyse one domain alone, cold cache (a fresh context each time)."""
    times: dict[str, list[float]] = defaultdict(list)
    for kind in kinds:
        for i in range(repeat):
            ctx = build_context(Settings(dns_nameservers=(address,), dns_timeout=2.0))
            try:
                started = time.perf_counter()
                await analyze(synthetic.domain(2_000_000_000 + i, kind), ctx)
                times[kind].append(time.perf_counter() - started)
            finally:
                await ctx.aclose()
    return times


def baseline(leads: Path, port: int, sample: int) -> float:
    """Domains per second for a plain sequential loop over every query of the full plan."""
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


def scan(leads: Path, port: int, concurrency: int, out: Path, *, env: dict[str, str] | None = None,
         src: Path | None = None) -> tuple[float, float, dict, str]:
    """Wall seconds, peak RSS, DNS metrics and the scan's own summary line (its rate leaves out
    the interpreter's start-up)."""
    metrics = out.with_suffix(".metrics.json")
    source = {"PYTHONPATH": str(src.resolve())} if src else {}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "hunter.cli", "scan", str(leads), "--out", str(out),
                           "--nameserver", f"127.0.0.1:{port}", "--concurrency", str(concurrency),
                           "--no-progress", "--metrics", str(metrics)], check=True,
                          env={**os.environ, **(env or {}), **source}, stderr=subprocess.PIPE, text=True,
                          cwd=out.parent)     # not this tree: ``-m`` puts the working directory first
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    lines = done.stderr.strip().splitlines()
    return seconds, peak_mb, json.loads(metrics.read_text()), lines[-1] if lines else ""


def statuses(out: Path) -> Counter[str]:
    with out.open() as handle:
        return Counter(json.loads(line)["status"] for line in handle)


def print_counts(counts: dict[str, list[int]], weights: dict[str, int]) -> None:
    print("queries per domain by provider (warm cache for shared names; median, min-max):")
    for kind, values in counts.items():
        share = f"{weights.get(kind, 0):3d} %" if weights else ""
        print(f"  {kind:12s} {synthetic.PROVIDER[kind]:36s} {share}  {statistics.median(values):5.1f}"
              f"  ({min(values)}-{max(values)})")
    print(f"  median over the mix  {weighted_median(counts, weights):5.1f}   mean {weighted_mean(counts, weights):5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=5000)
    parser.add_argument("--mix", choices=("realistic", "classic"), default="realistic")
    parser.add_argument("--stages", default="counts,single,baseline,scan")
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--sample", type=int, default=20, help="domains per kind for the counts")
    parser.add_argument("--single-repeat", type=int, default=3)
    parser.add_argument("--baseline-sample", type=int, default=50)
    parser.add_argument("--port", type=int, default=53531)
    parser.add_argument("--max-qps", type=float, default=1500, help="the limited server's rate")
    parser.add_argument("--hunter-src", type=Path, help="run `hunter scan` from this source tree (before/after)")
    parser.add_argument("--client-max-qps", type=float, default=0,
                        help="HUNTER_DNS_MAX_QPS for the limited scan (0: Hunter must find the rate itself)")
    args = parser.parse_args()
    stages = [s for s in args.stages.split(",") if s]
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stage(s) {sorted(unknown)}; known: {', '.join(STAGES)}")
    kinds = list(dict.fromkeys(synthetic.mix_kinds(args.mix)))
    weights = synthetic.REALISTIC if args.mix == "realistic" else {k: 20 for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        zones = synthetic.write_zones(folder, args.mix)
        leads = synthetic.write_leads(folder / "leads.txt", args.domains, args.mix)
        if "counts" in stages:
            with synthetic.serving(zones, args.port + 1, 0.0) as address:
                print_counts(asyncio.run(count_queries(address, kinds, args.sample)), weights)
        if "single" in stages:
            with synthetic.serving(zones, args.port + 2, 0.1) as address:
                print_single(asyncio.run(single_domain(address, kinds, args.single_repeat)))
        if "baseline" in stages or "scan" in stages:
            with synthetic.serving(zones, args.port, args.latency):
                if "baseline" in stages:
                    base = baseline(leads, args.port, args.baseline_sample)
                    print(f"sequential baseline   {base:8.1f} domains/s  (first {args.baseline_sample} domains)")
                if "scan" in stages:
                    unlimited(args, leads, folder)
        if "limited" in stages:
            limited(args, zones, leads, folder)


def print_single(times: dict[str, list[float]]) -> None:
    print("one domain alone, cold cache, 100 ms per answer (median ms, round trips):")
    for kind, values in times.items():
        ms = statistics.median(values) * 1000
        print(f"  {kind:12s} {ms:7.0f} ms  {ms / 100:4.1f}")


def unlimited(args: argparse.Namespace, leads: Path, folder: Path) -> None:
    seconds, peak_mb, snap, summary = scan(leads, args.port, args.concurrency, folder / "out.jsonl",
                                           src=args.hunter_src)
    print(f"hunter scan           {args.domains / seconds:8.1f} domains/s  ({args.domains} domains, "
          f"{seconds:.1f} s with start-up, concurrency {args.concurrency}, {args.latency * 1000:.0f} ms per answer)")
    print(f"  its own summary     {summary}")
    print(f"queries per domain    {sum(snap['sent'].values()) / args.domains:8.2f}  (sent, from the scan's DNS metrics)")
    print(f"peak memory (RSS)     {peak_mb:8.1f} MB")
    print(f"statuses              {dict(statuses(folder / 'out.jsonl'))}")


def limited(args: argparse.Namespace, zones: Path, leads: Path, folder: Path) -> None:
    server = synthetic.start_server(zones, args.port + 3, args.latency, max_qps=args.max_qps)
    env = {"HUNTER_DNS_MAX_QPS": str(args.client_max_qps)} if args.client_max_qps else {}
    try:
        seconds, peak_mb, snap, summary = scan(leads, args.port + 3, args.concurrency, folder / "limited.jsonl", env=env,
                                               src=args.hunter_src)
    finally:
        report = synthetic.stop_server(server)
    own = float(summary.split(" s (")[0].rsplit(" ", 1)[-1]) if " s (" in summary else seconds
    found = statuses(folder / "limited.jsonl")
    answered = int(report.split("answered ")[1].split(",")[0]) if "answered " in report else 0
    per_domain = answered / args.domains
    allowed = args.max_qps / per_domain if per_domain else float("nan")
    rate = args.domains / seconds
    told = f"HUNTER_DNS_MAX_QPS={args.client_max_qps:g}" if args.client_max_qps else "no HUNTER_DNS_MAX_QPS"
    print(f"server limited to {args.max_qps:g} qps ({told}): {report}")
    print(f"hunter scan           {rate:8.1f} domains/s  ({args.domains} domains, {seconds:.1f} s with start-up)")
    print(f"  its own summary     {summary}")
    print(f"answered per domain   {per_domain:8.2f}  -> the limit allows {allowed:.1f} domains/s: "
          f"{rate / allowed:.1%} of it (wall), {args.domains / own / allowed:.1%} (the scan's own time)")
    print(f"sent (incl. refused)  {sum(snap['sent'].values()) / args.domains:8.2f} per domain; "
          f"refused/failed exchanges {sum(snap['failures'].values())}, timeouts {sum(snap['timeouts'].values())}")
    print(f"statuses              {dict(found)}  (dns_error = lost: {found.get('dns_error', 0)})")
    print(f"peak memory (RSS)     {peak_mb:8.1f} MB")


if __name__ == "__main__":
    main()
