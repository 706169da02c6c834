"""The demo: the bundled sample leads analysed against the bundled sandbox DNS (127.0.0.1 only)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from pathlib import Path

from pydantic import SecretStr

from .. import leadfile
from ..model import Analysis
from ..sandbox import dns as sandbox
from ..sandbox import dataverse, partner_center
from ..settings import Settings
from . import loop, render
from .scan import open_writer, scan_rows

HERE = Path(__file__).resolve().parent.parent / "sandbox"
ZONES_DIR = HERE / "zones"
SAMPLE_LEADS = HERE / "samples" / "leads.csv"
BROKEN_ZONES = ("vanmermer.com.tr",)  # answers SERVFAIL: shows a dns_error verdict
# Demo zones whose addresses are examples of the MaxMind test databases (docs/enrichment.md).
ENRICHMENT_LEADS = ("poyrazyazilim.com.tr", "karayelmakina.com.tr")
REPO = HERE.parent.parent
SHARED_MAXMIND = REPO.parent / "shared" / "data" / "maxmind"
DEMO_USER = "demo"          # the lead screen's login; a new random password every run


class Collect:
    """A writer that keeps the results for the table (the sample list is small)."""

    def __init__(self) -> None:
        self.results: list[Analysis] = []

    def write(self, analysis: Analysis) -> None:
        self.results.append(analysis)

    def close(self) -> None:
        pass


def run(*, port: int = 0, out: Path | None = None, serve: bool = False,
        api_port: int = 8000, data_dir: Path = Path("data/demo")) -> None:
    zones = sandbox.load_zone_dir(ZONES_DIR)
    collect = Collect()
    with sandbox.running(zones, port=port, broken_zones=BROKEN_ZONES) as server:
        render.console.print(f"sandbox DNS on {server.address} serving {len(zones)} zones; "
                             f"leads: {SAMPLE_LEADS.name}")
        settings = Settings(dns_nameservers=(server.address,), dns_timeout=0.5, data_dir=data_dir)
        settings = with_enrichment(settings)
        summary = loop.run(scan_rows(demo_leads(settings), collect, settings, show=False))
        render.print_table(collect.results)
        render.console.print(summary)
        print_infrastructure(collect.results)
        if serve:
            serve_api(settings, api_port)
    if out is not None:
        writer, stream = open_writer(out)
        for result in collect.results:
            writer.write(result)
        writer.close()
        if stream is not None:
            stream.close()


def with_enrichment(settings: Settings) -> Settings:
    """Enrichment on when the test databases are found (``HUNTER_ENRICHMENT_DB_DIR``, else
    ``../shared/data/maxmind`` next to the repo); otherwise one line saying why it is off."""
    db_dir = settings.enrichment_db_dir or (SHARED_MAXMIND if SHARED_MAXMIND.is_dir() else None)
    if db_dir is None or not Path(db_dir).is_dir():
        where = f"{db_dir} is not a folder" if db_dir else f"no HUNTER_ENRICHMENT_DB_DIR and no {SHARED_MAXMIND}"
        render.console.print(f"IP enrichment off: no test databases found ({where})", soft_wrap=True)
        return settings
    return settings.model_copy(update={"enrichment_enabled": True, "enrichment_db_dir": Path(db_dir)})


def demo_leads(settings: Settings) -> Iterator[leadfile.LeadRow]:
    """The sample leads, plus the enrichment demo companies when enrichment is on."""
    rows = list(leadfile.read(SAMPLE_LEADS))
    yield from rows
    if settings.enrichment_enabled:
        last = max((row.row for row in rows), default=0)
        for offset, domain in enumerate(ENRICHMENT_LEADS, start=1):
            yield leadfile.LeadRow(row=last + offset, value=domain, column=None, company=None, fields={})


def print_infrastructure(results: list[Analysis]) -> None:
    lines = [(a.domain, a.infrastructure.summary_en) for a in results
             if a.infrastructure is not None and a.infrastructure.summary_en
             and any(info.special is None and info.sources for info in a.infrastructure.ips)]
    if lines:
        render.console.print("\nInfrastructure (offline IP databases):")
    for domain, sentence in lines:
        render.console.print(f"  {domain}: {sentence}", soft_wrap=True, markup=False)


def serve_api(settings: Settings, api_port: int) -> None:
    """The full workflow on the embedded default: import the sample leads into SQLite, scan
    them as a job, issue an admin token and the lead screen's ``demo`` user (admin, a new random
    password printed), then serve the API and the pages (with the sandbox DNS) until Ctrl-C."""
    import uvicorn

    from ..api import create_app
    from ..flows.import_leads import import_leads
    from ..store import db, migrate
    from ..wiring import job_runner
    from .serve import issue
    from .users import ensure as ensure_user

    url = settings.database()
    migrate.upgrade(url)
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    with sessions() as session:
        result = import_leads(session, leadfile.read(SAMPLE_LEADS), source=SAMPLE_LEADS.name,
                              checkpoint=session.commit)
    runner = job_runner(settings, sessions)
    try:
        job = runner.submit("scan", {"rescan": True}, lead_ids=result.lead_ids)
        while not runner.status(job).finished:
            time.sleep(0.1)
    finally:
        runner.close()
        engine.dispose()
    render.console.print(f"\n{result.imported} leads imported and scanned into {db.safe_url(url)}")
    base = f"http://127.0.0.1:{api_port}"
    ca_dir = settings.data_dir / "sandbox-ca"          # one throw-away CA for both stand-ins
    with partner_center.running(ca_dir, referrals=24) as pc, dataverse.running(ca_dir) as crm:
        settings = with_dynamics(with_partner_center(settings, pc), crm, public_url=base)
        show_referrals(settings)
        push_to_dynamics(settings)
        token = issue(settings, role="admin", name="demo")
        password = secrets.token_urlsafe(9)
        ensure_user(settings, DEMO_USER, role="admin", password=password)
        render.console.print(f"\nLead screen: open {base}/ and sign in as {DEMO_USER} with the password {password}",
                             soft_wrap=True, markup=False)
        render.console.print(f"API: {base}/api/v1/docs   admin token: {token}", soft_wrap=True)
        render.console.print(f"try: curl -H 'Authorization: Bearer {token}' '{base}/api/v1/leads?sort=priority'",
                             soft_wrap=True)
        render.console.print(f"     curl -H 'Authorization: Bearer {token}' '{base}/api/v1/leads?referral=true'",
                             soft_wrap=True)
        render.console.print("Ctrl-C stops the API, the Partner Center and Dataverse stand-ins and the sandbox DNS.")
        uvicorn.run(create_app(settings), host="127.0.0.1", port=api_port, log_level="warning")


def with_partner_center(settings: Settings, pc: partner_center.PartnerCenterSandbox) -> Settings:
    """Settings pointing the Partner Center sync at the local stand-in (its throw-away CA and
    service account), as ``hunter sandbox partner-center`` prints them."""
    env = pc.settings_env()
    return settings.model_copy(update={
        "partner_center_sync_enabled": True, "aad_authority": env["HUNTER_AAD_AUTHORITY"],
        "ca_bundle": Path(env["HUNTER_CA_BUNDLE"]), "pc_base_url": env["HUNTER_PC_BASE_URL"],
        "pc_scope": env["HUNTER_PC_SCOPE"], "pc_client_id": env["HUNTER_PC_CLIENT_ID"],
        "pc_auth_mode": "ropc", "pc_username": env["HUNTER_PC_USERNAME"],
        "pc_password": SecretStr(env["HUNTER_PC_PASSWORD"])})


def with_dynamics(settings: Settings, crm: dataverse.DataverseSandbox, *, public_url: str) -> Settings:
    """Settings pointing the Dynamics 365 push at the local Dataverse stand-in."""
    env = crm.settings_env()
    return settings.model_copy(update={
        "d365_enabled": True, "d365_url": env["HUNTER_D365_URL"], "d365_client_id": env["HUNTER_D365_CLIENT_ID"],
        "d365_client_secret": SecretStr(env["HUNTER_D365_CLIENT_SECRET"]),
        "d365_authority": env["HUNTER_AAD_AUTHORITY"], "public_url": public_url})


def push_to_dynamics(settings: Settings) -> None:
    """Push the P1–P3 leads to the Dataverse stand-in (the flow of ``hunter dynamics push``) and
    print their deep links."""
    from ..flows.push_leads import PushOptions, push_leads
    from ..sales import load_config
    from ..store import db
    from ..store.dynamics import DynamicsRepository
    from ..store.leads import LeadFilter, LeadRepository
    from ..wiring import dynamics_link, lead_sink

    sink = lead_sink(settings)
    assert sink is not None
    engine = db.make_engine(settings.database())
    sessions = db.session_factory(engine)
    try:
        with sessions() as session:
            ids = list(LeadRepository(session).ids_matching(LeadFilter(priority=("P1", "P2", "P3"))))
        summary = push_leads(sessions, sink, ids, options=PushOptions(
            sales_config=load_config(settings.sales_config), public_url=settings.public_url, trigger="demo"))
        render.console.print(f"\nDynamics 365 (local Dataverse stand-in): {summary.created} created, "
                             f"{summary.updated} updated, {summary.unchanged} unchanged, {summary.failed} failed")
        with sessions() as session:
            acks = DynamicsRepository(session).acks(ids)
            for lead in LeadRepository(session).list(LeadFilter(dynamics="pushed"), "priority").items[:8]:
                link = dynamics_link(settings, acks[lead.id].record_id) if lead.id in acks else None
                render.console.print(f"  {lead.priority} {lead.domain}: {link}", soft_wrap=True, markup=False)
    finally:
        sink.close()
        engine.dispose()


def show_referrals(settings: Settings) -> None:
    """Sync the stand-in's referrals (the same flow as ``hunter partner-center sync``) and show
    them beside the leads."""
    import warnings

    from sqlalchemy import select

    from ..store import db
    from ..store.models import Lead, PcReferral
    from .partner_center import run_sync

    with warnings.catch_warnings():            # MSAL warns that ROPC is discouraged: the stand-in's account
        warnings.simplefilter("ignore", DeprecationWarning)
        outcome, scan_line = run_sync(settings, trigger="demo")
    render.console.print(f"\nPartner Center (local stand-in): {outcome.fetched} referrals, "
                         f"{outcome.leads_linked} linked to leads, {outcome.leads_created} new leads"
                         + (f"; {scan_line}" if scan_line else ""), soft_wrap=True)
    engine = db.make_engine(settings.database())
    try:
        with db.session_factory(engine)() as session:
            rows = session.execute(
                select(Lead.domain, Lead.priority, Lead.source, PcReferral.customer_name, PcReferral.status,
                       PcReferral.substatus).join(PcReferral, PcReferral.lead_id == Lead.id)
                .order_by(Lead.priority, Lead.domain).limit(12)).all()
    finally:
        engine.dispose()
    render.print_referrals(rows)
