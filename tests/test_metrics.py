"""hunter.metrics: names after Prometheus's conventions, bounded labels, the counters the work
records (scans against the sandbox DNS, job executions), the gauges read at scrape time from the
database and the enrichment files, and multiprocess mode across real processes."""

from __future__ import annotations

import ast
import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from hunter import metrics
from hunter.metrics.catalogue import WORD, Labels
from hunter.metrics.scraped import _version
from hunter.logs import JsonFormatter
from hunter.dns.metrics import DnsMetrics
from hunter.flows.scan_leads import scan_lead
from hunter.integrations.base import PushResult
from hunter.jobs import InProcessRunner
from hunter.settings import Settings
from hunter.store import migrate
from hunter.store.db import make_engine, session_factory
from hunter.store.jobs import JobRepository
from hunter.store.leads import LeadRepository
from hunter.store.monitoring import MonitoringRepository
from hunter.store.referrals import SyncRunRepository
from hunter.wiring import build_context
from tests.conftest import shared_dir
from tests.jobs.test_runner import FakeContext, sessions  # noqa: F401 - sessions is a fixture
from tests.test_layers import MODULES, hunter_imports, layer_of

PACKAGE = Path(__file__).resolve().parents[1] / "hunter"
ROOT = PACKAGE.parent
SCANNED = ["m365-tenant.test", "gworkspace.test", "selfhosted.test", "zoho-co.test", "parked.test"]


