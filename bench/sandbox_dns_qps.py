"""Micro-benchmark: distinct-name queries per second the sandbox DNS server answers.

Starts ``python -m hunter.sandbox.dns`` on 127.0.0.1 in its own process (pinned to one core
when the machine has two or more) serving a wildcard zone, then sends queries for names it has
never seen — every one a miss of the server's reply cache, as in a scan of synthetic domains —
from one UDP socket with ``--window`` queries outstanding.  Stops after ``--count`` answers or
``--seconds`` seconds, whichever comes first, and prints answers per second and the server's
CPU time per query.  Traffic goes only to 127.0.0.1.

    python bench/sandbox_dns_qps.py [--count 200000] [--seconds 20] [--window 256]
"""

from __future__ import annotations

import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ZONE = """$ORIGIN bench.test.
$TTL 300
@ IN SOA ns1.bench.test. hostmaster.bench.test. ( 1 3600 600 604800 300 )
@ IN NS ns1.bench.test.
ns1 IN A 127.0.0.1
*.m365 IN MX 0 bench-test.mail.protection.outlook.com.
*.m365 IN TXT "v=spf1 include:spf.protection.outlook.com -all"
*.google IN MX 1 aspmx.l.google.com.
*.google IN TXT "v=spf1 include:_spf.google.com ~all"
*.self IN MX 10 mail.self.bench.test.
*.self IN TXT "v=spf1 mx -all"
"""
KINDS = ("m365", "google", "self")
TYPES = (15, 16, 1, 28, 16)                     # MX, TXT, A (NODATA), AAAA (NODATA), TXT
OPT = b"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"   # EDNS0, payload 1232, as Hunter sends


def encode(qid: int, name: str, rdtype: int) -> bytes:
    labels = b"".join(len(label).to_bytes(1, "big") + label for label in name.encode().split(b"."))
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1) + labels + b"\x00" + struct.pack("!HH", rdtype, 1) + OPT


def queries(count: int) -> list[bytes]:
    """``count`` queries, no two for the same (name, type)."""
    return [encode(i & 0xFFFF, f"q{i}.firma{i // 33}.{KINDS[i % 3]}.bench.test", TYPES[i % 5])
            for i in range(count)]


def start_server(zones: Path, pin: bool) -> tuple[subprocess.Popen, int]:
    command = [sys.executable, "-m", "hunter.sandbox.dns", "--zones", str(zones), "--port", "0", "--no-faults"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if pin:
        os.sched_setaffinity(proc.pid, {0})
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)))
    return proc, int(line.split()[-2].rsplit(":", 1)[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(port: int, wires: list[bytes], *, window: int, seconds: float) -> tuple[int, int, float]:
    """Send with ``window`` outstanding; (answered, lost, elapsed seconds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        sock.connect(("127.0.0.1", port))
        sock.settimeout(0.5)
        sent = answered = lost = 0
        started = time.perf_counter()
        deadline = started + seconds
        while answered + lost < len(wires) and time.perf_counter() < deadline:
            while sent < len(wires) and sent - answered - lost < window:
                sock.send(wires[sent])
                sent += 1
            try:
                reply = sock.recv(4096)
            except TimeoutError:
                lost = sent - answered  # whatever is still out is not coming back
                continue
            if reply[3] & 0x0F:
                raise SystemExit(f"unexpected RCODE {reply[3] & 0x0F}")
            answered += 1
        return answered, lost, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000, help="queries to send (all distinct)")
    parser.add_argument("--seconds", type=float, default=20.0, help="stop after this long")
    parser.add_argument("--window", type=int, default=256, help="queries outstanding")
    args = parser.parse_args()
    wires = queries(args.count)
    pin = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bench.test.zone").write_text(ZONE)
        server, port = start_server(Path(tmp), pin)
        try:
            cpu_before = cpu_seconds(server.pid)
            answered, lost, elapsed = run(port, wires, window=args.window, seconds=args.seconds)
            cpu = cpu_seconds(server.pid) - cpu_before
        finally:
            server.terminate()
            server.wait()
    print(f"distinct-name queries {answered} answered, {lost} lost, in {elapsed:.2f} s"
          f" (window {args.window}{', server pinned to CPU 0' if pin else ''})")
    print(f"throughput            {answered / elapsed:10,.0f} queries/s")
    print(f"server CPU            {cpu / max(answered, 1) * 1e6:10.1f} us/query")


if __name__ == "__main__":
    main()
