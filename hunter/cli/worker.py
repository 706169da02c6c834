"""``hunter worker`` and ``hunter beat``: thin wrappers that start Celery's own worker and beat
with Hunter's configuration (``HUNTER_BROKER_URL`` …).  Anything after ``--`` goes to Celery
unchanged, e.g. ``hunter worker -- --concurrency 4 --hostname scan1@%h``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from .startup import build_settings, errors

worker_app = typer.Typer(help="Celery workers and beat (HUNTER_JOBS_BACKEND=celery).")
PASS_ON = {"allow_extra_args": True, "ignore_unknown_options": True}
QUEUES = "hunter.items,hunter.jobs"


@worker_app.command("worker", context_settings=PASS_ON)
def worker(
    ctx: typer.Context,
    metrics_port: Annotated[Optional[int], typer.Option(
        "--metrics-port", help="Serve this worker's Prometheus metrics on this port (all its processes).")] = None,
    queues: Annotated[str, typer.Option(help="Queues to consume (bulk-scan chunks and whole jobs).")] = QUEUES,
) -> None:
    """Start a Celery worker for Hunter's jobs (acks late; a killed worker loses nothing)."""
    settings = build_settings()
    with errors(settings.database()):
        from ..jobs.celery_app import make_app

        if metrics_port is not None:
            _metrics(metrics_port, settings.data_dir)
        app = make_app(settings)
    app.worker_main(["worker", "--loglevel", settings.log_level, "--queues", queues, *ctx.args])


@worker_app.command("beat", context_settings=PASS_ON)
def beat(ctx: typer.Context,
         schedule_file: Annotated[Optional[Path], typer.Option(
             "--schedule-file", help="Where beat keeps its state (default: <data dir>/celerybeat-schedule).")] = None) -> None:
    """Start Celery beat with Hunter's schedules (daily Partner Center sync, daily rescan of old
    leads, periodic Dynamics push of stale leads); run exactly one beat."""
    settings = build_settings()
    with errors(settings.database()):
        from ..jobs.celery_app import make_app
        from ..jobs.schedules import beat_schedule

        app = make_app(settings)
        app.conf.beat_schedule = beat_schedule(settings)
    path = schedule_file or settings.data_dir / "celerybeat-schedule"
    path.parent.mkdir(parents=True, exist_ok=True)
    app.start(["beat", "--loglevel", settings.log_level, "--schedule", str(path), *ctx.args])


def _metrics(port: int, data_dir: Path) -> None:
    """Multiprocess metrics: every forked worker process writes to one folder the server reads."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        data_dir.mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="prometheus-", dir=data_dir)
    from .. import metrics

    metrics.start_worker_metrics_server(port)


__all__ = ["worker_app"]
