"""``hunter`` command line: analyze, scan, schema, sandbox and demo.  Thin: builds Settings,
calls ``wiring`` and the pipeline/flows, and formats the output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import HunterError
from . import demo as demo_cmd
from . import dynamics as dynamics_cmd
from . import enrichment as enrichment_cmd
from . import leads as leads_cmd
from . import partner_center as pc_cmd
from . import loop, output
from . import scan as scan_cmd
from . import worker as worker_cmd
from . import serve as serve_cmd
from . import stored as stored_cmd
from . import users as users_cmd
from .render import print_analysis
from .startup import build_settings, fail

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Hunter: who hosts a company's e-mail, how well it is protected, and what to sell.")
sandbox_app = typer.Typer(no_args_is_help=True, help="Local stand-ins of external systems.")
app.add_typer(sandbox_app, name="sandbox")
app.command("import")(leads_cmd.import_file)
app.add_typer(leads_cmd.db_app, name="db")
app.command("serve")(serve_cmd.serve)
app.add_typer(serve_cmd.token_app, name="token")
app.command("rescan")(stored_cmd.rescan)
app.add_typer(stored_cmd.leads_app, name="leads")
app.add_typer(enrichment_cmd.enrichment_app, name="enrichment")
app.add_typer(pc_cmd.pc_app, name="partner-center")
app.add_typer(dynamics_cmd.dynamics_app, name="dynamics")
app.registered_commands += worker_cmd.worker_app.registered_commands
app.add_typer(users_cmd.user_app, name="user")

NameserverOpt = Annotated[Optional[list[str]], typer.Option(
    "--nameserver", "-n", help="Resolver ip[:port]; repeatable. Only these (and --fallback-nameserver) are contacted.")]
FallbackOpt = Annotated[Optional[list[str]], typer.Option(
    "--fallback-nameserver", help="Fallback resolver ip[:port], used only when the primaries fail; repeatable.")]
TimeoutOpt = Annotated[Optional[float], typer.Option("--timeout", help="Seconds per DNS attempt.")]


@app.command()
def analyze(
    domains: Annotated[list[str], typer.Argument(help="Domains, URLs or e-mail addresses.")],
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per line (JSON Lines).")] = False,
    nameserver: NameserverOpt = None,
    fallback_nameserver: FallbackOpt = None,
    timeout: TimeoutOpt = None,
) -> None:
    """Analyse domains and print the verdicts in input order."""
    settings = build_settings(nameserver, fallback_nameserver, timeout)
    try:
        results = loop.run(scan_cmd.analyze_list(domains, settings))
    except HunterError as exc:
        raise fail(str(exc)) from None
    for result in results:
        if json_out:
            sys.stdout.write(output.to_json(result) + "\n")
        else:
            print_analysis(result)


@app.command()
def scan(
    input: Annotated[str, typer.Argument(help=".csv, .xlsx, .txt file, or - for stdin.")],
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Output .jsonl (default), .csv or .xlsx; stdout if omitted.")] = None,
    nameserver: NameserverOpt = None,
    fallback_nameserver: FallbackOpt = None,
    timeout: TimeoutOpt = None,
    concurrency: Annotated[Optional[int], typer.Option("--concurrency", "-c", min=1, max=5000, help="Domains analysed at once.")] = None,
    progress: Annotated[Optional[bool], typer.Option("--progress/--no-progress", help="Progress bar (default: on a terminal).")] = None,
    metrics: Annotated[Optional[Path], typer.Option("--metrics", help="Write the DNS metrics (JSON) here at the end.")] = None,
) -> None:
    """Analyse every row of a lead list, streaming, with a progress bar and a summary."""
    extra = {"dns_concurrency": concurrency} if concurrency else {}
    settings = build_settings(nameserver, fallback_nameserver, timeout, **extra)
    try:
        line = scan_cmd.run(input, out=out, settings=settings, progress=progress, metrics_out=metrics)
    except HunterError as exc:
        raise fail(str(exc)) from None
    typer.echo(line, err=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the analysis object."""
    from ..schema import analysis_schema

    typer.echo(json.dumps(analysis_schema(), indent=2, ensure_ascii=False))


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port of the sandbox DNS (0 = any free port).")] = 0,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Also write the results here.")] = None,
    serve: Annotated[bool, typer.Option("--serve", help="Then import and scan the leads into data/demo and serve the API until Ctrl-C.")] = False,
    api_port: Annotated[int, typer.Option(help="Port of the API with --serve.")] = 8000,
) -> None:
    """Analyse the bundled sample leads against the bundled sandbox DNS and show the verdicts."""
    try:
        demo_cmd.run(port=port, out=out, serve=serve, api_port=api_port)
    except HunterError as exc:
        raise fail(str(exc)) from None