def samples(text: str | bytes | None = None, *collectors: object) -> dict[tuple[str, tuple], float]:
    """Every sample of an exposition (this process's by default): (name, sorted labels) -> value."""
    if text is None:
        text = metrics.exposition(*collectors)[0]
    if isinstance(text, bytes):
        text = text.decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict[tuple[str, tuple], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


# --- names and labels ------------------------------------------------------------------------

@pytest.mark.parametrize("spec", [*metrics.RECORDED, *metrics.SCRAPED], ids=lambda s: s.name)
def test_names_follow_the_prometheus_conventions(spec: metrics.Spec) -> None:
    assert spec.name.startswith("hunter_") and spec.name == spec.name.lower()
    assert spec.help.endswith(".") or spec.help.endswith(")")
    if spec.type == "counter":
        assert spec.name.endswith("_total")
    else:
        assert not spec.name.endswith("_total")
    if spec.type == "histogram":
        assert spec.name.endswith("_seconds") and spec.buckets == tuple(sorted(spec.buckets))
    if "timestamp" in spec.name or "duration" in spec.name:
        assert spec.name.endswith("_seconds")
    for unit in ("_milliseconds", "_ms", "_minutes", "_hours", "_days", "_bytes_total_bytes"):
        assert unit not in spec.name
    for label in spec.labels:
        assert label.isidentifier() and label == label.lower() and not label.startswith("__")
        assert label not in {"domain", "lead", "lead_id", "job_id", "email", "path", "ip", "le", "quantile"}


def test_label_values_outside_their_pattern_or_past_the_cap_are_other() -> None:
    labels = Labels()
    assert labels.clean("provider", "m365") == "m365"
    assert labels.clean("provider", "karadenizfindik.com.tr") == "other"
    assert labels.clean("rdtype", "mx") == "other" and labels.clean("rdtype", "MX") == "MX"
    assert labels.clean("resolver", "127.0.0.1:5353") == "127.0.0.1:5353"
    assert labels.clean("resolver", "dns.google:53") == "other"
    assert labels.clean("method", "BREW") == "other"
    for n in range(metrics.MAX_VALUES["*"]):
        assert labels.clean("kind", f"k{n}") == f"k{n}"
    assert labels.clean("kind", "one_too_many") == "other"
    assert labels.clean("kind", "k7") == "k7"                  # values already seen stay


async def test_a_scan_counts_by_status_and_provider_and_no_label_holds_a_domain(world_settings: Settings,
                                                                                tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'scan.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    opened = session_factory(engine)
    ctx = build_context(world_settings)
    before = samples()
    try:
        with opened() as session:
            ids = [LeadRepository(session).upsert(domain)[0].id for domain in SCANNED]
            session.commit()
        for lead_id in ids:
            with opened() as session:
                await scan_lead(ctx, session, lead_id)
                session.commit()
        metrics.flush()
    finally:
        await ctx.aclose()
        engine.dispose()
    after = samples()
    grown = {key: n - before.get(key, 0.0) for key, n in after.items() if n > before.get(key, 0.0)}
    scanned = {labels: n for (name, labels), n in grown.items() if name == "hunter_domains_scanned_total"}
    assert sum(scanned.values()) == len(SCANNED)
    assert (("provider", "m365"), ("status", "ok")) in scanned
    assert value(grown, "hunter_scan_duration_seconds_count", status="ok") >= 4
    resolver = world_settings.dns_nameservers[0]
    assert value(grown, "hunter_dns_exchanges_total", resolver=resolver) > 0
    assert value(grown, "hunter_dns_queries_total", rdtype="MX") >= len(SCANNED)
    assert value(grown, "hunter_dns_answers_total", rdtype="MX", status="ok") >= 4
    assert value(grown, "hunter_dns_cache_requests_total", result="miss") > 0
    for name, labels in after:
        for label, text in labels:
            assert not any(domain in text for domain in SCANNED), (name, labels)
            if name.startswith("hunter_") and label != "le" and text != "other":
                assert metrics.PATTERNS.get(label, WORD).fullmatch(text), (name, labels)


def test_dns_counts_are_added_as_increments_never_twice() -> None:
    dns = DnsMetrics()
    dns.count("queries", "TXT", 3)
    dns.count("timeouts", "TXT", 1)
    dns.sent("TXT", "192.0.2.53:53")
    dns.count("throttled", "TXT", 2)

    class Pacer:                                         # dns.pacing.Pacer's snapshot
        decreases = 3

        def snapshot(self) -> dict[str, float | int | None]:
            return {"rate": 40.0, "ceiling": 200.0, "decreases": self.decreases, "backlog": 0.0}

    dns.pacers = {"192.0.2.53:53": Pacer()}
    before = samples()
    metrics.observe_dns(dns)
    metrics.observe_dns(dns)                        # nothing new: nothing added
    dns.count("queries", "TXT", 2)
    metrics.observe_dns(dns)
    after = samples()

    def grown(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grown("hunter_dns_queries_total", rdtype="TXT") == 5
    assert grown("hunter_dns_exchange_errors_total", rdtype="TXT", kind="timeout") == 1
    assert grown("hunter_dns_exchanges_total", resolver="192.0.2.53:53") == 1
    assert grown("hunter_dns_throttled_total", rdtype="TXT") == 2
    assert grown("hunter_dns_pacing_decreases_total", resolver="192.0.2.53:53") == 3


def test_partner_center_and_dynamics_outcomes() -> None:
    class Summary:
        created, updated, unchanged, failed, aborted = 2, 1, 5, 3, "sign-in refused"

    before = samples()
    metrics.observe_pc_sync("succeeded", fetched=12)
    metrics.observe_pc_sync("failed")
    metrics.observe_d365_push(Summary())
    metrics.observe_d365_result(PushResult(key="a.test", outcome="failed", status=429, attempts=51))
    metrics.observe_d365_result(PushResult(key="b.test", outcome="failed", status=400))
    metrics.observe_d365_result(PushResult(key="c.test", outcome="failed"), mapped=False)
    metrics.observe_d365_result(PushResult(key="d.test", outcome="created", attempts=3))
    after = samples()

    def grown(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grown("hunter_partner_center_sync_runs_total", outcome="succeeded") == 1
    assert grown("hunter_partner_center_sync_runs_total", outcome="failed") == 1
    assert grown("hunter_partner_center_referrals_fetched_total") == 12
    assert [grown("hunter_dynamics_leads_pushed_total", outcome=o) for o in ("created", "updated", "unchanged",
                                                                            "failed")] == [2, 1, 5, 3]
    assert grown("hunter_dynamics_push_runs_total", outcome="aborted") == 1
    assert [grown("hunter_dynamics_push_failures_total", reason=r) for r in ("throttled", "rejected",
                                                                            "unmappable")] == [1, 1, 1]
    assert grown("hunter_dynamics_resends_total") == 52
    assert metrics.failure_reason(None) == "unreachable" and metrics.failure_reason(503) == "server_error"


# --- the in-process runner: task durations and the job id on its log lines -------------------

async def _logging_task(ctx, session, job, item) -> None:                # an item task
    logging.getLogger("hunter.jobs.test").warning("working on %s", item.lead_id)


def test_the_runner_records_each_execution_and_tags_its_log_lines(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        ids = [LeadRepository(session).upsert(f"lead{n}.test")[0].id for n in range(3)]
        session.commit()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("hunter").addHandler(handler)
    before = samples()
    runner = InProcessRunner(sessions, FakeContext, tasks={"scan": _logging_task})   # type: ignore[arg-type]
    try:
        job_id = runner.submit("scan", {}, lead_ids=ids)
        deadline = time.monotonic() + 20
        while not runner.status(job_id).finished and time.monotonic() < deadline:
            time.sleep(0.05)
        deadline = time.monotonic() + 5        # the lane records the execution right after it ends
        while value(samples(), "hunter_job_tasks_total", kind="scan", outcome="ok") == \
                value(before, "hunter_job_tasks_total", kind="scan", outcome="ok") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.close(timeout=5)
        logging.getLogger("hunter").removeHandler(handler)
    after = samples()
    assert value(after, "hunter_job_tasks_total", kind="scan", outcome="ok") - \
        value(before, "hunter_job_tasks_total", kind="scan", outcome="ok") == 1
    assert value(after, "hunter_job_task_duration_seconds_count", kind="scan") > \
        value(before, "hunter_job_task_duration_seconds_count", kind="scan")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    working = [line for line in lines if line["message"].startswith("working on")]
    assert len(working) == 3 and all(line["job_id"] == job_id for line in working)


# --- scraped: the database and the enrichment files -------------------------------------------

def test_the_backlog_and_the_partner_center_state_are_read_at_scrape_time(sessions: sessionmaker[Session],
                                                                          tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, partner_center_sync_enabled=True)
    collector = metrics.ServiceCollector(sessions, settings)
    empty = samples(None, collector)
    assert value(empty, "hunter_database_up") == 1
    assert value(empty, "hunter_partner_center_last_success_timestamp_seconds") == 0
    assert ("hunter_partner_center_last_run_success", ()) not in empty
    assert value(empty, "hunter_build_info", version=_version(), jobs_backend="inprocess") == 1
    with sessions() as session:
        ids = [LeadRepository(session).upsert(f"lead{n}.test")[0].id for n in range(5)]
        jobs = JobRepository(session)
        jobs.create("scan", {}, ids)
        running = jobs.create("scan", {}, ids[:2])
        jobs.mark_running(running)
        jobs.finish_item(running.id, 0, "done")
        runs = SyncRunRepository(session)
        runs.finish(runs.start(mode="full", trigger="cli", job_id=None, watermark_before=None), status="succeeded")
        runs.finish(runs.start(mode="delta", trigger="schedule", job_id=None, watermark_before=None),
                    status="failed", reason="sign-in refused")
        session.commit()
    found = samples(None, collector)
    assert value(found, "hunter_jobs_active", kind="scan", status="queued") == 1
    assert value(found, "hunter_jobs_active", kind="scan", status="running") == 1
    assert value(found, "hunter_job_items_pending", kind="scan") == 5 + 1
    assert abs(value(found, "hunter_job_oldest_queued_timestamp_seconds") - time.time()) < 120
    assert time.time() - value(found, "hunter_partner_center_last_success_timestamp_seconds") < 120
    assert value(found, "hunter_partner_center_last_run_success") == 0
    assert value(found, "hunter_partner_center_sync_enabled") == 1
    with sessions() as session:
        assert MonitoringRepository(session).sync_state().last_run_ok is False


def test_a_database_that_does_not_answer_is_database_up_0(tmp_path: Path) -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    collector = metrics.ServiceCollector(session_factory(engine), Settings(data_dir=tmp_path))
    found = samples(None, collector)
    engine.dispose()
    assert value(found, "hunter_database_up") == 0
    assert value(found, "hunter_build_info", version=_version(), jobs_backend="inprocess") == 1


def test_enrichment_databases_loaded_and_their_build_time(tmp_path: Path) -> None:
    from hunter.integrations.enrichment import Enricher

    folder = shared_dir() / "data" / "maxmind"
    if not folder.is_dir():
        pytest.skip("the MaxMind test databases are not in ../shared/data")
    settings = Settings(data_dir=tmp_path, enrichment_enabled=True, enrichment_db_dir=folder,
                        enrichment_db_path_ip2location=tmp_path / "IP2LOCATION-MISSING.BIN")
    enricher = Enricher.from_settings(settings)
    assert enricher is not None
    engine = make_engine(f"sqlite:///{tmp_path / 'unmigrated.db'}")
    try:
        enricher.lookup("81.2.69.160")                  # loads the files
        found = samples(None, metrics.ServiceCollector(session_factory(engine), settings, enricher))
    finally:
        enricher.close()
        engine.dispose()
    assert value(found, "hunter_enrichment_enabled") == 1
    assert value(found, "hunter_enrichment_database_loaded", database="maxmind-city") == 1
    assert value(found, "hunter_enrichment_database_loaded", database="ip2location") == 0
    assert value(found, "hunter_enrichment_databases_loaded") >= 1
    built = value(found, "hunter_enrichment_database_build_timestamp_seconds", database="maxmind-city")
    assert 1_300_000_000 < built < time.time()
    assert metrics.built_at("GeoLite2-City 2025-05-02", "/nowhere") == 1746144000.0
    assert metrics.built_at("DB11 25.5.1", "/nowhere") is None


# --- multiprocess: several processes, one exposition -----------------------------------------

RECORD = """
import sys
from hunter import metrics
from hunter.metrics.catalogue import WORD, Labels
from hunter.metrics.scraped import _version
metrics.observe_task("scan", "ok", 0.5)
metrics.observe_pc_sync("succeeded", fetched=int(sys.argv[1]))
"""

SERVE = """
import sys, time
from hunter import metrics
from hunter.metrics.catalogue import WORD, Labels
from hunter.metrics.scraped import _version
metrics.start_worker_metrics_server(int(sys.argv[1]), addr="127.0.0.1")
print("serving", flush=True)
time.sleep(60)
"""


def _run(code: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_multiprocess_mode_sums_every_process(tmp_path: Path) -> None:
    folder = tmp_path / "prometheus"
    env = {**os.environ, metrics.MULTIPROC_ENV: str(folder)}
    _run(RECORD, "3", env=env)
    _run(RECORD, "4", env=env)
    exposed = _run("from hunter import metrics; import sys; sys.stdout.write(metrics.exposition()[0].decode())",
                   env=env).stdout
    found = samples(exposed)
    assert value(found, "hunter_job_tasks_total", kind="scan", outcome="ok") == 2
    assert value(found, "hunter_job_task_duration_seconds_sum", kind="scan") == 1.0
    assert value(found, "hunter_partner_center_referrals_fetched_total") == 7
    assert not any(name.startswith("process_") for name, _ in found)      # no per-process gauges

    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "serving"
        _run(RECORD, "5", env=env)                     # a process that started after the server
        served = samples(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert value(served, "hunter_job_tasks_total", kind="scan", outcome="ok") == 3
    assert value(served, "hunter_partner_center_referrals_fetched_total") == 12


def test_importing_hunter_does_not_import_prometheus_client() -> None:
    """So an entry point may set PROMETHEUS_MULTIPROC_DIR after its imports (hunter worker does)."""
    code = ("import sys, hunter.metrics, hunter.flows.scan_leads, hunter.jobs.inprocess, hunter.api.app; "
            "print('prometheus_client' in sys.modules)")
    assert _run(code, env=dict(os.environ)).stdout.strip() == "False"


# --- who may import what ---------------------------------------------------------------------

def test_only_the_metrics_package_imports_prometheus_client() -> None:
    def imports_it(path: Path) -> bool:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name.split(".")[0] == "prometheus_client" for name in names):
                return True
        return False

    importers = {str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py") if imports_it(p)}
    assert importers and all(path.startswith("hunter/metrics/") for path in importers), importers


@pytest.mark.parametrize("path", [p for p in MODULES if layer_of(p) != "integrations"] +
                         sorted((PACKAGE / "integrations").rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_core_and_the_adapters_never_import_the_metrics(path: Path) -> None:
    """``hunter.metrics`` is an edge module: flows, jobs and entry points record; the core and
    the adapters keep plain counters that are read from outside."""
    assert not any(name == "hunter.metrics" or name.startswith("hunter.metrics.") for name in hunter_imports(path))
