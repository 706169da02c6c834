"""Benchmark: `hunter scan` over a million domains with flat memory.

Starts the sandbox DNS in its own process serving the synthetic domains of ``bench/synthetic.py``
(template zones: every domain is a new name with its own subdomains, answered on the fly), then
runs ``hunter scan - --out /dev/null`` and feeds it the domains on standard input as they are
generated (no input file, no output file; "fed" runs a few thousand ahead of the scan, the pipe's
buffer and the scan's window), sampling the resident memory (``VmRSS``) of the scan
and of the server every ``--every`` seconds.  Prints the samples, the RSS at the start, middle and
end, its slope over the run (least squares, after the first tenth), the rate and Hunter's summary.
``--max-seconds`` stops feeding when the time is up: the figures then cover what was scanned.

    python bench/scan_memory.py [--domains 1000000] [--latency 0.02] [--max-seconds 3600]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import synthetic


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Feeder(threading.Thread):
    """Writes the domains to the scan's standard input; ``fed`` counts them, ``stop`` ends early."""

    def __init__(self, proc: subprocess.Popen[str], count: int, mix: str) -> None:
        super().__init__(daemon=True)
        self.proc, self.count, self.mix = proc, count, mix
        self.fed = 0
        self.stop = threading.Event()

    def run(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        try:
            for name in synthetic.domains(self.count, self.mix):
                if self.stop.is_set():
                    break
                stdin.write(name + "\n")
                self.fed += 1
        except BrokenPipeError:
            pass
        finally:
            try:
                stdin.close()
            except BrokenPipeError:
                pass


def slope(samples: list[tuple[float, int, float, float]]) -> float:
    """MB per 100 000 domains, least squares over the samples after the first tenth of the run."""
    points = [(fed, scan) for _, fed, scan, _ in samples if fed >= samples[-1][1] / 10]
    if len(points) < 2:
        return float("nan")
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    var = sum((x - mean_x) ** 2 for x, _ in points)
    cov = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return cov / var * 100_000 if var else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domains", type=int, default=1_000_000)
    parser.add_argument("--mix", choices=("realistic", "classic"), default="realistic")
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between RSS samples")
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    parser.add_argument("--port", type=int, default=53541)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        zones = synthetic.write_zones(Path(tmp), args.mix)
        server = synthetic.start_server(zones, args.port, args.latency, cpu=1)
        try:
            run(args, server)
        finally:
            synthetic.stop_server(server)


def run(args: argparse.Namespace, server: subprocess.Popen[str]) -> None:
    log = Path(tempfile.gettempdir()) / f"scan_memory_{args.port}.log"
    with log.open("w") as errors:
        scan = subprocess.Popen([sys.executable, "-m", "hunter.cli", "scan", "-", "--out", "/dev/null",
                                 "--nameserver", f"127.0.0.1:{args.port}", "--concurrency", str(args.concurrency),
                                 "--no-progress"], stdin=subprocess.PIPE, stdout=errors, stderr=errors, text=True)
        watch(args, scan, server, log)


def watch(args: argparse.Namespace, scan: subprocess.Popen[str], server: subprocess.Popen[str], log: Path) -> None:
    feeder = Feeder(scan, args.domains, args.mix)
    started = time.monotonic()
    feeder.start()
    samples: list[tuple[float, int, float, float]] = []
    print(f"{'seconds':>8} {'domains fed':>12} {'scan RSS MB':>12} {'server RSS MB':>14}", flush=True)
    while scan.poll() is None:
        time.sleep(min(args.every, 1.0) if not samples else args.every)
        elapsed = time.monotonic() - started
        sample = (elapsed, feeder.fed, rss_mb(scan.pid), rss_mb(server.pid))
        if scan.poll() is None:
            samples.append(sample)
            print(f"{sample[0]:8.0f} {sample[1]:12d} {sample[2]:12.1f} {sample[3]:14.1f}", flush=True)
        if elapsed > args.max_seconds and not feeder.stop.is_set():
            feeder.stop.set()
            print(f"time is up after {elapsed:.0f} s: no more domains fed", flush=True)
    scan.wait()
    seconds = time.monotonic() - started
    lines = log.read_text().strip().splitlines()
    report(args, samples, feeder.fed, seconds, lines[-1] if lines else "(no summary)")


def report(args: argparse.Namespace, samples: list[tuple[float, int, float, float]], fed: int,
           seconds: float, summary: str) -> None:
    if not samples:
        print("no samples (the scan ended at once)")
        return
    mid = min(samples, key=lambda s: abs(s[1] - fed / 2))
    print(f"domains scanned       {fed} of {args.domains} in {seconds:.0f} s ({fed / seconds:.1f} domains/s, "
          f"{args.latency * 1000:.0f} ms per answer, concurrency {args.concurrency})")
    print(f"scan RSS MB           start {samples[0][2]:.1f} (at {samples[0][1]} domains), "
          f"middle {mid[2]:.1f} (at {mid[1]}), end {samples[-1][2]:.1f} (at {samples[-1][1]}), "
          f"peak {max(s[2] for s in samples):.1f}")
    print(f"scan RSS slope        {slope(samples):+.2f} MB per 100 000 domains (after the first tenth)")
    print(f"server RSS MB         start {samples[0][3]:.1f}, end {samples[-1][3]:.1f}")
    print(f"hunter                {summary}")


if __name__ == "__main__":
    main()
