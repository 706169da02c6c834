"""The demo: the bundled sample leads analysed against the bundled sandbox DNS (127.0.0.1 only)."""

from __future__ import annotations

from pathlib import Path

from .. import leadfile
from ..model import Analysis
from ..sandbox import dns as sandbox
from ..settings import Settings
from . import loop, render
from .scan import open_writer, scan_rows

HERE = Path(__file__).resolve().parent.parent / "sandbox"
ZONES_DIR = HERE / "zones"
SAMPLE_LEADS = HERE / "samples" / "leads.csv"
BROKEN_ZONES = ("vanmermer.com.tr",)  # answers SERVFAIL: shows a dns_error verdict


class Collect:
    """A writer that keeps the results for the table (the sample list is small)."""

    def __init__(self) -> None:
        self.results: list[Analysis] = []

    def write(self, analysis: Analysis) -> None:
        self.results.append(analysis)

    def close(self) -> None:
        pass


def run(*, port: int = 0, out: Path | None = None) -> None:
    zones = sandbox.load_zone_dir(ZONES_DIR)
    collect = Collect()
    with sandbox.running(zones, port=port, broken_zones=BROKEN_ZONES) as server:
        render.console.print(f"sandbox DNS on {server.address} serving {len(zones)} zones; "
                             f"leads: {SAMPLE_LEADS.name}")
        settings = Settings(dns_nameservers=(server.address,), dns_timeout=0.5)
        summary = loop.run(scan_rows(leadfile.read(SAMPLE_LEADS), collect, settings, show=False))
    render.print_table(collect.results)
    if out is not None:
        writer, stream = open_writer(out)
        for result in collect.results:
            writer.write(result)
        writer.close()
        if stream is not None:
            stream.close()
    render.console.print(summary)
