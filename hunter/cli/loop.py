"""Run a coroutine at the command line's edge: uvloop when installed (about 20 % less CPU per
DNS query in bulk scans, see docs/benchmarks.md), the standard event loop otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # not available on every platform (e.g. Windows)
        return asyncio.run(coro)
    return uvloop.run(coro)
