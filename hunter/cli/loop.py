"""Run a coroutine at the command line's edge: uvloop when installed (about 20 % less CPU per
DNS query in bulk scans), the standard event loop otherwise; with the cyclic garbage collector
tuned for bulk work (see ``tune_gc``)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

# A bulk scan keeps tens of thousands of long-lived objects (the DNS cache's answers) while it
# allocates millions of short-lived ones.  With the default thresholds (700, 10, 10) the full
# collections that walk every long-lived object come so often that a 100 000-domain scan spent
# most of its time in them: 174 domains/s, against 299/s with these thresholds
# (docs/benchmarks.md).  Hunter's values are acyclic and freed by reference counting; the
# collector still runs, only less often.
GC_THRESHOLDS = (100_000, 50, 1_000)


def tune_gc() -> None:
    gc.set_threshold(*GC_THRESHOLDS)


def run(coro: Coroutine[Any, Any, T]) -> T:
    tune_gc()
    try:
        import uvloop
    except ImportError:  # not available on every platform (e.g. Windows)
        return asyncio.run(coro)
    return uvloop.run(coro)