@sandbox_app.command("dns")
def sandbox_dns(
    zones: Annotated[Optional[Path], typer.Option(help="Folder of .zone files (default: the bundled demo zones).")] = None,
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="UDP and TCP port.")] = 5353,
    latency: Annotated[float, typer.Option(help="Seconds added to every answer.")] = 0.0,
) -> None:
    """Serve zone files over DNS on 127.0.0.1 (UDP and TCP) until Ctrl-C."""
    from ..sandbox import dns as sandbox

    sandbox.serve_forever(zones or demo_cmd.ZONES_DIR, host=host, port=port, latency=latency,
                          broken_zones=())


@sandbox_app.command("partner-center")
def sandbox_partner_center(
    port: Annotated[int, typer.Option(help="HTTPS port (0 = any free port).")] = 8443,
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
    dir: Annotated[Path, typer.Option("--dir", help="Folder of the throw-away CA (reused on restart).")] = Path("data/sandbox-pc"),
    referrals: Annotated[int, typer.Option(help="Referrals generated at start.")] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the referral generator.")] = 2026,
    auto_approve: Annotated[Optional[str], typer.Option(help="Approve every device code for this user.")] = None,
) -> None:
    """Serve Entra ID and the Partner Center Referrals API over HTTPS on 127.0.0.1 until Ctrl-C."""
    from ..sandbox import partner_center as sandbox

    try:
        sandbox.serve_forever(dir, host=host, port=port, referrals=referrals, seed=seed, auto_approve=auto_approve)
    except (OSError, ValueError) as exc:
        raise fail(f"cannot start the Partner Center sandbox on {host}:{port}: {exc}") from None


@sandbox_app.command("dataverse")
def sandbox_dataverse(
    port: Annotated[int, typer.Option(help="HTTPS port (0 = any free port).")] = 8444,
    host: Annotated[str, typer.Option(help="Loopback address to bind.")] = "127.0.0.1",
    dir: Annotated[Path, typer.Option("--dir", help="Folder of the throw-away CA (reused on restart).")] = Path("data/sandbox-dv"),
    missing_column: Annotated[Optional[list[str]], typer.Option(
        "--missing-column", help="A lead column the table lacks (repeatable), to see a readiness check fail.")] = None,
    key_inactive: Annotated[bool, typer.Option(
        "--key-inactive", help="The alternate key hnt_domain_key is still Pending, not Active.")] = False,
    concurrency_limit: Annotated[int, typer.Option(help="Concurrent requests per user before 429.")] = 52,
    request_limit: Annotated[int, typer.Option(help="Requests per user per 300 s before 429.")] = 6000,
) -> None:
    """Serve Entra ID and a Dataverse Web API (the lead table) over HTTPS on 127.0.0.1 until Ctrl-C."""
    from ..sandbox import dataverse as sandbox
    from ..sandbox.dataverse_schema import lead_schema

    try:
        schema = lead_schema(drop=missing_column or (), key_status="Pending" if key_inactive else "Active")
        sandbox.serve_forever(dir, host=host, port=port, schema=schema, concurrency_limit=concurrency_limit,
                              request_limit=request_limit)
    except (OSError, ValueError) as exc:
        raise fail(f"cannot start the Dataverse sandbox on {host}:{port}: {exc}") from None


def main() -> None:  # pragma: no cover - console entry
    app()
