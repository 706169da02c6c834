"""The synthetic world of the scan benchmarks: kinds of domains, the mix, the sandbox server.

Each kind is a template zone in ``bench/zones/`` (``$ORIGIN *.<kind>.bench.test.``, see
docs/dns.md, "Sandbox modes"): the sandbox serves every ``<label>.<kind>.bench.test`` from it, with its
own subdomains (``selector1._domainkey``, ``autodiscover`` …), so a million domains cost one small
file per kind.  ``nx`` names do not exist.  Imported by the scripts in ``bench/``.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ZONES = Path(__file__).with_name("zones")

# A realistic mix for a Turkish SME lead list (per 100 domains): shared hosting at local firms
# is the largest group, then Microsoft 365 and Google; own servers, gateways, no-mail and dead
# domains as a raw list has them.  An assumption, stated as such in docs/benchmarks.md; the
# benchmark prints the queries of every kind so that any other mix can be weighed from them.
REALISTIC: dict[str, int] = {
    "m365": 9, "m365full": 9, "google": 7, "googlebasic": 3, "yandex": 4, "zoho": 2,
    "natro": 16, "natrodkim": 7, "turhost": 8, "godaddy": 4,
    "self": 9, "hybrid": 2, "gateway": 3, "unknown": 2,
    "nomx": 6, "nullmx": 2, "nx": 7,
}

# What the kinds are, in the words of the provider verdict (printed beside the counts).
PROVIDER = {
    "m365": "Microsoft 365", "m365full": "Microsoft 365 + DKIM/Teams/Intune", "google": "Google Workspace",
    "googlebasic": "Google, no DKIM/DMARC", "yandex": "Yandex 360", "zoho": "Zoho Mail",
    "natro": "Natro (local hosting)", "natrodkim": "Natro + DKIM/DMARC", "turhost": "Turhost (local hosting)",
    "godaddy": "GoDaddy (hosting)", "self": "own server", "hybrid": "own server + M365 (hybrid)",
    "gateway": "Proofpoint -> M365", "unknown": "unlisted MX", "nomx": "no MX (web only)",
    "nullmx": "null MX", "nx": "NXDOMAIN",
}

# The benchmark before 2026-12 (five kinds, wildcard records answering every name below them).
CLASSIC_KINDS = ("m365", "google", "natro", "self", "gateway")
CLASSIC_ZONE = """$ORIGIN bench.test.
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


def mix_kinds(mix: str) -> list[str]:
    """One cycle of the mix: each kind repeated by its weight, interleaved."""
    if mix == "classic":
        return list(CLASSIC_KINDS)
    weights = dict(REALISTIC)
    cycle: list[str] = []
    while any(weights.values()):
        for kind in REALISTIC:
            if weights[kind]:
                cycle.append(kind)
                weights[kind] -= 1
    return cycle


def domain(i: int, kind: str) -> str:
    return f"firma{i}.{kind}.bench.test"


def domains(count: int, mix: str, *, start: int = 0) -> Iterator[str]:
    cycle = mix_kinds(mix)
    for i in range(start, start + count):
        yield domain(i, cycle[i % len(cycle)])


def kind_of(name: str) -> str:
    return name.split(".")[-3]


def write_zones(folder: Path, mix: str) -> Path:
    """The zone folder for the server: the templates, or the classic wildcard zone."""
    target = folder / "zones"
    target.mkdir()
    shutil.copy(ZONES / "_world.zone", target / "_world.zone")
    if mix == "classic":
        (target / "bench.test.zone").write_text(CLASSIC_ZONE)
        return target
    for path in ZONES.glob("*.zone"):
        shutil.copy(path, target / path.name)
    return target


def write_leads(path: Path, count: int, mix: str) -> Path:
    with path.open("w") as handle:
        for name in domains(count, mix):
            handle.write(name + "\n")
    return path


def start_server(zones: Path, port: int, latency: float, *, max_qps: float = 0,
                 over_limit: str = "refused", burst: float | None = None,
                 cpu: int | None = None) -> subprocess.Popen[str]:
    """``python -m hunter.sandbox.dns`` in its own process (pinned to ``cpu`` when given)."""
    command = [sys.executable, "-m", "hunter.sandbox.dns", "--zones", str(zones), "--port", str(port),
               "--latency", str(latency), "--no-faults"]
    if max_qps:
        command += ["--max-qps", str(max_qps), "--over-limit", over_limit]
        if burst is not None:
            command += ["--burst", str(burst)]
    if cpu is not None and shutil.which("taskset"):
        command = ["taskset", "-c", str(cpu), *command]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    proc.stdout.readline()  # the server prints its address once it listens
    return proc


def stop_server(proc: subprocess.Popen[str]) -> str:
    """Stop the server (SIGTERM: it then prints its rate-limit line), else kill it; returns what
    it printed."""
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out.strip()


@contextlib.contextmanager
def serving(zones: Path, port: int, latency: float, **options: object) -> Iterator[str]:
    """``start_server`` for a ``with`` block; gives the server's address."""
    proc = start_server(zones, port, latency, **options)  # type: ignore[arg-type]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        stop_server(proc)
