"""The demo: the bundled sample leads analysed against the bundled sandbox DNS (127.0.0.1 only)."""

from __future__ import annotations

from pathlib import Path

from .. import leadfile
from ..flows.scan import analyze_many
from ..sandbox import dns as sandbox
from ..settings import Settings
from ..wiring import build_context
from . import loop, output, render

HERE = Path(__file__).resolve().parent.parent / "sandbox"
ZONES_DIR = HERE / "zones"
SAMPLE_LEADS = HERE / "samples" / "leads.csv"


def run(*, port: int = 0, out: Path | None = None) -> None:
    zones = sandbox.load_zone_dir(ZONES_DIR)
    with sandbox.running(zones, port=port, broken_zones=("vanmermer.com.tr",)) as server:
        render.console.print(f"sandbox DNS on {server.address} serving {len(zones)} zones")
        settings = Settings(dns_nameservers=(server.address,), dns_timeout=0.5)
        results = loop.run(_analyze(settings))
    render.print_table(results)
    if out is not None:
        from .scan import open_writer

        writer, stream = open_writer(out)
        for result in results:
            writer.write(result)
        writer.close()
        if stream is not None:
            stream.close()
    statuses = output.Counter(r.status for r in results)
    providers = output.Counter(r.provider.key for r in results if r.status == "ok")
    render.console.print(output.summary(statuses, providers, 0.0).split(" — ", 1)[1])


async def _analyze(settings: Settings):
    ctx = build_context(settings)
    try:
        texts = [row.value for row in leadfile.read(SAMPLE_LEADS)]
        return [a async for a in analyze_many(texts, ctx, concurrency=50)]
    finally:
        await ctx.resolver.aclose()
