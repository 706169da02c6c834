"""The metric objects of one process, built on first use, and their exposition: this process's
registry, or — with ``PROMETHEUS_MULTIPROC_DIR`` — the sum of every process writing to that
folder.  ``prometheus_client`` is imported on first use (here and in ``scraped``), so an entry
point may set the variable after importing Hunter."""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, ParamSpec

from .catalogue import RECORDED, Labels, Spec

log = logging.getLogger("hunter.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
MAX_CHILDREN = 10_000           # labelled series whose objects are kept for the per-scan exports


class Recorder:
    """The metric objects, built on first use (after ``PROMETHEUS_MULTIPROC_DIR`` is known)."""

    def __init__(self) -> None:
        import prometheus_client as prom

        folder = multiprocess_dir()
        if folder is not None:
            Path(folder).mkdir(parents=True, exist_ok=True)
        self.registry = prom.CollectorRegistry(auto_describe=True)
        self.metrics: dict[str, Any] = {spec.name: _build(prom, spec, self.registry) for spec in RECORDED}
        self.process = prom.CollectorRegistry()           # this process's CPU, memory, GC
        if folder is None:
            for collector in (prom.ProcessCollector, prom.PlatformCollector, prom.GCCollector):
                collector(registry=self.process)
        self.labels = Labels()
        self._children: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}

    def inc(self, name: str, amount: float = 1.0, **labels: object) -> None:
        if amount > 0:
            self._child(name, labels).inc(amount)

    def observe(self, name: str, value: float, **labels: object) -> None:
        self._child(name, labels).observe(value)

    def add(self, key: tuple[str, tuple[tuple[str, str], ...]], amount: float) -> None:
        """``inc`` for a (name, labels) key, its child kept (the per-scan exports' hot path)."""
        child = self._children.get(key)
        if child is None:
            child = self._child(key[0], dict(key[1]))
            if len(self._children) < MAX_CHILDREN:
                self._children[key] = child
        child.inc(amount)

    def _child(self, name: str, labels: Mapping[str, object]) -> Any:
        metric = self.metrics[name]
        if not labels:
            return metric
        return metric.labels(**{key: self.labels.clean(key, value) for key, value in labels.items()})


def _build(prom: Any, spec: Spec, registry: Any) -> Any:
    if spec.type == "counter":
        return prom.Counter(spec.name, spec.help, spec.labels, registry=registry)
    return prom.Histogram(spec.name, spec.help, spec.labels, buckets=spec.buckets, registry=registry)


_recorder: Recorder | None = None
_recorder_lock = threading.Lock()
_failed = False


def get() -> Recorder:
    global _recorder
    if _recorder is None:
        with _recorder_lock:
            if _recorder is None:
                _recorder = Recorder()
    return _recorder


P = ParamSpec("P")


def never_raises(record: Callable[P, None]) -> Callable[P, None]:
    """Recording must not break the work: a metrics folder that fails is logged once."""

    @functools.wraps(record)
    def safe(*args: P.args, **kwargs: P.kwargs) -> None:
        global _failed
        try:
            record(*args, **kwargs)
        except OSError as exc:
            if not _failed:
                _failed = True
                log.error("metrics could not be recorded: %s", exc, extra={"event": "metrics_failed"})
    return safe


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


class _Joined:
    """Several collectors read as one registry."""

    def __init__(self, collectors: Iterable[Any]) -> None:
        self._collectors = list(collectors)

    def collect(self) -> Iterator[Any]:
        for collector in self._collectors:
            yield from collector.collect()


def _sources() -> list[Any]:
    folder = multiprocess_dir()
    if folder is not None:
        from prometheus_client.multiprocess import MultiProcessCollector

        Path(folder).mkdir(parents=True, exist_ok=True)
        return [MultiProcessCollector(None, path=folder)]
    recorder = get()
    return [recorder.registry, recorder.process]


def exposition(*collectors: Any) -> tuple[bytes, str]:
    """The text exposition (body, content type) of this process — or, in multiprocess mode, of
    every process writing to the folder — plus ``collectors`` (e.g. a ``ServiceCollector``)."""
    from prometheus_client import exposition as text

    content_type = getattr(text, "CONTENT_TYPE_PLAIN_0_0_4", text.CONTENT_TYPE_LATEST)   # every Prometheus reads it
    return text.generate_latest(_Joined([*_sources(), *collectors])), content_type  # type: ignore[arg-type]


def start_worker_metrics_server(port: int, *, addr: str = "0.0.0.0") -> None:
    """Serve ``/metrics`` for a worker's process group on a daemon thread of this process.
    Call it in the parent before the children fork, with ``PROMETHEUS_MULTIPROC_DIR`` set."""
    from prometheus_client import start_http_server

    if multiprocess_dir() is None:
        log.warning("%s is not set: only this process's metrics are served, not its children's",
                    MULTIPROC_ENV, extra={"event": "metrics_single_process"})
    start_http_server(port, addr=addr, registry=_Joined(_sources()))  # type: ignore[arg-type]
    log.info("worker metrics on %s:%d", addr, port, extra={"event": "metrics_server", "port": port})
